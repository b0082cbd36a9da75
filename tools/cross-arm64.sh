#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The arm64 cross-build (the Raspberry Pi 5 runs an arm64 6.12 kernel with
# 16K pages), from an amd64 Debian 12 host, warning-free.
#
#   tools/cross-arm64.sh fetch         (root) get Debian's arm64 header trees
#   tools/cross-arm64.sh module KIND   the module against one tree: 6.1,
#                                      6.12 or 6.12-16k (the newest of each)
#   tools/cross-arm64.sh daemon        daedalusd, the tools and the unit tests
#   tools/cross-arm64.sh [all]         the three modules, then the daemon
#
# module: tools/build-module.sh (W=1, any warning fails) against Debian's
# linux-headers-6.1.*-arm64, linux-headers-6.12.*+deb12-arm64 (4K pages) and
# linux-headers-6.12.*+deb12-arm64-16k (16K pages, CONFIG_ARM64_16K_PAGES),
# cross-compiled with aarch64-linux-gnu-gcc-12, the compiler these trees
# name.  Debian's arm64 kernels have CONFIG_V4L2_MEM2MEM_DEV=m, so no
# v4l2-mem2mem.ko is built (build-module.sh would cross-build it from
# linux-source-X.Y if a tree lacked it).  Each .ko must be an aarch64 ELF
# whose vermagic starts with the tree's kernel release.  Output in
# build/kmod-<release>/.
#
# daemon: CMake with cmake/aarch64-linux-gnu.cmake (aarch64-linux-gnu-gcc,
# the project's -Wall -Wextra -Werror) against the arm64 -dev packages
# installed through multiarch; every executable must be an aarch64 ELF.
# Output in build/arm64/.  The unit tests are built, not run.
#
# fetch: why the header trees are not simply apt-get installed.  In Debian
# 12 the flavour packages (linux-headers-<abi>-arm64[-16k]:arm64) depend on
# "gcc-12", which for an arm64 package means gcc-12:arm64: apt would remove
# gcc-12, build-essential and clang of the host to install it; the 6.12 ones
# also depend on their arm64 linux-image (92 MB each, whose postinst builds
# an initramfs for an arm64 kernel on this host).  Everything else is
# installed the Debian way, with apt: the trees' -common package
# (Architecture: all) and linux-kbuild-X (Multi-Arch: foreign: the amd64
# host programs fixdep, modpost, resolve_btfids that every Debian header tree
# uses, native or cross).  The flavour packages themselves (small: 2-4 MB)
# are fetched with `apt-get download` (checked against the signed archive)
# and unpacked with `dpkg-deb -x` into
#   ${DAEDALUS_CACHE:-/var/cache/daedalus-v4l2}/arm64-headers/root/usr/src/
# next to links to the installed linux-kbuild-X; nothing in /usr/src changes.
#
# Time (2 cores, JOBS=1 and nice -n 19 beside a QEMU guest using both): a
# module 18-26 s, the daemon 44 s, all four 114-157 s; 115 s of CPU time, so
# about a minute with the default JOBS=2 (make's -j) on an idle machine.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${DAEDALUS_CACHE:-/var/cache/daedalus-v4l2}/arm64-headers
ROOT=$CACHE/root
JOBS=${JOBS:-2}
export JOBS
KINDS="6.1 6.12 6.12-16k"
DEV_PKGS="gcc-aarch64-linux-gnu libc6-dev:arm64 linux-libc-dev:arm64 libavcodec-dev:arm64 libavutil-dev:arm64 libdav1d-dev:arm64"

die() { echo "cross-arm64.sh: $*" >&2; exit 1; }

# the package name pattern (an ERE on names) and the tree glob of a kind
pattern() {
	case $1 in
	6.1) echo '^linux-headers-6\.1\.[0-9]+-[0-9]+-arm64$' ;;
	6.12) echo '^linux-headers-6\.12\.[0-9]+\+deb12-arm64$' ;;
	6.12-16k) echo '^linux-headers-6\.12\.[0-9]+\+deb12-arm64-16k$' ;;
	*) die "unknown kind '$1' (one of: $KINDS)" ;;
	esac
}
tree_glob() {
	case $1 in
	6.1) echo "$ROOT/usr/src/linux-headers-6.1.[0-9]*-[0-9]*-arm64" ;;
	6.12) echo "$ROOT/usr/src/linux-headers-6.12.[0-9]*+deb12-arm64" ;;
	6.12-16k) echo "$ROOT/usr/src/linux-headers-6.12.[0-9]*+deb12-arm64-16k" ;;
	esac
}

# the newest unpacked tree of a kind, or nothing
tree() {
	local g d
	g=$(tree_glob "$1")
	# shellcheck disable=SC2086
	for d in $(ls -d $g 2>/dev/null | sort -V); do
		[ -f "$d/Module.symvers" ] && echo "$d"
	done | tail -1
}

# the package names of a kind, for people: its tree glob, as a name
human() {
	tree_glob "$1" | sed "s|^$ROOT/usr/src/||; s/\[0-9\]\*/*/g"
}

fetch_howto() {
	echo "to get it, as root: dpkg --add-architecture arm64 && apt-get update &&" \
		"tools/cross-arm64.sh fetch (apt-get install of the tree's -common and" \
		"linux-kbuild packages, apt-get download of the newest $(human "$1"):arm64," \
		"dpkg-deb -x into $ROOT)"
}

