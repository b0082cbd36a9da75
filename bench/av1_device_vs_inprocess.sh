#!/bin/bash
# bench/av1_device_vs_inprocess.sh [--threads N] [--runs N] [--frames N]
#
# AV1 decode time through our device versus dav1d in process with the same
# number of threads, in the same QEMU guest (tests/vm/run --no-daemon, TCG:
# absolute numbers are meaningless, the ratio is the point). In the guest:
#   1. makes a 1920x1080 clip with SVT-AV1 (ffmpeg's libsvtav1, preset 12,
#      4 tile columns, its default random-access structure: hidden frames
#      and show_existing_frame) from ffmpeg's testsrc2 (--frames frames,
#      default 60), as IVF, kept in build/guest/bench/;
#   2. starts daedalusd --threads N (default 1): the thread budget the core
#      hands to the one stream's decoder; decodes the clip once through the
#      device and stops unless its frames are byte-exact with dav1d's
#      (md5 of all shown frames, I420);
#   3. alternately, --runs times (default 3), times
#      (a) gst-launch-1.0 filesrc ! parsebin ! v4l2slav1dec ! fakesink sync=false
#          (our device: V4L2 requests -> daedalusd)
#      (b) dav1d --threads N --framedelay 1 -i clip --muxer null
#          (dav1d in process, one frame at a time, as a decoder that must
#          finish each picture within its job: tile and post-filter threads)
#   4. prints each pair and the ratio device / in-process (median of the
#      runs), and, for reference, GStreamer without decoding and dav1d
#      with its default threads and frame delay.
# Not a test: timing never decides pass or fail. Meaningful once daedalusd
# has an AV1 backend (before that the device check fails). Results also go
# to build/guest/results/latest/bench.txt.
set -u
if [ "${1:-}" != --in-guest ]; then
	REPO=$(cd "$(dirname "$0")/.." && pwd -P)
	exec "$REPO/tests/vm/run" --no-daemon --timeout 1800 -- bench/av1_device_vs_inprocess.sh --in-guest "$@"
fi
shift
THREADS=1 RUNS=3 FRAMES=60
. bench/bench-lib.sh
bench_args "$0 [--threads N] [--runs N] [--frames N]" "$@"
chain="parsebin ! v4l2slav1dec"

# The clip is kept in build/guest/bench (SVT-AV1 takes a minute under TCG).
ENC=(-c:v libsvtav1 -preset 12 -crf 35 -svtav1-params tile-columns=2)
CLIP=$DAEDALUS_BUILD/bench/clip1080-av1-$FRAMES-$(echo "${ENC[*]}" | md5sum | cut -c1-8).ivf
t0=$(now)
if [ ! -f "$CLIP" ]; then
	mkdir -p "${CLIP%/*}"
	ffmpeg -v error -f lavfi -i "testsrc2=size=1920x1080:rate=30" -frames:v "$FRAMES" \
		-pix_fmt yuv420p "${ENC[@]}" -f ivf "$CLIP.tmp" 2>"$W/enc.log" && mv "$CLIP.tmp" "$CLIP" ||
		{ cat "$W/enc.log"; say "clip generation failed"; exit 1; }
fi
hdr=$(python3 tests/vectors/av1-headers.py "$CLIP")
n=$(echo "$hdr" | sed -n 's/.* shown=\([0-9]*\) .*/\1/p')
say "clip: av1 1920x1080, $hdr, $(stat -c %s "$CLIP") bytes (ready in $(dt "$t0") s); $(nproc) guest CPUs, $(uname -r)"
dd_start_daemon --threads "$THREADS"
trap 'kill "$DD_DPID" 2>/dev/null; wait; rm -rf "$W"' EXIT
say "daemon: daedalusd --threads $THREADS (pid $DD_DPID); in-process: dav1d $(dav1d --version 2>&1) --threads $THREADS --framedelay 1"

# Timing means nothing unless the device really decodes: its frames must be
# dav1d's, byte for byte.
sum=$(dd_gst_md5 "$CLIP" "$chain" I420 "$W/check.log" 600); st=$?
dav1d -q -i "$CLIP" --muxer yuv -o "$W/ref.yuv"	# ("-o -" writes nothing)
ref=$(md5sum <"$W/ref.yuv" | cut -d' ' -f1)
rm -f "$W/ref.yuv"
if [ "$st" != 0 ] || [ "$sum" != "$ref" ]; then
	tail -5 "$W/check.log"
	say "device output is not dav1d's (md5 ${sum:-none}, dav1d $ref, gst status $st): no timing (is there an av1 backend?)"
	exit 1
fi
say "device output checked: the $n shown frames byte-exact with dav1d's (I420 md5 $sum)"

device_run() {
	gst-launch-1.0 -q filesrc location="$CLIP" ! parsebin ! v4l2slav1dec ! \
		fakesink sync=false >"$W/gst.log" 2>&1 || { cat "$W/gst.log"; return 1; }
}
inprocess_run() { dav1d -q --threads "$THREADS" --framedelay 1 -i "$CLIP" --muxer null -o /dev/null; }
bench_runs "$RUNS" "$n" || exit 1
# for reference: GStreamer without decoding; dav1d as it runs by default
t=$(now)
gst-launch-1.0 -q filesrc location="$CLIP" ! parsebin ! fakesink sync=false >/dev/null 2>&1
say "for reference: gst-launch filesrc ! parsebin ! fakesink (no decoding) $(dt "$t") s"
t=$(now)
dav1d -q -i "$CLIP" --muxer null -o /dev/null
say "for reference: in-process with dav1d's default threads and frame delay $(dt "$t") s"
