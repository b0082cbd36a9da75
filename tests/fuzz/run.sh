#!/bin/bash
# tests/fuzz/run.sh [SECONDS] [TARGET...]: builds the libFuzzer targets
# (clang, ASan + UBSan, in build/fuzz) if needed, makes their seeds from
# recorded jobs (dd-fuzz-seed: conformance vectors -> a recording -> seeds)
# and runs each target for SECONDS (default 25) on its corpus.  Prints
#   PASS|FAIL <target> (execs N, crashes N)
# per target and exits non-zero if any target crashed, leaked, hung or
# ran out of memory (or did not build/run).  docs/fuzzing.md has the rest.
#
# Environment: DAEDALUS_FUZZ_BUILD (build dir, default build/fuzz),
# DAEDALUS_FUZZ_WORK (corpora, logs, crash files; default
# <build>/fuzz-work; the corpora grow from run to run),
# DAEDALUS_VECTORS (conformance vectors, default ../shared/vectors beside
# the source tree; with DAEDALUS_NO_SKIP set, as `make check` sets it, no
# seeds from them is a failure),
# DAEDALUS_FUZZ_RECORDINGS (more recordings to seed from, space-separated;
# default: the guest recording of the last `make check`, if any -- the only
# source of real AV1 jobs, there is no host-side AV1 client),
# DAEDALUS_FUZZ_JOBS (parallel targets, default 1; each uses one core).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd -P)
SECS=${1:-25}
[ $# -gt 0 ] && shift
TARGETS=("$@")
BUILD=${DAEDALUS_FUZZ_BUILD:-$REPO/build/fuzz}
WORK=${DAEDALUS_FUZZ_WORK:-$BUILD/fuzz-work}
PAR=${DAEDALUS_FUZZ_JOBS:-1}
BIN=$BUILD/tests/fuzz

case "$SECS" in ''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;; esac

# ---- build ----
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	CC=${CC:-clang} cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DDAEDALUS_FUZZ=ON >"$BUILD.cmake.log" 2>&1 ||
		{ cat "$BUILD.cmake.log"; echo "FAIL build (cmake, see above)"; exit 1; }
fi
if [ ${#TARGETS[@]} -eq 0 ]; then
	TARGETS=(fuzz_job fuzz_h264_headers fuzz_h264_decode fuzz_vpx_headers fuzz_vp9_decode fuzz_vp8_decode)
	# the AV1 targets exist when the build found the AV1 uAPI (DD_HAVE_AV1)
	grep -q '^DD_HAVE_AV1:INTERNAL=1$' "$BUILD/CMakeCache.txt" &&
		TARGETS+=(fuzz_av1_obu fuzz_av1_decode)
fi
if ! cmake --build "$BUILD" -j2 --target "${TARGETS[@]}" dd-fuzz-seed >"$BUILD.build.log" 2>&1; then
	tail -40 "$BUILD.build.log"
	echo "FAIL build (see $BUILD.build.log)"
	exit 1
fi

# ---- seeds: conformance vectors -> recorded jobs -> seeds ----
# plus the contexts of the guest's recordings (rec/SUITE/VECTOR/ctx<N>)
RECORDINGS=${DAEDALUS_FUZZ_RECORDINGS-$REPO/build/check/guest-device-nodaemon/tests/39-vpx-record/rec}
CTXS=()
for r in $RECORDINGS; do
	[ -d "$r" ] && while IFS= read -r d; do CTXS+=("$d"); done < <(find "$r" -type d -name 'ctx*')
done
mkdir -p "$WORK/logs" "$WORK/crashes"
rm -rf "$WORK/recording" "$WORK/seeds"
if "$BIN/dd-fuzz-seed" record "$WORK/recording" >"$WORK/logs/seed.log" 2>&1 &&
   "$BIN/dd-fuzz-seed" corpus "$WORK/seeds" "$WORK/recording" "${CTXS[@]}" >>"$WORK/logs/seed.log" 2>&1; then
	tail -1 "$WORK/logs/seed.log"
else
	cat "$WORK/logs/seed.log"
	if [ -n "${DAEDALUS_NO_SKIP:-}" ]; then
		echo "FAIL seeds: no seeds from recorded jobs"
		exit 1
	fi
	echo "warning: no seeds from recorded jobs; the targets start from empty corpora"
fi

max_len() {
	case $1 in
	fuzz_job) echo 16384 ;;
	fuzz_h264_headers) echo 2048 ;;
	fuzz_vpx_headers) echo 4112 ;;	# FZ_VPX_FRAMES frames of 1 + 255 bytes
	fuzz_av1_obu) echo 32768 ;;	# FZ_AV1_FRAMES frames: ~2 KB of controls, tiles
	*) echo 131072 ;;
	esac
}

# run_target NAME: one bounded libFuzzer run; writes $WORK/logs/NAME.result
run_target() {
	local t=$1 log=$WORK/logs/$1.log rc execs crashes before
	mkdir -p "$WORK/corpus/$t" "$WORK/seeds/${t#fuzz_}"
	before=$(ls "$WORK/crashes" | grep -c "^$t-" || true)
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	timeout -k 10 $((SECS + 120)) "$BIN/$t" \
		-max_total_time="$SECS" -timeout=20 -rss_limit_mb=2560 \
		-max_len="$(max_len "$t")" -print_final_stats=1 \
		-artifact_prefix="$WORK/crashes/$t-" \
		"$WORK/corpus/$t" "$WORK/seeds/${t#fuzz_}" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	crashes=$(( $(ls "$WORK/crashes" | grep -c "^$t-" || true) - before ))
	if [ "$rc" = 0 ] && [ "$crashes" = 0 ] && [ -n "$execs" ]; then
		echo "PASS $t (execs ${execs}, crashes 0)" >"$WORK/logs/$t.result"
	else
		[ "$crashes" = 0 ] && [ "$rc" != 0 ] && crashes=1
		{
			echo "FAIL $t (execs ${execs:-0}, crashes $crashes; exit $rc; log $log)"
			grep -E -A12 '^==[0-9]+==ERROR|runtime error|^fuzz_|deadly signal' "$log" | head -40 | sed 's/^/    /'
			ls -1 "$WORK/crashes" | grep "^$t-" | tail -3 | sed "s|^|    crash file: $WORK/crashes/|"
		} >"$WORK/logs/$t.result"
	fi
}

pids=()
for t in "${TARGETS[@]}"; do
	run_target "$t" &
	pids+=($!)
	if [ ${#pids[@]} -ge "$PAR" ]; then
		wait "${pids[0]}"
		pids=("${pids[@]:1}")
	fi
done
wait

status=0
for t in "${TARGETS[@]}"; do
	r=$(cat "$WORK/logs/$t.result" 2>/dev/null || echo "FAIL $t (no result)")
	echo "$r"
	case $r in PASS*) ;; *) status=1 ;; esac
	cov=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$WORK/logs/$t.log" 2>/dev/null | tail -1 | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [0-9]+\/[^ ]+).*/\1/')
	[ -n "$cov" ] && echo "     $cov"
done
exit $status