cmd_fetch() {
	[ "$(id -u)" = 0 ] || die "fetch needs root (apt-get install)"
	dpkg --print-foreign-architectures | grep -qx arm64 ||
		die "arm64 is not a foreign architecture here: dpkg --add-architecture arm64 && apt-get update"
	local kind p deps need="" pkgs="" deb tree link inc
	for kind in $KINDS; do
		p=$(apt-cache search --names-only "$(pattern "$kind")" | cut -d' ' -f1 | sort -V | tail -1)
		[ -n "$p" ] || die "no $(human "$kind"):arm64 in apt (dpkg --add-architecture arm64 && apt-get update)"
		pkgs="$pkgs $p"
		# its -common (same version) and linux-kbuild-X: what apt can install
		deps=$(apt-cache show --no-all-versions "$p:arm64" | sed -n 's/^Depends: //p' |
			tr ',' '\n' | sed -E 's/^ *//; s/ .*//' | grep -E '^linux-(headers-.*-common|kbuild-)') ||
			die "cannot read the dependencies of $p:arm64"
		need="$need $deps"
	done
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $need >/dev/null ||
		die "apt-get install$need failed"
	rm -rf "$CACHE/debs"
	mkdir -p "$CACHE/debs" "$ROOT/usr/lib"
	# apt's download sandbox user writes there
	chown _apt "$CACHE/debs" 2>/dev/null || true
	for p in $pkgs; do
		(cd "$CACHE/debs" && apt-get download -q "$p:arm64" >/dev/null) ||
			die "apt-get download $p:arm64 failed"
		deb=$(ls "$CACHE/debs/${p}"_*_arm64.deb)
		tree=$ROOT/usr/src/$p
		rm -rf "$tree"
		dpkg-deb -x "$deb" "$ROOT" || die "dpkg-deb -x $deb failed"
		# scripts -> ../../lib/linux-kbuild-X/scripts: the installed amd64 one
		link=$(readlink "$tree/scripts")
		link=${link#../../lib/}
		link=${link%/scripts}
		[ -d "/usr/lib/$link" ] || die "/usr/lib/$link missing (apt-get install $link)"
		ln -sfn "/usr/lib/$link" "$ROOT/usr/lib/$link"
		# its Makefile includes /usr/src/linux-headers-X-common/Makefile
		inc=$(sed -n 's/^include //p' "$tree/Makefile")
		[ -f "$inc" ] || die "$inc missing (its -common package did not install)"
		echo "$tree ($(dpkg-deb -f "$deb" Version))"
	done
}

cmd_module() {
	local kind=$1 kd out ko rel vm ft pages
	pattern "$kind" >/dev/null
	kd=$(tree "$kind")
	[ -n "$kd" ] || die "missing: Debian's arm64 header tree $kind ($(human "$kind")) in $ROOT;" \
		"$(fetch_howto "$kind")"
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kd/include/generated/utsrelease.h")
	[ -n "$rel" ] || die "$kd: no UTS_RELEASE in include/generated/utsrelease.h"
	pages=$(grep -E '^CONFIG_ARM64_(4K|16K|64K)_PAGES=y' "$kd/.config" || true)
	case "$kind:$pages" in
	*-16k:CONFIG_ARM64_16K_PAGES=y | 6.1:CONFIG_ARM64_4K_PAGES=y | 6.12:CONFIG_ARM64_4K_PAGES=y) ;;
	*) die "$kd: unexpected page size for kind $kind: ${pages:-none}" ;;
	esac
	echo "tree: $kd ($pages)"
	out=$("$TOP/tools/build-module.sh" "$kd") || return 1
	echo "$out"
	for ko in $out; do
		ft=$(file -b "$ko")
		echo "file: $(basename "$ko"): $ft"
		case $ft in *"ARM aarch64"*) ;; *) die "$ko is not an aarch64 ELF" ;; esac
		vm=$(modinfo -F vermagic "$ko")
		echo "vermagic: $vm"
		case $vm in "$rel "*aarch64*) ;; *) die "$ko: vermagic does not name $rel (aarch64)" ;; esac
	done
	echo "ok: $(basename "$kd") ($pages)"
}

cmd_daemon() {
	local p b=$TOP/build/arm64 missing="" f ft n=0
	for p in $DEV_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] || die "missing:$missing (as root: dpkg --add-architecture arm64 &&" \
		"apt-get update && apt-get install --no-install-recommends $DEV_PKGS)"
	cmake -S "$TOP" -B "$b" --toolchain "$TOP/cmake/aarch64-linux-gnu.cmake" \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build "$b" -j"$JOBS"
	while read -r f; do
		ft=$(file -b "$f")
		case $ft in *"ARM aarch64"*) n=$((n + 1)) ;; *) die "$f is not an aarch64 ELF: $ft" ;; esac
	done < <(find "$b/daemon" "$b/tools" "$b/tests/unit" -maxdepth 1 -type f -perm -u+x | sort)
	[ "$n" -gt 0 ] || die "no executables in $b"
	for p in daemon/daedalusd tools/daedalus-replay; do
		echo "file: $p: $(file -b "$b/$p")"
	done
	echo "ok: $n executables in $b (daemon, tools, unit tests), all aarch64"
}

case ${1:-all} in
fetch) cmd_fetch ;;
module) [ $# = 2 ] || die "usage: $0 module {${KINDS// /|}}"; cmd_module "$2" ;;
daemon) cmd_daemon ;;
all)
	rc=0
	for k in $KINDS; do (cmd_module "$k") || rc=1; done
	(cmd_daemon) || rc=1
	exit $rc ;;
*) die "usage: $0 [fetch|module KIND|daemon|all]" ;;
esac
