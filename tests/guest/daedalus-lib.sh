# Helpers for the daedalus device tests (sourced by tests/guest/NN-*.test).
# Not a test itself.

DD_REPO=${DAEDALUS_REPO:-$(pwd)}
DD_OUT=${DAEDALUS_TEST_RESULTS:-/tmp}
DD_PARAMS=/sys/module/daedalus_v4l2/parameters
DD_H264=${DAEDALUS_SHARED:-$DD_REPO/../shared}/vectors/JVT-AVC_V1/BA1_Sony_D/BA1_Sony_D.jsv
DD_SAVED_PARAMS=

dd_log() { echo "$DAEDALUS_TEST_NAME: $*"; }
dd_fail() { dd_log "FAIL: $*"; exit 1; }

# dd_param NAME VALUE: set a module parameter; restored by dd_restore_params.
dd_param() {
	DD_SAVED_PARAMS="$DD_SAVED_PARAMS $1=$(cat "$DD_PARAMS/$1")"
	echo "$2" >"$DD_PARAMS/$1"
}
dd_restore_params() {
	local kv
	# newest first: a parameter set twice gets its first saved value back
	for kv in $(printf '%s\n' $DD_SAVED_PARAMS | tac); do
		echo "${kv#*=}" >"$DD_PARAMS/${kv%%=*}"
	done
	DD_SAVED_PARAMS=
}

# The bridge is ours only when the run was booted without daedalusd.
dd_need_free_bridge() {
	if [ -n "${DAEDALUS_DAEMON_PID:-}" ]; then
		dd_log "needs the bridge free of daedalusd: run it under 'tests/vm/run --no-daemon'"
		exit 77
	fi
}

# dd_hostile ARGS...: start tools/hostile_daemon in the background (DD_HPID).
dd_hostile() {
	local bin=$DD_OUT/hostile_daemon
	if [ ! -x "$bin" ]; then
		cc -O2 -Wall -Wextra -I"$DD_REPO/include" -o "$bin" \
			"$DD_REPO/tools/hostile_daemon.c" || dd_fail "cannot build hostile_daemon"
	fi
	"$bin" "$@" >>"$DD_OUT/hostile.log" 2>&1 &
	DD_HPID=$!
	# attached when the HELLO went through: wait for its first log line
	for _ in $(seq 50); do
		grep -q attached "$DD_OUT/hostile.log" 2>/dev/null && return 0
		kill -0 "$DD_HPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$DD_OUT/hostile.log"
	dd_fail "hostile_daemon $* did not attach"
}

