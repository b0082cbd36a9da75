#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build daedalus_v4l2.ko against a kernel build tree, warning-free.
#
#   tools/build-module.sh KDIR [OUTDIR]
#
# If KDIR's Module.symvers lacks v4l2-mem2mem (Debian's amd64 kernels are
# built without CONFIG_V4L2_MEM2MEM_DEV), v4l2-mem2mem.ko is built first by
# tools/build-m2m.sh (from the matching /usr/src/linux-source-X.Y.tar.xz),
# out of tree, in OUTDIR/m2m.  Our module is then built with W=1
# from a copy of kernel/ and include/ in OUTDIR/mod; any compiler or modpost
# warning fails the build.  OUTDIR defaults to build/kmod-<kernel release>.
# On success the paths of the built .ko files are printed, one per line,
# v4l2-mem2mem.ko (if built) first.
set -eu

die() { echo "build-module.sh: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 KDIR [OUTDIR]"
KDIR=$(cd "$1" && pwd) || die "no such KDIR: $1"
TOP=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${JOBS:-2}

if [ -f "$KDIR/include/config/kernel.release" ]; then
	RELEASE=$(cat "$KDIR/include/config/kernel.release")
else
	RELEASE=$(make -s -C "$KDIR" kernelrelease 2>/dev/null) ||
		die "cannot tell the kernel release of $KDIR"
fi
OUT=${2:-$TOP/build/kmod-$RELEASE}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
EXTRA=""

# 1. v4l2-mem2mem, if the kernel does not provide it.
if ! grep -q '[[:space:]]v4l2_m2m_init[[:space:]]' "$KDIR/Module.symvers" 2>/dev/null; then
	JOBS=$JOBS "$TOP/tools/build-m2m.sh" "$KDIR" "$OUT/m2m"
	EXTRA="KBUILD_EXTRA_SYMBOLS=$OUT/m2m/Module.symvers"
fi

# 2. Our module, from a copy so that several trees can build at once.
MOD=$OUT/mod
rm -rf "$MOD"
mkdir -p "$MOD"
cp -r "$TOP/kernel" "$TOP/include" "$MOD/"
LOG=$OUT/module-build.log
set +e
# shellcheck disable=SC2086
make -C "$KDIR" M="$MOD/kernel" W=1 -j"$JOBS" $EXTRA modules > "$LOG" 2>&1
RC=$?
set -e
if [ $RC -ne 0 ]; then
	cat "$LOG" >&2
	die "module build failed against $KDIR"
fi
if grep -Eiq 'warning|error' "$LOG"; then
	grep -Ei -B2 -A4 'warning|error' "$LOG" >&2
	die "warnings while building against $KDIR (log: $LOG)"
fi
[ -n "$EXTRA" ] && echo "$OUT/m2m/v4l2-mem2mem.ko"
echo "$MOD/kernel/daedalus_v4l2.ko"
