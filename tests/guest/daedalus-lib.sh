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
	for kv in $DD_SAVED_PARAMS; do echo "${kv#*=}" >"$DD_PARAMS/${kv%%=*}"; done
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