# ---- The driver's status attributes (kernel/daedalus_stats.c) ----
DD_STATUS=/sys/bus/platform/devices/daedalus-v4l2/status
DD_COUNTERS="queued done error timeout detach aborted not_queued"
# dd_counts CODEC: that codec's job counters, in DD_COUNTERS' order.
dd_counts() {
	local k
	for k in $DD_COUNTERS; do printf '%s ' "$(cat "$DD_STATUS/$1_$k")"; done
}
# dd_check_rise CODEC "BEFORE" "AFTER" "NAME=N...": each counter rose from
# BEFORE to AFTER (dd_counts) by its N, those not named by 0; logs each.
dd_check_rise() {
	local -a b a
	local k n want i=0 bad=0
	read -r -a b <<<"$2"
	read -r -a a <<<"$3"
	for k in $DD_COUNTERS; do
		want=0
		for n in $4; do [ "${n%%=*}" = "$k" ] && want=${n#*=}; done
		dd_log "$1_$k: ${b[i]} -> ${a[i]} (+$((a[i] - b[i])), want +$want)"
		[ "$((a[i] - b[i]))" = "$want" ] || bad=1
		i=$((i + 1))
	done
	return $bad
}

# dd_frames FILE: frames in an H.264 elementary stream, counted by ffprobe.
dd_frames() {
	ffprobe -v error -count_frames -select_streams v:0 \
		-show_entries stream=nb_read_frames -of csv=p=0 "$1"
}
dd_size() {
	ffprobe -v error -select_streams v:0 -show_entries stream=width,height \
		-of csv=p=0:s=x "$1"
}

# dd_decode FILE OUT [SECS]: decode FILE through v4l2slh264dec into raw NV12
# frames in OUT; prints the number of frames; returns gst-launch's status.
dd_decode() {
	local in=$1 out=$2 secs=${3:-120} wh w h rc size
	rm -f "$out"
	timeout -k 5 "$secs" gst-launch-1.0 -q filesrc location="$in" ! h264parse ! \
		v4l2slh264dec ! video/x-raw,format=NV12 ! filesink location="$out" \
		>"$out.log" 2>&1
	rc=$?
	wh=$(dd_size "$in"); w=${wh%x*}; h=${wh#*x}
	size=$(stat -c %s "$out" 2>/dev/null || echo 0)
	echo $((size / (w * h * 3 / 2)))
	return $rc
}

# dd_decode_with IN OUT "PARSE ! DECODER" [SECS]: like dd_decode for any
# codec; output NV12 or P010 (by ffprobe's pixel format).
dd_decode_with() {
	local in=$1 out=$2 chain=$3 secs=${4:-120} wh w h rc size fmt per
	rm -f "$out"
	# shellcheck disable=SC2086
	timeout -k 5 "$secs" gst-launch-1.0 -q filesrc location="$in" ! $chain ! \
		video/x-raw ! filesink location="$out" >"$out.log" 2>&1
	rc=$?
	wh=$(dd_size "$in"); w=${wh%x*}; h=${wh#*x}
	fmt=$(ffprobe -v error -select_streams v:0 -show_entries stream=pix_fmt -of csv=p=0 "$in")
	case "$fmt" in *10*) per=$((w * h * 3)) ;; *) per=$((w * h * 3 / 2)) ;; esac
	size=$(stat -c %s "$out" 2>/dev/null || echo 0)
	echo $((size / per))
	return $rc
}

# dd_fluster DECODER ROOT "SUITE..." VECTOR...: fluster decodes VECTOR... of
# the suites SUITE... (fluster layout under ROOT, suite files in ROOT/suites)
# with DECODER and compares each md5 with the suite's; logs every vector's
# result; returns non-zero unless each one reports Success.
dd_fluster() {
	local dec=$1 root=$2 suites=$3 log v r rc=0 frc
	shift 3
	log=$DD_OUT/fluster-${suites%% *}.log
	# shellcheck disable=SC2086
	fluster -ne -r "$root" -tsd "$root/suites" -o "$DD_OUT/fluster" run -j1 -t 120 \
		-d "$dec" -ts $suites -tv "$@" >"$log" 2>&1
	frc=$?
	for v; do
		r=$(sed -nE "s/^\[[^]]*\] \([^)]*\) $v +\.\.\. ([A-Za-z]+).*/\1/p" "$log" | tail -1)
		dd_log "$v: ${r:-not run}"
		[ "$r" = Success ] || rc=1
	done
	grep -E '^Ran [0-9]+/[0-9]+' "$log"
	if [ "$rc" != 0 ]; then
		grep -E -A3 '^(FAIL|ERROR):|AssertionError' "$log" | head -60
		dd_log "fluster status $frc; log: $log"
	fi
	return $rc
}

# dd_vector ROOT SUITE NAME: "INPUT OUTPUT-FORMAT MD5" of vector NAME of
# ROOT/suites/SUITE.json (fluster layout: the input in ROOT/SUITE/NAME/),
# or nothing if there is no such vector.
dd_vector() {
	python3 - "$@" <<-'EOF'
	import json, sys
	v, suite, name = sys.argv[1:]
	for t in json.load(open(f"{v}/suites/{suite}.json"))["test_vectors"]:
	    if t["name"] == name:
	        print(f"{v}/{suite}/{name}/{t['input_file']}", t["output_format"], t["result"])
	EOF
}

# dd_gst_md5 IN "PARSE ! DECODER" FORMAT LOG [SECS]: decode IN with
# fluster's GStreamer pipeline (frames converted to FORMAT, I420 or
# I420_10LE); prints videocodectestsink's md5 of all frames, as fluster
# checks it; returns gst-launch's status. Its output goes to LOG.
dd_gst_md5() {
	local rc
	# shellcheck disable=SC2086
	timeout -k 5 "${5:-120}" gst-launch-1.0 --no-fault -m filesrc location="$1" ! $2 ! \
		video/x-raw ! videoconvert dither=none ! video/x-raw,format=$3 ! \
		videocodectestsink >"$4" 2>&1
	rc=$?
	sed -n 's/.*checksum=(string)\([0-9a-f]*\);.*/\1/p' "$4" | tail -1
	return $rc
}

# dd_record REC "SUITE VECTOR"...: decode each vector of ../shared/vectors
# through GStreamer's V4L2 stateless decoder for its codec and our device,
# with the pipeline fluster's GStreamer-*-V4L2SL-Gst1.0 decoders use
# (gst-launch directly: fluster costs 10-20 s of TCG time per run), served
# by a daedalusd of its own started with --record, so that every job
# GStreamer sent is kept:
#   REC/MANIFEST               "SUITE VECTOR" per line, every recording meant
#   REC/SUITE/VECTOR/ctx<id>/  the daemon's recording (docs/protocol.md 6)
# Each decode must also give the suite md5 (videocodectestsink's md5 of the
# I420 / I420_10LE frames, as fluster checks it). Needs the bridge free
# (no-daemon boot); returns non-zero unless every vector matched.
dd_record() {
	local rec=$1 tmp=/tmp/dd-record e suite name in fmt want bin grc got jobs rc=0
	local v=${DAEDALUS_SHARED:-$DD_REPO/../shared}/vectors
	shift
	rm -rf "$rec" "$tmp"	# the daemon writes to tmpfs, not to the 9p share
	mkdir -p "$rec"
	printf '%s\n' "$@" >"$rec/MANIFEST"
	for e; do
		read -r suite name <<<"$e"
		read -r in fmt want <<<"$(dd_vector "$v" "$suite" "$name")"
		[ -f "${in:-}" ] || dd_fail "$suite/$name: no such vector in $v"
		case "$suite" in
		VP9-*) bin="parsebin ! v4l2slvp9dec" ;;
		VP8-*) bin="ivfparse ! v4l2slvp8dec" ;;
		*AV1*) bin="parsebin ! v4l2slav1dec" ;;
		*) dd_fail "$suite: no decoder for it" ;;
		esac
		case "$fmt" in yuv420p10le) fmt=I420_10LE ;; *) fmt=I420 ;; esac
		mkdir -p "$tmp/$suite" "$rec/$suite"
		dd_start_daemon --record "$tmp/$suite/$name"
		got=$(dd_gst_md5 "$in" "$bin" "$fmt" "$DD_OUT/$name.gst.log")
		grc=$?
		kill "$DD_DPID"
		wait "$DD_DPID"
		DD_DPID=
		cp -r "$tmp/$suite/$name" "$rec/$suite/" || dd_fail "$name: nothing recorded"
		jobs=$(find "$rec/$suite/$name" -name '*.job' | wc -l)
		dd_log "$suite/$name: gst status $grc, md5 ${got:-none} (suite $want), $jobs jobs recorded"
		[ "$grc" = 0 ] && [ "$got" = "$want" ] || rc=1
	done
	return $rc
}

