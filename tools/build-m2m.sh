#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build v4l2-mem2mem.ko out of tree against a kernel build tree, for kernels
# built without CONFIG_V4L2_MEM2MEM_DEV (Debian's amd64 kernels), from the
# matching /usr/src/linux-source-X.Y.tar.xz (set LINUX_SOURCE to override).
#
#   tools/build-m2m.sh KDIR OUTDIR
#
# OUTDIR gets v4l2-mem2mem.ko and the Module.symvers that our module's build
# takes as KBUILD_EXTRA_SYMBOLS; an OUTDIR that already has both is kept.
# Whether KDIR needs it is the caller's test (tools/build-module.sh,
# kernel/dkms.conf). Upstream's file: its warnings are not ours to fix.
set -eu

die() { echo "build-m2m.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 KDIR OUTDIR"
KDIR=$(cd "$1" && pwd) || die "no such KDIR: $1"
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
[ -f "$OUT/v4l2-mem2mem.ko" ] && [ -f "$OUT/Module.symvers" ] && exit 0

if [ -f "$KDIR/include/config/kernel.release" ]; then
	RELEASE=$(cat "$KDIR/include/config/kernel.release")
else
	RELEASE=$(make -s -C "$KDIR" kernelrelease 2>/dev/null) ||
		die "cannot tell the kernel release of $KDIR"
fi
SERIES=$(echo "$RELEASE" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
SRC=${LINUX_SOURCE:-/usr/src/linux-source-$SERIES.tar.xz}
[ -f "$SRC" ] || die "$KDIR lacks v4l2-mem2mem and $SRC is missing (apt install linux-source-$SERIES)"

find "$OUT" -mindepth 1 -delete
tar -xf "$SRC" -C "$OUT" --strip-components=4 \
	"linux-source-$SERIES/drivers/media/v4l2-core/v4l2-mem2mem.c" ||
	die "cannot extract v4l2-mem2mem.c from $SRC"
echo 'obj-m += v4l2-mem2mem.o' > "$OUT/Kbuild"
make -C "$KDIR" M="$OUT" -j"${JOBS:-2}" modules > "$OUT/build.log" 2>&1 ||
	{ cat "$OUT/build.log" >&2; die "v4l2-mem2mem build failed against $KDIR"; }
