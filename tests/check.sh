#!/bin/bash
# tests/check.sh (make check): every check of the project, in order. Each
# step passes or fails (a missing piece fails; nothing is skipped silently);
# later steps run even after a failure. Guest test counts are added to the
# step counts (a skipped guest test is counted as skipped, never as passed).
# Last line: "N passed, N failed" (", N skipped" if any guest test skipped).
# Exit status 0 only if nothing failed.
#
# Logs: build/check/<step>.log
#
# tests/check.sh --debug-kernel (make check-debug): the guest tests of both
# device boots on the debug kernel (tests/vm/run --debug-kernel), which fail
# on any KASAN, lockdep, kmemleak, debugobjects or hung-task report, after a
# self-check that each kind of report does fail a run. Logs: build/check-debug/.
set -u
# A unit test that cannot run (no vectors, no libavcodec) fails here instead
# of passing as skipped (tests/unit/skip.h, tests/fuzz/run.sh).
export DAEDALUS_NO_SKIP=1
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$REPO" || exit 1
DEBUGK=0
[ "${1:-}" = --debug-kernel ] && DEBUGK=1
LOGS=$REPO/build/check$([ "$DEBUGK" = 1 ] && echo -debug)
mkdir -p "$LOGS"
PASS=0 FAIL=0 SKIP=0
SUMMARY=()

# step NAME CMD...: run CMD, log to build/check/NAME.log (and stdout)
step() {
	local name=$1; shift
	local t0=$(date +%s) rc
	echo
	echo "######## check: $name: $*"
	"$@" 2>&1 | tee "$LOGS/$name.log"
	rc=${PIPESTATUS[0]}
	local secs=$(( $(date +%s) - t0 ))
	# guest test counts, if the step ran run-all.sh
	local g
	g=$(tr -d '\r' <"$LOGS/$name.log" | grep -E '^guest: [0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -n "$g" ]; then
		local gp gf
		gp=$(echo "$g" | sed -E 's/^guest: ([0-9]+) passed.*/\1/')
		gf=$(echo "$g" | sed -E 's/^guest: [0-9]+ passed, ([0-9]+) failed.*/\1/')
		PASS=$((PASS + gp)); FAIL=$((FAIL + gf))
		case "$g" in *skipped*) SKIP=$((SKIP + $(echo "$g" | sed -E 's/.*, ([0-9]+) skipped.*/\1/'))) ;; esac
	fi
	if [ "$rc" = 0 ]; then
		PASS=$((PASS + 1)); SUMMARY+=("PASS   $name (${secs}s)${g:+  [$g]}")
	else
		FAIL=$((FAIL + 1)); SUMMARY+=("FAILED $name (${secs}s, status $rc)${g:+  [$g]}")
	fi
	echo "######## check: $name: $([ "$rc" = 0 ] && echo PASS || echo "FAILED (status $rc)") in ${secs}s"
}

need_file() {  # fail a step because a piece it needs does not exist yet
	echo "missing: $1 (this check counts as FAILED until it exists)"
	return 1
}

newest() { ls -d $1 2>/dev/null | sort -V | tail -1; }

