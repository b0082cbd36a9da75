#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict over kernel/ and include/ (or the files given).
#
#   tools/checkpatch.sh [FILE...]
#
# checkpatch.pl and its data files come from the linux-source-6.12 tarball
# (LINUX_SOURCE overrides), extracted once into build/checkpatch-cache.
# Exits non-zero on any error, warning or check.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
SRC=${LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
CACHE=${CHECKPATCH_CACHE:-$TOP/build/checkpatch-cache}
CP=$CACHE/scripts/checkpatch.pl

if [ ! -x "$CP" ]; then
	[ -f "$SRC" ] || { echo "checkpatch.sh: $SRC missing" >&2; exit 2; }
	TOPDIR=$(tar -tf "$SRC" | head -1 | cut -d/ -f1)
	mkdir -p "$CACHE"
	tar -xf "$SRC" -C "$CACHE" --strip-components=1 \
		"$TOPDIR/scripts/checkpatch.pl" "$TOPDIR/scripts/spelling.txt" \
		"$TOPDIR/scripts/const_structs.checkpatch"
	chmod +x "$CP"
fi

cd "$TOP"
if [ $# -eq 0 ]; then
	set -- $(find kernel include -type f \( -name '*.c' -o -name '*.h' \) | sort)
fi

# Accepted: _Static_assert is the C11 keyword (the userspace half of
# include/daedalus_proto.h's layout checks), not a CamelCase identifier.
ACCEPT='CHECK:CAMELCASE: Avoid CamelCase: <_Static_assert>'

STATUS=0
for f in "$@"; do
	RC=0
	OUT=$("$CP" --strict --no-tree --terse --show-types -f "$f" 2>&1) || RC=$?
	HITS=$(echo "$OUT" | grep -E '(ERROR|WARNING|CHECK):' | grep -vF "$ACCEPT" || true)
	if [ -n "$HITS" ]; then
		echo "$HITS"
		STATUS=1
	elif [ $RC -ne 0 ] && ! echo "$OUT" | grep -qF "$ACCEPT"; then
		echo "$f: checkpatch.pl failed (status $RC): $OUT"
		STATUS=1
	fi
done
[ $STATUS -eq 0 ] && echo "checkpatch --strict: clean ($# files)"
exit $STATUS
