#!/bin/bash
# tests/conformance.sh (make conformance): the full fluster conformance suites
# (those in ../shared/vectors/suites) through GStreamer's V4L2 stateless
# decoders and OUR device, in one guest boot, -j1. Summaries (markdown, one
# per suite) and a total go to build/conformance/.
#
#   tests/conformance.sh [--visl] [SUITE...]
#     --visl   run against visl instead (harness check only: md5s cannot match)
#     SUITE    e.g. JVT-AVC_V1 VP8-TEST-VECTORS (default: all of them)
#   DAEDALUS_FLUSTER_TIMEOUT  per-vector timeout in seconds (default 120)
#
# Exit status 0 only if every vector of every suite run matched.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
ALL=(JVT-AVC_V1 JVT-FR-EXT JVT-Professional_profiles VP8-TEST-VECTORS
     VP9-TEST-VECTORS VP9-LIBVPX-GEN AV1-TEST-VECTORS
     CHROMIUM-8bit-AV1-TEST-VECTORS CHROMIUM-10bit-AV1-TEST-VECTORS)

decoder_for() {
	case "$1" in
	JVT-*) echo GStreamer-H.264-V4L2SL-Gst1.0 ;;
	VP8-*) echo GStreamer-VP8-V4L2SL-Gst1.0 ;;
	VP9-*) echo GStreamer-VP9-V4L2SL-Gst1.0 ;;
	*AV1*) echo GStreamer-AV1-V4L2SL-Gst1.0 ;;
	esac
}

if [ "${1:-}" = --in-guest ]; then
	# ---- guest side: $DAEDALUS_RESULTS is build/conformance/run on the host
	shift
	out=$DAEDALUS_RESULTS
	total_ok=0 total=0 bad=0
	: >"$out/totals.txt"
	for s in "$@"; do
		d=$(decoder_for "$s")
		[ -f "../shared/vectors/suites/$s.json" ] || { echo "conformance: no suite $s"; bad=1; continue; }
		echo "=== $s with $d"
		t0=$(date +%s)
		fluster -ne -r ../shared/vectors -tsd ../shared/vectors/suites run -j1 \
			-t "${DAEDALUS_FLUSTER_TIMEOUT:-120}" -d "$d" -ts "$s" \
			-s -so "$out/$s.md" >"$out/$s.log" 2>&1
		rc=$?
		ran=$(grep -E '^Ran [0-9]+/[0-9]+ tests' "$out/$s.log" | tail -1)
		ok=$(echo "$ran" | sed -nE 's/^Ran ([0-9]+)\/([0-9]+).*/\1/p')
		n=$(echo "$ran" | sed -nE 's/^Ran ([0-9]+)\/([0-9]+).*/\2/p')
		line="$s ($d): ${ok:-?}/${n:-?} passed in $(( $(date +%s) - t0 ))s (fluster status $rc)"
		echo "$line" | tee -a "$out/totals.txt"
		total_ok=$((total_ok + ${ok:-0})); total=$((total + ${n:-0}))
		[ -n "$ok" ] && [ "$ok" = "$n" ] || bad=1
	done
	echo "TOTAL: $total_ok/$total vectors passed" | tee -a "$out/totals.txt"
	[ "$bad" = 0 ]
	exit
fi

# ---- host side -------------------------------------------------------------
cd "$REPO" || exit 1
mode=()
[ "${1:-}" = --visl ] && { mode=(--visl); shift; }
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=("${ALL[@]}")
OUT=$REPO/build/conformance
rm -rf "$OUT/run"
mkdir -p "$OUT/run"
[ ${#mode[@]} -gt 0 ] && echo "conformance: against visl: a harness check only, every md5 will differ"
tests/vm/run "${mode[@]}" --timeout 14400 --results "$OUT/run" -- tests/conformance.sh --in-guest "${suites[@]}"
rc=$?
cp "$OUT"/run/*.md "$OUT"/run/totals.txt "$OUT/" 2>/dev/null
echo "conformance: summaries in $OUT/ (*.md, totals.txt; logs in $OUT/run/)"
[ -f "$OUT/totals.txt" ] && cat "$OUT/totals.txt"
exit $rc