# The debug kernel's self-check: a throwaway module (tests/vm/provoke)
# provokes a lockdep report, a KASAN report and a leak; the guest's checks
# must catch each one.
debug_selfcheck() {
	local kd out=$REPO/build/check-debug/selfcheck src=$REPO/build/guest/debug/provoke rc
	kd=$(tests/vm/build-debug-kernel) || return 1
	rm -rf "$src" "$out" && mkdir -p "$src" && cp tests/vm/provoke/* "$src/" &&
		make -s -C "$kd/linux" M="$src" modules || { echo "cannot build tests/vm/provoke"; return 1; }
	# shellcheck disable=SC2016
	DAEDALUS_QUIET=1 tests/vm/run --debug-kernel --visl --timeout 300 --results "$out" -- sh -c '
		ko=build/guest/debug/provoke/dd_provoke.ko
		for w in lockdep kasan; do
			insmod $ko what=$w && rmmod dd_provoke
			if tests/vm/dmesg-check "provoked $w" 2>/dev/null; then
				echo "selfcheck: $w NOT caught"
			else
				echo "selfcheck: $w caught"
			fi
		done
		insmod $ko what=leak' >"$out.log" 2>&1
	rc=$?
	grep -h 'selfcheck:' "$out/console.log" | tr -d '\r'
	grep -h -m1 -E 'possible circular locking' "$out/dmesg.txt"
	grep -h -m1 -E 'BUG: KASAN' "$out/dmesg.txt"
	grep -h -m1 -A8 'unreferenced object' "$out/kmemleak.txt" 2>/dev/null
	local bad=0
	for w in lockdep kasan; do
		grep -q "selfcheck: $w caught" "$out/console.log" || { echo "the $w report was not caught"; bad=1; }
	done
	grep -q 'dd_provoke_leak' "$out/kmemleak.txt" 2>/dev/null && [ -f "$out/kmemleak-failed" ] ||
		{ echo "the leak was not caught"; bad=1; }
	[ "$rc" != 0 ] || { echo "tests/vm/run exited 0 although the guest leaked"; bad=1; }
	[ "$bad" = 0 ] && echo "ok: lockdep, KASAN and kmemleak reports each fail the run (tests/vm/run exited $rc)"
	return "$bad"
}
summary() {
	echo
	echo "######## summary"
	printf '  %s\n' "${SUMMARY[@]}"
	if [ "$SKIP" -gt 0 ]; then
		echo "$PASS passed, $FAIL failed, $SKIP skipped"
	else
		echo "$PASS passed, $FAIL failed"
	fi
	[ "$FAIL" = 0 ]
}

if [ "$DEBUGK" = 1 ]; then
	step debug-selfcheck debug_selfcheck
	step guest-device tests/vm/run --debug-kernel --timeout 1800 -- tests/guest/run-all.sh
	if grep -qsE '^# *boot: *(no-daemon|any)' tests/guest/*.test; then
		# the kill loop: 5 iterations, not 50 (each takes about 2 min here);
		# the hostile daemon: 10,000 malformed answers, not 100,000 (the
		# debug kernel had not refused 100,000 after 6 rounds of 4 clients, the
		# normal one refuses them in 15 s)
		step guest-device-nodaemon env DAEDALUS_KILL_ITERATIONS="${DAEDALUS_KILL_ITERATIONS:-5}" \
			DAEDALUS_HOSTILE_COUNT="${DAEDALUS_HOSTILE_COUNT:-10000}" \
			tests/vm/run --debug-kernel --no-daemon --timeout 1800 -- tests/guest/run-all.sh
	fi
	summary
	exit
fi

# 1-2. host unit tests, plain and with ASan/UBSan
if [ -f CMakeLists.txt ]; then
	step unit make unit
	step asan make asan
else
	step unit need_file CMakeLists.txt
	step asan need_file CMakeLists.txt
fi

# the libFuzzer targets for a bounded time (bench/fuzz.sh runs them longer)
# both cores: 25 s per target, two targets at a time
step fuzz env DAEDALUS_FUZZ_JOBS=2 tests/fuzz/run.sh 25

# 3-4. the module against Debian's 6.1 and 6.12 header trees; checkpatch
K61=$(newest '/usr/src/linux-headers-6.1.*-amd64')
K612=$(newest '/usr/src/linux-headers-6.12.*-amd64')
for v in 6.1 6.12; do
	kd=$K61; [ "$v" = 6.12 ] && kd=$K612
	if [ ! -x tools/build-module.sh ]; then
		step "module-$v" need_file tools/build-module.sh
	elif [ -z "$kd" ]; then
		step "module-$v" need_file "/usr/src/linux-headers-$v.*-amd64 (apt-get install linux-headers-...)"
	else
		step "module-$v" tools/build-module.sh "$kd"
	fi
done
# the arm64 cross-build (tools/cross-arm64.sh): the module against Debian's
# arm64 6.1, 6.12 and 6.12 16K-page header trees (a missing tree fails with
# the command that fetches it), then the daemon, tools and unit tests
for v in 6.1 6.12 6.12-16k; do
	if [ -x tools/cross-arm64.sh ]; then
		step "module-arm64-$v" tools/cross-arm64.sh module "$v"
	else
		step "module-arm64-$v" need_file tools/cross-arm64.sh
	fi
done
if [ -x tools/cross-arm64.sh ]; then
	step daemon-arm64 tools/cross-arm64.sh daemon
else
	step daemon-arm64 need_file tools/cross-arm64.sh
fi
if [ -x tools/checkpatch.sh ]; then
	step checkpatch tools/checkpatch.sh
else
	step checkpatch need_file tools/checkpatch.sh
fi
# the Debian packages (dpkg-buildpackage, lintian), make install's layout,
# the man page, the unit (systemd-analyze verify) and the DKMS build
if [ -x tests/packaging.sh ]; then
	step packaging tests/packaging.sh
else
	step packaging need_file tests/packaging.sh
fi

# 5. the guest's kernel-log check must catch a WARNING
dmesg_negative() {
	DAEDALUS_QUIET=1 tests/vm/run --visl --timeout 60 --results "$REPO/build/check/dmesg-negative" -- \
		sh -c 'echo "WARNING: planted by tests/check.sh (dmesg-negative)" >/dev/kmsg'
	local rc=$?
	grep -h 'planted by' "$REPO/build/check/dmesg-negative/dmesg.txt" 2>/dev/null
	if [ "$rc" = 0 ]; then
		echo "tests/vm/run exited 0 although the guest kernel logged a WARNING: the dmesg check is broken"
		return 1
	fi
	if ! grep -q 'planted by' "$REPO/build/check/dmesg-negative/dmesg.txt" 2>/dev/null; then
		echo "tests/vm/run failed (status $rc), but not because of the planted WARNING"
		return 1
	fi
	echo "ok: tests/vm/run exited $rc on a planted kernel WARNING"
}
rm -rf "$REPO/build/check/dmesg-negative"
step dmesg-negative dmesg_negative

# 6-7. the guest tests: visl, then our device
step guest-visl tests/vm/run --visl -- tests/guest/run-all.sh --visl
step guest-device tests/vm/run --timeout 1800 -- tests/guest/run-all.sh
# the module a user of the daedalus-v4l2-dkms package gets (DKMS builds it
# in an overlay of the guest root, tests/vm/build-dkms): compliance, GStreamer's
# registration, H.264 conformance
step guest-dkms tests/vm/run --dkms -- tests/guest/run-all.sh 20 22 32
# tests marked "# boot: no-daemon" (or "any") need a boot without daedalusd
# (its results in build/check/guest-device-nodaemon: the next step reads them)
NODAEMON=$LOGS/guest-device-nodaemon
rm -rf "$NODAEMON"
if grep -qsE '^# *boot: *(no-daemon|any)' tests/guest/*.test; then
	step guest-device-nodaemon tests/vm/run --no-daemon --timeout 1800 --results "$NODAEMON" -- tests/guest/run-all.sh
fi

# 8-9. the VP9/VP8 and AV1 jobs GStreamer sent in that boot (tests/guest/39-vpx-record.test,
# 42-av1-record.test), replayed on the host through the vp9/vp8 and av1 backends:
# md5-exact against the suites
step vpx-replay python3 tests/suite-replay.py "$NODAEMON/tests/39-vpx-record/rec"
step av1-replay python3 tests/suite-replay.py "$NODAEMON/tests/42-av1-record/rec"
# the same jobs as a client that chose the planar YUV420 CAPTURE format gets
# them, with 2 cores: the VP9 decoder runs 2 frame threads and holds 2 jobs
step vpx-replay-yuv420 python3 tests/suite-replay.py --yuv420 --threads 2 "$NODAEMON/tests/39-vpx-record/rec"
# the same, each job answered before the next comes: the VP9 decoder
# finishes each frame with packets that change nothing (show_existing_frame)
step vpx-replay-one-in-flight python3 tests/suite-replay.py --threads 2 --one-in-flight "$NODAEMON/tests/39-vpx-record/rec"
# with 4 cores, dav1d decodes two frames at once: jobs held, answered in order
step av1-replay-yuv420 python3 tests/suite-replay.py --yuv420 --threads 4 "$NODAEMON/tests/42-av1-record/rec"

summary
