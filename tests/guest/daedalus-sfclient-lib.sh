# Helpers for the stateful node's client tests (sourced after
# daedalus-lib.sh by tests/guest/5x-sf-*.test). Not a test itself.
#
# Expected md5s come only from the suites (../shared/vectors/suites, or
# build/vectors/suites); every client runs under `timeout -k` (ffmpeg
# ignores TERM when stuck) and its stderr is kept in $DD_OUT when the
# vector fails.

SF_V=${DAEDALUS_SHARED:-$DD_REPO/../shared}/vectors
SF_G=$DD_REPO/build/vectors
SF_SECS=${SF_SECS:-120}
SF_FAILED=

# sf_find_node: the stateful node's /dev/videoN, by name
# ("daedalus-v4l2-stateful"); $DAEDALUS_SF_VIDEO_DEV if it still names it.
sf_find_node() {
	local d
	if [ -n "${DAEDALUS_SF_VIDEO_DEV:-}" ] && [ -e "$DAEDALUS_SF_VIDEO_DEV" ] &&
	   [ "$(cat "/sys/class/video4linux/${DAEDALUS_SF_VIDEO_DEV#/dev/}/name" 2>/dev/null)" = daedalus-v4l2-stateful ]; then
		echo "$DAEDALUS_SF_VIDEO_DEV"
		return 0
	fi
	for d in /sys/class/video4linux/video*; do
		[ "$(cat "$d/name" 2>/dev/null)" = daedalus-v4l2-stateful ] &&
			{ echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

# sf_need_node: SF_DEV = the stateful node, or fail (it is ours: its
# absence is a failure, not a skip).
sf_need_node() {
	SF_DEV=$(sf_find_node) ||
		dd_fail "no stateful node (no video device named daedalus-v4l2-stateful; DAEDALUS_SF_VIDEO_DEV='${DAEDALUS_SF_VIDEO_DEV:-}', module parameters: $(cd "$DD_PARAMS" 2>/dev/null && grep -H . stateful* 2>/dev/null | tr '\n' ' '))"
	export DAEDALUS_SF_VIDEO_DEV=$SF_DEV
	dd_log "stateful node: $SF_DEV"
}

# sf_client_bin: SF_CLIENT = sfclient of the guest's CMake build, or one
# built here with cc.
sf_client_bin() {
	SF_CLIENT=${DAEDALUS_BUILD:-$DD_REPO/build/guest}/tests/guest/clients/sfclient
	[ -x "$SF_CLIENT" ] && return 0
	SF_CLIENT=$DD_OUT/sfclient
	cc -O2 -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE -I"$DD_REPO/daemon" \
		-o "$SF_CLIENT" "$DD_REPO/tests/guest/clients/sfclient.c" \
		"$DD_REPO/daemon/md5.c" || dd_fail "cannot build sfclient"
}

# sf_vector SUITE NAME: sets SF_IN, SF_FMT (yuv420p...), SF_MD5 from the
# suite file (../shared/vectors, else build/vectors); fails if missing.
sf_vector() {
	local r line
	for r in "$SF_V" "$SF_G"; do
		[ -f "$r/suites/$1.json" ] || continue
		line=$(dd_vector "$r" "$1" "$2")
		[ -n "$line" ] && break
	done
	[ -n "${line:-}" ] || dd_fail "$1/$2: no such vector in $SF_V or $SF_G"
	read -r SF_IN SF_FMT SF_MD5 <<<"$line"
	[ -f "$SF_IN" ] || dd_fail "$1/$2: $SF_IN missing"
}

# sf_result NAME CLIENT GOT RC LOG: log the outcome; on a mismatch keep
# LOG (the client's stderr) as $DD_OUT/NAME.CLIENT.log, else drop it.
sf_result() {
	local name=$1 client=$2 got=$3 rc=$4 log=$5
	if [ "$rc" = 0 ] && [ "$got" = "$SF_MD5" ]; then
		dd_log "$name $client: ok ($got)"
		rm -f "$log"
		return 0
	fi
	cp "$log" "$DD_OUT/$name.$client.log" 2>/dev/null
	rm -f "$log"
	dd_log "$name $client: FAILED: status $rc, md5 ${got:-none}, suite $SF_MD5 (stderr: $DD_OUT/$name.$client.log)"
	tail -5 "$DD_OUT/$name.$client.log" 2>/dev/null | sed 's/^/    /'
	SF_FAILED="$SF_FAILED $name.$client"
	return 1
}

# sf_ffmpeg NAME DECODER: fluster's FFmpeg command for the stateful
# decoders (decoders/ffmpeg.py: -c:v DECODER -fps_mode passthrough
# -vf format=pix_fmts=FMT -f rawvideo), md5 of its output vs the suite's.
# It must have used our node ("Using device" in its log).
sf_ffmpeg() {
	local out=/tmp/sf-ffmpeg.yuv log=/tmp/sf-ffmpeg.log rc got=
	rm -f "$out"
	timeout -k 5 "$SF_SECS" ffmpeg -nostdin -hide_banner -loglevel info -c:v "$2" \
		-i "$SF_IN" -fps_mode passthrough -vf "format=pix_fmts=$SF_FMT" \
		-f rawvideo -y "$out" >"$log" 2>&1
	rc=$?
	[ -f "$out" ] && got=$(md5sum <"$out" | cut -d' ' -f1)
	rm -f "$out"
	# FFmpeg takes the first node with the coded format (v4l2_m2m.c)
	if grep -q 'Using device' "$log" && ! grep -q "Using device $SF_DEV\b" "$log"; then
		dd_log "$1 $2: not our node: $(grep -m1 'Using device' "$log")"
		rc=99
	fi
	sf_result "$1" "$2" "$got" "$rc" "$log"
}

# sf_gst NAME "PARSE ! DECODER": fluster's GStreamer pipeline
# (decoders/gstreamer.py), videocodectestsink's md5 vs the suite's.
sf_gst() {
	local log=/tmp/sf-gst.log fmt=I420 rc got
	case "$SF_FMT" in yuv420p10le) fmt=I420_10LE ;; esac
	got=$(dd_gst_md5 "$SF_IN" "$2" "$fmt" "$log" "$SF_SECS")
	rc=$?
	sf_result "$1" "$(echo "$2" | awk '{print $NF}')" "$got" "$rc" "$log"
}

# sf_client NAME SPLIT [ARGS...]: sfclient --split SPLIT --md5, md5 vs the
# suite's (sfclient writes I420, or I420_10LE from P010, as fluster hashes).
sf_client() {
	local name=$1 split=$2 log=/tmp/sf-client.log rc got
	shift 2
	timeout -k 5 "$SF_SECS" "$SF_CLIENT" -d "$SF_DEV" --split "$split" \
		--md5 "$@" "$SF_IN" >/tmp/sf-client.out 2>"$log"
	rc=$?
	got=$(sed -n 's/^md5 //p' /tmp/sf-client.out)
	sf_result "$name" "sfclient-$split" "$got" "$rc" "$log"
}

# sf_done: fail the test if any client failed.
sf_done() {
	[ -z "$SF_FAILED" ] || dd_fail "not byte-exact with the suite md5:$SF_FAILED"
	dd_log "all byte-exact"
	exit 0
}
