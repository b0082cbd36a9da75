#!/bin/bash
# bench/kill.sh [ITERATIONS] [SEED]: the kill test at bench length: by default
# 1000 times SIGKILL daedalusd at a random moment while 4 GStreamer clients
# decode (2 H.264, 2 AV1), restart it at once, and check each time that no
# task stays in D for more than 2 s, every client ends or gets a buffer back
# within 2 s, the kernel log is clean and the restarted daemon decodes
# byte-exact (H.264: md5 vs ffmpeg; AV1: the suite's md5).  Same loop as
# tests/guest/60-daedalus-kill.test (50 iterations),
# tests/guest/daedalus-killloop.py; runs in a --no-daemon guest through
# tests/vm/run (needs root).  Results: the run's results directory, kill/
# (iterations.tsv: one line per iteration).  About 5-8 s per iteration
# under TCG.  On a shared machine, serialize guests:
#   flock /tmp/daedalus-guest.lock bench/kill.sh
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
N=${1:-1000}
SEED=${2:-$(date +%s)}
case "$N$SEED" in *[!0-9]*) echo "usage: bench/kill.sh [ITERATIONS] [SEED]" >&2; exit 2 ;; esac
exec "$REPO/tests/vm/run" --no-daemon --timeout $((N * 15 + 300)) -- \
	sh -c 'exec python3 tests/guest/daedalus-killloop.py --iterations "$1" --seed "$2" \
		--clients 4 --av1-clients 2 --max-delay-ms 300 --out "$DAEDALUS_RESULTS/kill"' sh "$N" "$SEED"