# ---- V4L2 buffer tracing (kernel tracepoints v4l2:v4l2_qbuf/v4l2_dqbuf) ----
# What a client really got back, without trusting GStreamer to report it:
# every VIDIOC_QBUF/DQBUF with its process, CLOCK_MONOTONIC time and flags.
DD_TR=/sys/kernel/tracing
DD_TR_EVENTS=

# dd_trace_start [GROUP/EVENT...]: trace those events (default
# v4l2/v4l2_dqbuf v4l2/v4l2_qbuf) from an empty buffer on.
dd_trace_start() {
	local e
	DD_TR_EVENTS=${*:-v4l2/v4l2_dqbuf v4l2/v4l2_qbuf}
	[ -e $DD_TR/trace_marker ] || mount -t tracefs nodev $DD_TR 2>/dev/null
	for e in $DD_TR_EVENTS; do
		[ -d $DD_TR/events/$e ] || { dd_log "no $e tracepoint"; return 1; }
	done
	echo 0 >$DD_TR/tracing_on
	echo mono >$DD_TR/trace_clock
	# options/record-cmd off, as run-all.sh does for the tests, for the
	# callers it does not run (bench/run): with it, enabling an event hooks
	# sched_switch and sched_wakeup, and patching the scheduler's static
	# branches under TCG has oopsed the guest (int3 in __schedule, and in
	# ttwu_do_activate in a bench/run on 2026-12-07). Never record-tgid.
	echo 0 >$DD_TR/options/record-cmd
	echo 4096 >$DD_TR/buffer_size_kb
	: >$DD_TR/trace
	for e in $DD_TR_EVENTS; do echo 1 >$DD_TR/events/$e/enable; done
	echo 1 >$DD_TR/tracing_on
}
dd_trace_stop() {
	local e
	for e in $DD_TR_EVENTS; do echo 0 >$DD_TR/events/$e/enable; done
	cp $DD_TR/trace "$DD_OUT/trace.txt" 2>/dev/null
}
# dd_trace_mark TEXT: a marker in the trace (same clock)
dd_trace_mark() { echo "dd_mark $1" >$DD_TR/trace_marker; }
# dd_trace_events: one line per event: TIME TID EVENT TYPE ERROR(0/1), or
# TIME TID mark NAME 0 for markers.  (Thread ids only: tests run one V4L2
# client at a time and do not filter on it.)
dd_trace_events() {
	sed -n 's/^.*-\([0-9]*\) *\[[0-9]*\] [^ ]* *\([0-9.]*\): \(.*\)$/\2 \1 \3/p' $DD_TR/trace |
	awk '{
		t = $1; tg = $2
		if ($3 == "tracing_mark_write:" && $4 == "dd_mark") { print t, 0, "mark", $5, 0; next }
		ev = $3; sub(":", "", ev)
		if (ev != "v4l2_dqbuf" && ev != "v4l2_qbuf") next
		type = "?"; err = 0
		if (match($0, /type = [A-Z_]*/)) type = substr($0, RSTART + 7, RLENGTH - 7)
		if (match($0, /flags = [A-Z_|]*/) && substr($0, RSTART, RLENGTH) ~ /ERROR/) err = 1
		print t, tg, ev, type, err
	}'
}

