#!/bin/bash
# tests/vectors/gen-vpx.sh [OUT]: make our generated fluster suites
#   VP9-LIBVPX-GEN-EXT  what ../shared's VP9-LIBVPX-GEN lacks (issue 8)
#   VP8-LIBVPX-GEN      VP8 streams beside the official VP8-TEST-VECTORS
# in OUT (default build/vectors; fluster layout: OUT/suites/<suite>.json,
# OUT/<suite>/<vector>/<vector>.ivf) with libvpx's vpxenc, from ffmpeg's
# testsrc2 pattern. Expected md5: libvpx's vpxdec --md5 (what fluster's
# GStreamer decoders hash: the raw frames, unpadded, in the suite's
# output_format: --i420 for yuv420p, --rawvideo (16-bit LE) for
# yuv420p10le), cross-checked with ffmpeg (-noautoscale -fps_mode
# passthrough: without them the CLI rescales frames to the first frame's
# size and duplicates frames to a constant rate). Each stream is checked with vpx-headers.py to have
# the feature it is made for. OUT/GENERATED.md lists options, header
# summaries and both md5s.
#
# Regenerated only when this script, vpx-headers.py (with ivfbits.py) or vpxenc's version
# changes (OUT/.stamp). Needs vpxenc, vpxdec (vpx-tools), ffmpeg, python3:
# tests/vm/build-guest runs it in the guest root (Debian 13: vpx-tools
# 1.15, ffmpeg 7.1) used as a chroot, so the host needs none of them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd -P)
OUT=$(realpath -m "${1:-$HERE/../../build/vectors}")
HDR=$HERE/vpx-headers.py
for t in vpxenc vpxdec ffmpeg python3; do
	command -v "$t" >/dev/null || { echo "gen-vpx: $t missing (vpx-tools, ffmpeg, python3)" >&2; exit 1; }
