#!/bin/bash
# tests/guest/run-all.sh [--visl] [NAME-PATTERN...]: GUEST side; run it through
#   tests/vm/run -- tests/guest/run-all.sh            (our device + daemon)
#   tests/vm/run --visl -- tests/guest/run-all.sh --visl   (the visl driver)
#
# Runs every tests/guest/*.test (or tests/guest/visl/*.test with --visl) in
# name order, inside the one guest boot, checking the kernel log after each.
# See tests/guest/README.md for the convention. Last line:
#   guest: N passed, N failed            (", N skipped" appended if any)
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd -P)
DIR=$REPO/tests/guest
MODE=device
if [ "${1:-}" = --visl ]; then MODE=visl; DIR=$REPO/tests/guest/visl; shift; fi
if [ "${DAEDALUS_MODE:-}" != "$MODE" ]; then
	echo "run-all: the guest was booted for '${DAEDALUS_MODE:-no guest}', these tests need '$MODE'" >&2
	echo "run-all: use tests/vm/run $([ "$MODE" = visl ] && echo '--visl ')-- tests/guest/run-all.sh $([ "$MODE" = visl ] && echo --visl)" >&2
	echo "guest: 0 passed, 1 failed"
	exit 1
fi
RESULTS=${DAEDALUS_RESULTS:-/tmp/guest-results}

# Tests enable trace events. With options/record-cmd set (the default) the
# first enabled event hooks sched_switch and the last disabled one unhooks
# it, each time patching __schedule's static branch; under TCG such
# patching has oopsed the guest ("Oops: int3" in __schedule, seen after
# 47-daedalus-trace). The tests read thread ids, not command names.
TR=/sys/kernel/tracing
[ -e $TR/options ] || mount -t tracefs nodev $TR 2>/dev/null
[ -e $TR/options/record-cmd ] && echo 0 >$TR/options/record-cmd
CHECK=$REPO/tests/vm/dmesg-check

# Device boots come with or without the daemon (tests/vm/run --no-daemon);
# a test's "# boot: daemon|no-daemon|any" header line (default: daemon) says
# in which it runs. visl tests ignore it.
BOOT=daemon
[ "$MODE" = device ] && [ -z "${DAEDALUS_DAEMON_PID:-}" ] && BOOT=no-daemon
# A test with a header line "# open-bug: WHAT" shows a bug not fixed yet:
# it fails, so it runs only with DAEDALUS_OPEN_BUGS=1, and is listed as
# OPEN (neither passed nor skipped) otherwise.
tests=() open=()
for t in "$DIR"/*.test; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .test)
	if [ "$MODE" = device ]; then
		want=$(sed -n 's/^# *boot: *\([a-z-]*\).*/\1/p' "$t" | head -1)
		case "${want:-daemon}" in any|"$BOOT") ;; *) continue ;; esac
	fi
	if [ $# -gt 0 ]; then
		m=0; for p; do case "$name" in *$p*) m=1 ;; esac; done
		[ "$m" = 1 ] || continue
	fi
	bug=$(sed -n 's/^# *open-bug: *//p' "$t" | head -1)
	if [ -n "$bug" ] && [ -z "${DAEDALUS_OPEN_BUGS:-}" ]; then
		open+=("OPEN $name (not run, DAEDALUS_OPEN_BUGS=1 runs it): $bug")
		continue
	fi
	tests+=("$t")
done
[ ${#open[@]} -gt 0 ] && printf '%s\n' "${open[@]}"
if [ ${#tests[@]} = 0 ]; then
	echo "run-all: no tests found in $DIR${*:+ matching $*}$([ "$MODE" = device ] && echo " for a $BOOT boot")" >&2
	echo "guest: 0 passed, 1 failed"
	exit 1
fi

# Anything already in the kernel log is not a test's fault, but is reported.
"$CHECK" "before the tests" || echo "run-all: (the kernel log had problems before the first test)"

pass=0 fail=0 skip=0 failed=()
for t in "${tests[@]}"; do
	name=$(basename "$t" .test)
	limit=$(sed -n 's/^# *timeout: *\([0-9][0-9]*\).*/\1/p' "$t" | head -1)
	# the harness's limit, not a promise of the test: scaled for slow kernels
	limit=$(( ${limit:-300} * ${DAEDALUS_TIMEOUT_SCALE:-1} ))
	out=$RESULTS/tests/$name
	mkdir -p "$out"
	echo "=== $name (timeout ${limit}s)"
	start=$(date +%s.%N)
	if [ ! -x "$t" ]; then
		echo "run-all: $t is not executable" >"$out/log"
		rc=126
	else
		(cd "$REPO" && DAEDALUS_TEST_RESULTS=$out DAEDALUS_TEST_NAME=$name \
			timeout -k 5 "$limit" "$t") 2>&1 | tee "$out/log"
		rc=${PIPESTATUS[0]}
	fi
	secs=$(echo "$(date +%s.%N) $start" | awk '{printf "%.1f", $1-$2}')
	why=
	[ "$rc" = 124 ] && why="timed out after ${limit}s"
	[ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -z "$why" ] && why="exit status $rc"
	if ! "$CHECK" "$name" 2>"$out/dmesg-hits"; then
		cat "$out/dmesg-hits"
		why="${why:+$why; }kernel log problems"
	fi
	if [ -n "${DAEDALUS_DAEMON_PID:-}" ] && ! kill -0 "$DAEDALUS_DAEMON_PID" 2>/dev/null; then
		why="${why:+$why; }daedalusd is not running any more"
		DAEDALUS_DAEMON_PID=
	fi
	if [ -n "$why" ]; then
		echo "FAIL $name (${secs}s): $why"
		fail=$((fail + 1)); failed+=("$name")
	elif [ "$rc" = 77 ]; then
		echo "SKIP $name (${secs}s)"
		skip=$((skip + 1))
	else
		echo "PASS $name (${secs}s)"
		pass=$((pass + 1))
	fi
done

[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
[ ${#open[@]} -gt 0 ] && printf '%s\n' "${open[@]}"
if [ "$skip" -gt 0 ]; then
	echo "guest: $pass passed, $fail failed, $skip skipped"
else
	echo "guest: $pass passed, $fail failed"
fi
[ "$fail" = 0 ]
