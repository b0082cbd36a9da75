# Helpers of bench/run, sourced on the host and in the guest. Not a bench
# itself. Everything said also goes to $DAEDALUS_RESULTS/bench.txt.

OUT=${DAEDALUS_RESULTS:-/tmp}
export DAEDALUS_TEST_RESULTS=$OUT DAEDALUS_TEST_NAME=bench
. tests/guest/daedalus-lib.sh
W=$(mktemp -d /var/tmp/bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

say() { echo "bench: $*" | tee -a "$OUT/bench.txt"; }
now() { date +%s.%N; }
dt() { echo "$(now) $1" | awk '{printf "%.2f", $1-$2}'; }
med() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
fps() { awk -v n="$1" -v t="$2" 'BEGIN{printf "%.1f", n/t}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

# bench_runs RUNS FRAMES: times the caller's device_run and inprocess_run
# alternately (so that a busy host slows both alike), RUNS times; each run
# leaves in $W/loop its decoding time without the process's start-up (the
# decoder's or daemon's own count). Says each pair, then the medians in
# seconds: wall clock in BENCH_DEV and BENCH_INP, decoding in
# BENCH_DEV_LOOP and BENCH_INP_LOOP. Returns non-zero as soon as a run fails.
bench_runs() {
	local runs=$1 n=$2 i t a b la lb dev=() inp=() devl=() inpl=()
	for i in $(seq "$runs"); do
		rm -f "$W/loop"
		t=$(now)
		device_run || { say "device run $i failed"; return 1; }
		a=$(dt "$t") la=$(cat "$W/loop")
		rm -f "$W/loop"
		t=$(now)
		inprocess_run || { say "in-process run $i failed"; return 1; }
		b=$(dt "$t") lb=$(cat "$W/loop")
		dev+=("$a") inp+=("$b") devl+=("$la") inpl+=("$lb")
		say "run $i: device $a s ($(fps "$n" "$a") fps; decoding $la s, $(fps "$n" "$la") fps)," \
			"in-process $b s ($(fps "$n" "$b") fps; decoding $lb s, $(fps "$n" "$lb") fps)"
	done
	BENCH_DEV=$(med "${dev[@]}") BENCH_INP=$(med "${inp[@]}")
	BENCH_DEV_LOOP=$(med "${devl[@]}") BENCH_INP_LOOP=$(med "${inpl[@]}")
	say "median: device $BENCH_DEV s (decoding $BENCH_DEV_LOOP s), in-process $BENCH_INP s" \
		"(decoding $BENCH_INP_LOOP s): device fps / in-process fps = $(ratio "$BENCH_INP" "$BENCH_DEV")" \
		"(decoding: $(ratio "$BENCH_INP_LOOP" "$BENCH_DEV_LOOP"))"
}
