#!/bin/bash
# bench/vp9_device_vs_inprocess.sh [--vp8] [--threads N] [--runs N] [--frames N]
#
# VP9 (or VP8 with --vp8) decode time through our device versus libavcodec
# in process with the same number of threads, in the same QEMU guest
# (tests/vm/run --no-daemon, TCG: absolute numbers are meaningless, the ratio
# is the point). In the guest:
#   1. makes a 1920x1080 clip with libvpx's vpxenc from ffmpeg's testsrc2
#      (--frames frames, default 60; realtime mode; VP9: 4 tile columns,
#      backward adaptation (frame_parallel_decoding_mode=0)), as IVF, kept
#      in build/guest/bench/;
#   2. starts daedalusd --threads N (default 1): the thread budget the core
#      hands to the one stream's decoder; decodes the clip once through the
#      device and stops unless every frame is byte-exact with ffmpeg's;
#   3. alternately, --runs times (default 3), times
#      (a) gst-launch-1.0 filesrc ! ivfparse ! [vp9parse !] v4l2slvp9dec|v4l2slvp8dec
#          ! fakesink sync=false   (our device: V4L2 requests -> daedalusd)
#      (b) ffmpeg -threads N -thread_type slice -c:v vp9|vp8 -i clip -f null -
#          (libavcodec in process; slice (tile) threads, as a decoder that must
#          finish each picture within its job can use)
#   4. prints each pair and the ratio device / in-process (median of the runs),
#      and, for reference, GStreamer without decoding and (N > 1) ffmpeg with
#      its default frame threads.
# Not a test: timing never decides pass or fail. Meaningful once daedalusd
# has a VP9 / VP8 backend (before that the device run fails). Results also
# go to build/guest/results/latest/bench.txt.
set -u
if [ "${1:-}" != --in-guest ]; then
	REPO=$(cd "$(dirname "$0")/.." && pwd -P)
	exec "$REPO/tests/vm/run" --no-daemon --timeout 1800 -- bench/vp9_device_vs_inprocess.sh --in-guest "$@"
fi
shift
CODEC=vp9 THREADS=1 RUNS=3 FRAMES=60
bench_flag() { [ "$1" = --vp8 ] && CODEC=vp8; }
. bench/bench-lib.sh
bench_args "$0 [--vp8] [--threads N] [--runs N] [--frames N]" "$@"

if [ "$CODEC" = vp9 ]; then
	enc=(--codec=vp9 --tile-columns=2 --frame-parallel=0)
	chain="ivfparse ! vp9parse ! v4l2slvp9dec" parse="ivfparse ! vp9parse"
else
	enc=(--codec=vp8 --token-parts=2)
	chain="ivfparse ! v4l2slvp8dec" parse="ivfparse"
fi
# The clip is kept in build/guest/bench (vpxenc takes minutes under TCG).
ENC=("${enc[@]}" --rt --cpu-used=8 --threads=2 --end-usage=vbr --target-bitrate=4000)
CLIP=$DAEDALUS_BUILD/bench/clip1080-$CODEC-$FRAMES-$(echo "${ENC[*]}" | md5sum | cut -c1-8).ivf
t0=$(now)
if [ ! -f "$CLIP" ]; then
	mkdir -p "${CLIP%/*}"
	ffmpeg -v error -f lavfi -i "testsrc2=size=1920x1080:rate=30" -frames:v "$FRAMES" \
		-pix_fmt yuv420p -f yuv4mpegpipe - |
		vpxenc -q --ivf "${ENC[@]}" -o "$CLIP.tmp" - && mv "$CLIP.tmp" "$CLIP" ||
		{ say "clip generation failed"; exit 1; }
fi
n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$CLIP")
say "clip: $CODEC 1920x1080, $n frames, $(stat -c %s "$CLIP") bytes (ready in $(dt "$t0") s); $(nproc) guest CPUs, $(uname -r)"
dd_start_daemon --threads "$THREADS"
trap 'kill "$DD_DPID" 2>/dev/null; wait; rm -rf "$W"' EXIT
say "daemon: daedalusd --threads $THREADS (pid $DD_DPID); in-process: $(ffmpeg -version | head -1), -threads $THREADS -thread_type slice"

# Timing means nothing unless the device really decodes: its frames must be
# ffmpeg's, byte for byte.
got=$(dd_decode_with "$CLIP" "$W/check.nv12" "$chain" 600); st=$?
sum=$(md5sum <"$W/check.nv12" | cut -d' ' -f1) ref=$(dd_ref_md5 "$CLIP")
rm -f "$W/check.nv12"
if [ "$st" != 0 ] || [ "$sum" != "$ref" ]; then
	say "device output is not ffmpeg's ($got frames, md5 $sum, ffmpeg $ref, gst status $st): no timing (is there a $CODEC backend?)"
	exit 1
fi
say "device output checked: $got frames, byte-exact with ffmpeg (NV12)"

device_run() {
	# shellcheck disable=SC2086
	gst-launch-1.0 -q filesrc location="$CLIP" ! $chain ! \
		fakesink sync=false >"$W/gst.log" 2>&1 || { cat "$W/gst.log"; return 1; }
}
inprocess_run() { ffmpeg -v error -threads "$THREADS" -thread_type slice -c:v "$CODEC" -i "$CLIP" -f null -; }
bench_runs "$RUNS" "$n" || exit 1
# for reference: GStreamer without decoding; frame threads in process
t=$(now)
# shellcheck disable=SC2086
gst-launch-1.0 -q filesrc location="$CLIP" ! $parse ! fakesink sync=false >/dev/null 2>&1
say "for reference: gst-launch filesrc ! $parse ! fakesink (no decoding) $(dt "$t") s"
if [ "$THREADS" -gt 1 ]; then
	t=$(now)
	ffmpeg -v error -threads "$THREADS" -c:v "$CODEC" -i "$CLIP" -f null -
	say "for reference: in-process with ffmpeg's default (frame) threads $(dt "$t") s"
fi
