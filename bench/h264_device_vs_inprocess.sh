#!/bin/bash
# bench/h264_device_vs_inprocess.sh [--runs N] [--frames N]
#
# H.264 decode time through our device versus libavcodec in process, in the
# same QEMU guest (tests/vm/run, TCG: absolute numbers are meaningless, the
# ratio is the point). In the guest:
#   1. makes a 1920x1080 clip (ffmpeg testsrc2 + libx264, --frames frames,
#      default 90, High profile, B frames), as an Annex-B elementary stream;
#   2. alternately, --runs times (default 3), times
#      (a) gst-launch-1.0 filesrc ! h264parse ! v4l2slh264dec ! fakesink sync=false
#          (our device: V4L2 requests -> daedalusd -> libavcodec, thread_count=1)
#      (b) ffmpeg -threads 1 -i clip -f null -   (libavcodec in process, 1 thread)
#   3. prints each pair and the ratio device / in-process (median of the runs).
# Not a test: timing never decides pass or fail. Results also go to
# build/guest/results/latest/bench.txt.
set -u
if [ "${1:-}" != --in-guest ]; then
	REPO=$(cd "$(dirname "$0")/.." && pwd -P)
	exec "$REPO/tests/vm/run" --timeout 1500 -- bench/h264_device_vs_inprocess.sh --in-guest "$@"
fi
shift
RUNS=3 FRAMES=90
. bench/bench-lib.sh
bench_args "$0 [--runs N] [--frames N]" "$@"
CLIP=$W/clip1080.h264

t0=$(now)
ffmpeg -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" -frames:v "$FRAMES" \
	-c:v libx264 -preset veryfast -profile:v high -bf 2 -g 60 -pix_fmt yuv420p \
	-bsf:v h264_mp4toannexb -f h264 "$CLIP" || { say "clip generation failed"; exit 1; }
n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$CLIP")
say "clip: 1920x1080, $n frames, $(stat -c %s "$CLIP") bytes (made in $(dt "$t0") s); $(nproc) guest CPUs, $(uname -r)"
say "daemon: pid ${DAEDALUS_DAEMON_PID:-none}; in-process: $(ffmpeg -version | head -1)"

device_run() {
	gst-launch-1.0 -q filesrc location="$CLIP" ! h264parse ! v4l2slh264dec ! \
		fakesink sync=false >"$W/gst.log" 2>&1 || { cat "$W/gst.log"; return 1; }
}
inprocess_run() { ffmpeg -v error -threads 1 -i "$CLIP" -f null -; }
bench_runs "$RUNS" "$n" || exit 1
# what GStreamer costs without any decoding (startup + h264parse), for reference
t=$(now)
gst-launch-1.0 -q filesrc location="$CLIP" ! h264parse ! fakesink sync=false >/dev/null 2>&1
say "for reference: gst-launch filesrc ! h264parse ! fakesink (no decoding) $(dt "$t") s"
