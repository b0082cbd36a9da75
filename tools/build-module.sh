#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build daedalus_v4l2.ko against a kernel build tree, warning-free.
#
#   tools/build-module.sh KDIR [OUTDIR]
#
# If KDIR's Module.symvers lacks v4l2-mem2mem (Debian's amd64 kernels are
# built without CONFIG_V4L2_MEM2MEM_DEV; its arm64 ones have it, as a
# module), v4l2-mem2mem.ko is built first by tools/build-m2m.sh (from the
# matching /usr/src/linux-source-X.Y.tar.xz), out of tree, in OUTDIR/m2m.
# Our module is then built with W=1 from a copy of kernel/ and include/ in
# OUTDIR/mod; any compiler or modpost warning fails the build.  OUTDIR
# defaults to build/kmod-<release>, the release being UTS_RELEASE (the one
# in the module's vermagic).  On success the paths of the built .ko files
# are printed, one per line, v4l2-mem2mem.ko (if built) first.
#
# A tree of another architecture is cross-built: an arm64 tree (CONFIG_ARM64
# in its .config) on a non-arm64 host gets ARCH=arm64 and CROSS_COMPILE=
# aarch64-linux-gnu- (Debian's gcc-aarch64-linux-gnu; set CROSS_COMPILE to
# override).  Debian's header trees name their compiler ($(CROSS_COMPILE)gcc-12
# for 6.1 and 6.12) and take kbuild's host programs (fixdep, modpost, ...)
# from the build machine's linux-kbuild-X.Y package, so nothing else changes:
# tools/cross-arm64.sh drives this for Debian's arm64 trees.
set -eu

die() { echo "build-module.sh: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 KDIR [OUTDIR]"
KDIR=$(cd "$1" && pwd) || die "no such KDIR: $1"
TOP=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${JOBS:-2}

# The release the module's vermagic carries: UTS_RELEASE.  (Debian's 6.1
# trees say "6.1.192" in kernel.release, for amd64 and arm64 alike, but
# "6.1.0-57-amd64" there.)
RELEASE=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$KDIR/include/generated/utsrelease.h" 2>/dev/null || true)
if [ -z "$RELEASE" ] && [ -f "$KDIR/include/config/kernel.release" ]; then
	RELEASE=$(cat "$KDIR/include/config/kernel.release")
elif [ -z "$RELEASE" ]; then
	RELEASE=$(make -s -C "$KDIR" kernelrelease 2>/dev/null) ||
		die "cannot tell the kernel release of $KDIR"
fi
CROSS=""
if grep -q '^CONFIG_ARM64=y' "$KDIR/.config" 2>/dev/null && [ "$(uname -m)" != aarch64 ]; then
	CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
	command -v "${CROSS_COMPILE}gcc" >/dev/null ||
		die "$KDIR is arm64: ${CROSS_COMPILE}gcc is missing (apt-get install gcc-aarch64-linux-gnu)"
	CROSS="ARCH=arm64 CROSS_COMPILE=$CROSS_COMPILE"
fi
OUT=${2:-$TOP/build/kmod-$RELEASE}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
EXTRA=""

# 1. v4l2-mem2mem, if the kernel does not provide it.
if ! grep -q '[[:space:]]v4l2_m2m_init[[:space:]]' "$KDIR/Module.symvers" 2>/dev/null; then
	# shellcheck disable=SC2086
	env $CROSS JOBS="$JOBS" "$TOP/tools/build-m2m.sh" "$KDIR" "$OUT/m2m"
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
make -C "$KDIR" $CROSS M="$MOD/kernel" W=1 -j"$JOBS" $EXTRA modules > "$LOG" 2>&1
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