# dd_start_daemon [ARGS...]: start daedalusd -v (DD_DPID) and wait until the
# kernel reports it attached.
dd_start_daemon() {
	"$DAEDALUS_BUILD/daemon/daedalusd" -v "$@" >>"$DD_OUT/daemon.log" 2>&1 &
	DD_DPID=$!
	for _ in $(seq 200); do
		dmesg | grep -q "daemon attached (pid $DD_DPID," && return 0
		kill -0 "$DD_DPID" 2>/dev/null || break
		sleep 0.1
	done
	tail -5 "$DD_OUT/daemon.log"
	dd_fail "daedalusd $* did not attach"
}

# dd_ref_md5 FILE: md5 of ffmpeg's NV12 decode of FILE (the reference).
dd_ref_md5() {
	ffmpeg -v error -i "$1" -f rawvideo -pix_fmt nv12 - | md5sum | cut -d' ' -f1
}

# dd_check_exact FILE NAME: decode FILE through the device; fail unless the
# output is byte-exact with ffmpeg's decode.  A 3 s watchdog, so that a slow
# TCG frame fails in GStreamer's own 1 s timeout (status != 0), never as a
# silently wrong picture; such a decode is tried once more.
dd_check_exact() {
	local ref got sum rc attempt
	ref=$(dd_ref_md5 "$1")
	dd_param job_timeout_ms 3000
	for attempt in 1 2; do
		got=$(dd_decode "$1" "$DD_OUT/exact.nv12"); rc=$?
		[ "$rc" = 0 ] && break
		dd_log "$2: gst status $rc (slow guest?), once more"
	done
	echo "${DD_SAVED_PARAMS##* }" | grep -q '^job_timeout_ms=' &&
		echo "${DD_SAVED_PARAMS##*=}" >"$DD_PARAMS/job_timeout_ms"
	sum=$(md5sum <"$DD_OUT/exact.nv12" | cut -d' ' -f1)
	dd_log "$2: $got frames, md5 $sum (ffmpeg: $ref), gst status $rc"
	[ "$rc" = 0 ] && [ "$sum" = "$ref" ] || dd_fail "$2: not byte-exact"
}

# dd_sf_fake ARGS...: start tests/guest/sf_fake_daemon.py in the background
# (DD_SFPID, its log $DD_OUT/sf_fake.log) and wait until it said HELLO.
dd_sf_fake() {
	local ready=$DD_OUT/sf_fake.ready
	rm -f "$ready"
	python3 "$DD_REPO/tests/guest/sf_fake_daemon.py" --ready "$ready" "$@" \
		>>"$DD_OUT/sf_fake.log" 2>&1 &
	DD_SFPID=$!
	for _ in $(seq 100); do [ -e "$ready" ] && return 0; sleep 0.1; done
	dd_fail "sf_fake_daemon.py did not attach (log: $(tail -3 "$DD_OUT/sf_fake.log"))"
}

