# Helpers of bench/*_device_vs_inprocess.sh, sourced in the guest. Not a
# bench itself. Everything said also goes to $DAEDALUS_RESULTS/bench.txt.

OUT=${DAEDALUS_RESULTS:-/tmp}
export DAEDALUS_TEST_RESULTS=$OUT DAEDALUS_TEST_NAME=bench
. tests/guest/daedalus-lib.sh
W=$(mktemp -d /var/tmp/bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

# bench_args USAGE ARGS...: --runs N and --frames N into RUNS and FRAMES,
# --threads N into THREADS where the caller set a default for it; any other
# argument goes to the caller's bench_flag (if it has one), else it is a
# usage error.
bench_args() {
	local usage=$1
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--runs) RUNS=$2; shift ;;
		--frames) FRAMES=$2; shift ;;
		--threads) [ -n "${THREADS:-}" ] && THREADS=$2 && shift || bench_usage "$usage" ;;
		*) declare -F bench_flag >/dev/null && bench_flag "$1" || bench_usage "$usage" ;;
		esac
		shift
	done
}
bench_usage() { echo "usage: $1" >&2; exit 2; }

say() { echo "bench: $*" | tee -a "$OUT/bench.txt"; }
now() { date +%s.%N; }
dt() { echo "$(now) $1" | awk '{printf "%.2f", $1-$2}'; }
med() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
fps() { awk -v n="$1" -v t="$2" 'BEGIN{printf "%.1f", n/t}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

# bench_runs RUNS FRAMES: times the caller's device_run and inprocess_run
# alternately (so that a busy host slows both alike), RUNS times; says each
# pair and the ratio, then the medians and their ratio. Returns non-zero
# as soon as a run fails.
bench_runs() {
	local runs=$1 n=$2 i t a b dev=() inp=() md mi
	for i in $(seq "$runs"); do
		t=$(now)
		device_run || { say "device run $i failed"; return 1; }
		a=$(dt "$t")
		t=$(now)
		inprocess_run || { say "in-process run $i failed"; return 1; }
		b=$(dt "$t")
		dev+=("$a") inp+=("$b")
		say "run $i: device $a s ($(fps "$n" "$a") fps), in-process $b s ($(fps "$n" "$b") fps), ratio $(ratio "$a" "$b")"
	done
	md=$(med "${dev[@]}") mi=$(med "${inp[@]}")
	say "median: device $md s, in-process $mi s: device/in-process = $(ratio "$md" "$mi")"
}
