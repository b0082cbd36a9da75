#!/bin/bash
# bench/fuzz.sh [SECONDS] [TARGET...]: the fuzz targets for longer than
# `make check` runs them: SECONDS per target (default 600 = 10 min), both
# cores (two targets at a time; DAEDALUS_FUZZ_JOBS overrides).  The corpora
# in build/fuzz/fuzz-work/corpus keep what every run found.  Exit status and
# output as tests/fuzz/run.sh.
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
SECS=${1:-600}
[ $# -gt 0 ] && shift
DAEDALUS_FUZZ_JOBS=${DAEDALUS_FUZZ_JOBS:-2} exec "$REPO/tests/fuzz/run.sh" "$SECS" "$@"