dd_sf_fake_stop() {
	[ -n "${DD_SFPID:-}" ] || return 0
	kill "$DD_SFPID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$DD_SFPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$DD_SFPID" 2>/dev/null
	wait "$DD_SFPID" 2>/dev/null
	DD_SFPID=
}

# ---- The stateful node ($DAEDALUS_SF_VIDEO_DEV) ----
DD_SF_GST="h264parse ! v4l2h264dec"

# dd_sf_exact NAME: BA1_Sony_D on the stateful node through GStreamer
# (videocodectestsink's I420 md5, as fluster) and FFmpeg h264_v4l2m2m
# (yuv420p md5): both must be the suite's md5.  job_timeout_ms 3000
# meanwhile (a slow TCG frame: a status, tried once more, never a wrong
# md5), then back to what it was.
dd_sf_exact() {
	local v=${DAEDALUS_SHARED:-$DD_REPO/../shared}/vectors in want got rc fgot frc attempt saved
	read -r in _ want <<<"$(dd_vector "$v" JVT-AVC_V1 BA1_Sony_D)"
	[ -f "${in:-}" ] || dd_fail "BA1_Sony_D missing"
	saved=$(cat "$DD_PARAMS/job_timeout_ms")
	echo 3000 >"$DD_PARAMS/job_timeout_ms"
	for attempt in 1 2; do
		got=$(dd_gst_md5 "$in" "$DD_SF_GST" I420 "$DD_OUT/sf-exact-gst.log" 60); rc=$?
		[ "$rc" = 0 ] && break
		dd_log "$1: stateful GStreamer status $rc (slow guest?), once more"
	done
	for attempt in 1 2; do
		timeout -k 5 60 ffmpeg -nostdin -y -v error -c:v h264_v4l2m2m -i "$in" -fps_mode passthrough \
			-vf format=pix_fmts=yuv420p -f rawvideo "$DD_OUT/sf-exact-ff.yuv" \
			>"$DD_OUT/sf-exact-ff.log" 2>&1; frc=$?
		[ "$frc" = 0 ] && break
		dd_log "$1: stateful FFmpeg status $frc (slow guest?), once more"
	done
	fgot=$(md5sum <"$DD_OUT/sf-exact-ff.yuv" | cut -d' ' -f1)
	echo "$saved" >"$DD_PARAMS/job_timeout_ms"
	dd_log "$1: stateful GStreamer md5 ${got:-none} (status $rc), FFmpeg md5 $fgot (status $frc), suite $want"
	[ "$rc" = 0 ] && [ "$got" = "$want" ] || dd_fail "$1: stateful GStreamer decode not the suite md5"
	[ "$frc" = 0 ] && [ "$fgot" = "$want" ] || dd_fail "$1: stateful FFmpeg decode not the suite md5"
}

# dd_dstate_start: sample every user task's state every 50 ms in the
# background (DD_DSPID); dd_dstate_worst prints the longest stay in D
# seen so far as "MS TASK WCHAN" (0 - - if none).
dd_dstate_start() {
	(
		declare -A since
		worst=0
		: >"$DD_OUT/dstate"
		while :; do
			now=$(date +%s%N)
			declare -A seen=()
			for s in /proc/[0-9]*/task/*/stat; do
				read -r line 2>/dev/null <"$s" || continue
				rest=${line##*) }
				[ "${rest%% *}" = D ] || continue
				# kernel threads (PF_KTHREAD, field 9) are not counted
				read -r -a f <<<"$rest"
				(( f[6] & 0x00200000 )) && continue
				k=${s%/stat}; seen[$k]=1
				[ -n "${since[$k]:-}" ] || since[$k]=$now
				d=$(( (now - since[$k]) / 1000000 ))
				if [ $d -gt $worst ]; then
					worst=$d
					echo "$worst $k $(cat "$k/comm" 2>/dev/null)@$(cat "$k/wchan" 2>/dev/null)" >"$DD_OUT/dstate"
				fi
			done
			for k in "${!since[@]}"; do [ -n "${seen[$k]:-}" ] || unset "since[$k]"; done
			sleep 0.05
		done
	) &
	DD_DSPID=$!
}
dd_dstate_worst() {
	local w
	read -r w <"$DD_OUT/dstate" 2>/dev/null
	echo "${w:-0 - -}"
}