done
VPXVER=$(vpxenc --help 2>&1 | sed -n 's/.*VP9 Encoder \(v[^ ]*\).*/\1/p' | head -1)
STAMP=$( { cat "$0" "$HDR" "$HERE/ivfbits.py"; echo "$VPXVER"; } | sha1sum | cut -c1-16)
[ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$STAMP" ] && exit 0

t0=$(date +%s.%N)
TMP=$OUT.tmp-$$
rm -rf "$TMP"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/suites" "$TMP/.src"
: >"$TMP/.list"

# src NAME WxH FRAMES PIXFMT: testsrc2 cropped exactly to WxH (testsrc2 and a
# plain crop round odd 4:2:0 sizes down to even ones).
src() {
	local f=$TMP/.src/$1.y4m w=${2%x*} h=${2#*x}
	[ -f "$f" ] && return
	ffmpeg -v error -f lavfi -i "testsrc2=size=$(((w + 1) / 2 * 2))x$(((h + 1) / 2 * 2)):rate=30" \
		-vf "crop=$w:$h:0:0:exact=1" -frames:v "$3" -pix_fmt "$4" -strict -1 "$f"
}

# vec SUITE NAME SOURCE FORMAT "REQUIREMENTS" VPXENC-OPTIONS...
vec() {
	local suite=$1 name=$2 source=$3 fmt=$4 req=$5 d ivf sum ref ff ffsum rawopt
	shift 5
	d=$TMP/$suite/$name
	ivf=$d/$name.ivf
	mkdir -p "$d"
	vpxenc -q --ivf "$@" -o "$ivf" "$TMP/.src/$source.y4m" 2>"$d.log" ||
		{ cat "$d.log" >&2; echo "gen-vpx: vpxenc failed for $name" >&2; exit 1; }
	# shellcheck disable=SC2086
	sum=$(python3 "$HDR" "$ivf" $req) || { echo "gen-vpx: $name lacks what it is made for" >&2; exit 1; }
	rawopt=--i420
	[ "$fmt" = yuv420p ] || rawopt=--rawvideo
	ref=$(vpxdec --md5 "$rawopt" "$ivf" | cut -d' ' -f1)
	ffsum=$(ffmpeg -v error -i "$ivf" -noautoscale -fps_mode passthrough -f rawvideo -pix_fmt "$fmt" - | md5sum | cut -d' ' -f1)
	ff=agrees
	[ "$ffsum" = "$ref" ] || ff="DIFFERS ($ffsum)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$suite" "$name" "$fmt" "$ref" "$ff" "$*" "$sum" >>"$TMP/.list"
	echo "gen-vpx: $suite/$name: vpxdec $ref, ffmpeg $ff"
}

VP9=(--codec=vp9 --good --cpu-used=4 --threads=1)
P2=(--profile=2 --bit-depth=10 --input-bit-depth=10)
VP8=(--codec=vp8 --good --cpu-used=4 --threads=1)
RT=(--rt --cpu-used=8 --threads=1 --end-usage=cbr --lag-in-frames=0)

src s352 352x288 40 yuv420p
src s352p10 352x288 40 yuv420p10le
src o199 199x131 40 yuv420p
src o201p10 201x97 20 yuv420p10le
src s576 576x320 10 yuv420p
src s176p10 176x144 10 yuv420p10le
src o175 175x143 30 yuv420p
src o33 33x17 20 yuv420p

S="VP9-LIBVPX-GEN-EXT"
# Two-pass spatial resampling: inter frames at 2/3 size predicted from
# full-size references, then back up (reference scaling both ways).
vec $S resize-ref-scaling s352 yuv420p "ref_scaled>=1 size_changes>=2 hidden>=1" \
	"${VP9[@]}" --passes=2 --target-bitrate=30 --resize-allowed=1 --limit=40
vec $S resize-ref-scaling-10bit s352p10 yuv420p10le "ref_scaled>=1 size_changes>=2 bitdepth=10" \
	"${VP9[@]}" "${P2[@]}" --passes=2 --target-bitrate=20 --resize-allowed=1 --limit=40
vec $S resize-odd-adapt o199 yuv420p "ref_scaled>=1 size_changes>=1 frame_parallel=0" \
	"${VP9[@]}" --passes=2 --target-bitrate=10 --resize-allowed=1 --frame-parallel=0 --limit=40
# Odd sizes (the shared odd-size-199x131 is really 198x130).
vec $S odd-199x131-multi-arf o199 yuv420p "sizes=199x131 show_existing>=1 hidden>=1 frame_parallel=0" \
	"${VP9[@]}" --passes=2 --auto-alt-ref=6 --frame-parallel=0 --limit=40
vec $S odd-10bit-201x97 o201p10 yuv420p10le "sizes=201x97 bitdepth=10 frame_parallel=0" \
	"${VP9[@]}" "${P2[@]}" --passes=2 --frame-parallel=0 --limit=20
# Tile rows need --threads=1 (vpxenc drops them with more threads).
vec $S tiles-2col-4row s576 yuv420p "tile_rows_log2>=2 tile_cols_log2>=1" \
	"${VP9[@]}" --tile-columns=1 --tile-rows=2 --limit=10
vec $S lossless-10bit s176p10 yuv420p10le "lossless>=10 bitdepth=10" \
	"${VP9[@]}" "${P2[@]}" --lossless=1 --limit=10
# Error resilience: every frame resets all four frame contexts (and
# never refreshes them), with a hidden alt-ref in a superframe.
vec $S error-resilient-arf s352 yuv420p "error_res>=30 no_refresh_ctx>=30 hidden>=1" \
	"${VP9[@]}" --passes=2 --error-resilient=1 --auto-alt-ref=1 --lag-in-frames=16 --limit=30
vec $S error-resilient-10bit-rt s352p10 yuv420p10le "error_res>=20 bitdepth=10" \
	--codec=vp9 "${RT[@]}" "${P2[@]}" --target-bitrate=300 --error-resilient=1 --limit=20
# Backward adaptation (frame_parallel_decoding_mode=0; libvpx's default
# is 1) across key frames that reset the adapted contexts.
vec $S ctx-adapt-kf10 s352 yuv420p "frame_parallel=0 key>=3 hidden>=1" \
	"${VP9[@]}" --passes=2 --frame-parallel=0 --auto-alt-ref=1 --kf-max-dist=10 --limit=30

S="VP8-LIBVPX-GEN"
vec $S token-parts-8-arf s352 yuv420p "token_parts=8 hidden>=1 sign_bias_altref>=1" \
	"${VP8[@]}" --passes=2 --token-parts=3 --auto-alt-ref=1 --lag-in-frames=16 --limit=30
vec $S odd-175x143-parts-4 o175 yuv420p "sizes=175x143 token_parts=4" \
	"${VP8[@]}" --passes=2 --token-parts=2 --auto-alt-ref=1 --limit=30
# 8 partitions but only 2 macroblock rows: six partitions are empty.
vec $S tiny-33x17-parts-8 o33 yuv420p "sizes=33x17 token_parts=8" \
	"${VP8[@]}" --passes=2 --token-parts=3 --limit=20
vec $S error-resilient-rt s352 yuv420p "token_parts=8" \
	--codec=vp8 "${RT[@]}" --target-bitrate=200 --error-resilient=1 --token-parts=3 --limit=30
# Spatial resampling in VP8: new sizes at key frames (like segmentation-1425).
vec $S resize-keyframes s352 yuv420p "size_changes>=2 key>=3" \
	--codec=vp8 "${RT[@]}" --target-bitrate=10 --resize-allowed=1 --resize-up=60 --resize-down=30 --kf-max-dist=10 --buf-sz=500 --limit=40

# the suite files and GENERATED.md
python3 - "$TMP" "$VPXVER" <<'EOF'
import json, sys
tmp, ver = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(f"{tmp}/.list")]
for suite, codec in (("VP9-LIBVPX-GEN-EXT", "VP9"), ("VP8-LIBVPX-GEN", "VP8")):
    vectors = [{
        "name": r[1],
        "source": f"generated by tests/vectors/gen-vpx.sh: vpxenc {ver} {r[5]}",
        "source_checksum": "",
        "input_file": f"{r[1]}.ivf",
        "output_format": r[2],
        "result": r[3],
    } for r in rows if r[0] == suite]
    with open(f"{tmp}/suites/{suite}.json", "w") as fh:
        json.dump({"name": suite, "codec": codec,
                   "description": f"{codec} streams made with libvpx's vpxenc {ver} "
                                  "by tests/vectors/gen-vpx.sh; expected md5 from vpxdec",
                   "test_vectors": vectors}, fh, indent=4)
        fh.write("\n")
with open(f"{tmp}/GENERATED.md", "w") as fh:
    fh.write(f"# Generated by tests/vectors/gen-vpx.sh (vpxenc/vpxdec {ver})\n\n"
             "| suite | vector | format | md5 (vpxdec) | ffmpeg | vpxenc options | headers |\n"
             "|---|---|---|---|---|---|---|\n")
    for r in rows:
        fh.write("| " + " | ".join(f"`{c}`" if i in (3, 5, 6) else c
                                     for i, c in enumerate(r)) + " |\n")
EOF
n=$(wc -l <"$TMP/.list")
rm -rf "$TMP/.src" "$TMP/.list" "$TMP"/*/*.log
echo "$STAMP" >"$TMP/.stamp"
rm -rf "$OUT.old"
[ -e "$OUT" ] && mv "$OUT" "$OUT.old"
mv "$TMP" "$OUT"
rm -rf "$OUT.old"
echo "gen-vpx: $n vectors in $OUT ($(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1-$2}') s)"
