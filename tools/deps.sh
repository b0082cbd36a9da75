#!/bin/bash
# The host packages `make demo` and `make check` need, in one place (.ci/run
# installs them through this script too), on Debian 12 (amd64).
#
#   tools/deps.sh ensure demo|demo-arm64|check|check-debug
#                                     nothing missing: exit 0.  Missing, as
#                                     root: install them.  Missing, not root:
#                                     print the command to run and exit 1.
#   tools/deps.sh install GOAL        (root) install them unconditionally
#   tools/deps.sh missing GOAL        print the missing packages
#
# demo: what builds the guest root (debootstrap) and boots it (QEMU); every
# build of the demo runs inside that root.  check: the demo's, plus the host
# builds (daemon, sanitizers, the module against Debian's 6.1 and 6.12
# headers, the arm64 cross-build, checkpatch) and the packaging checks.
# linux-source-6.1/6.12: tools/build-module.sh builds v4l2-mem2mem.ko from
# them (Debian's kernels lack it); tools/checkpatch.sh takes checkpatch.pl
# from 6.12. check-debug: check's, plus what builds the debug guest kernel
# (tests/vm/build-debug-kernel). demo-arm64: the demo's, plus what
# bootstraps the arm64 root (qemu-aarch64-static, registered with
# binfmt_misc by binfmt-support) and boots it (qemu-system-aarch64).
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_PKGS=(qemu-system-x86 debootstrap busybox-static cpio xz-utils zstd kmod
	util-linux python3 ca-certificates gnupg debian-archive-keyring file)
CHECK_PKGS=(cmake build-essential pkg-config clang libclang-rt-14-dev perl
	libavcodec-dev libavutil-dev libavformat-dev libswscale-dev libdav1d-dev libdrm-dev
	linux-headers-amd64 linux-source-6.1 linux-source-6.12
	debhelper dh-dkms dkms lintian man-db systemd
	gcc-aarch64-linux-gnu libc6-dev:arm64 linux-libc-dev:arm64
	libavcodec-dev:arm64 libavutil-dev:arm64 libdav1d-dev:arm64)
DEBUG_PKGS=(flex bison bc libelf-dev)
ARM64_PKGS=(qemu-system-arm qemu-user-static binfmt-support)

usage() {
	echo "usage: $0 ensure|install|missing demo|demo-arm64|check|check-debug" >&2
	exit 2
}

[ $# = 2 ] || usage
cmd=$1 goal=$2
case "$goal" in demo|demo-arm64|check|check-debug) ;; *) usage ;; esac
# check and check-debug build on the host too
CHECKS=0
case "$goal" in check*) CHECKS=1 ;; esac

# The newest 6.12 backport headers of Debian 12 (tools/build-module.sh's
# second header tree besides linux-headers-amd64's 6.1): found through apt,
# so only after `apt-get update`.
headers_612() {
	apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		cut -d' ' -f1 | sort -V | tail -1
}

wanted() {
	printf '%s\n' "${DEMO_PKGS[@]}"
	[ "$goal" != demo-arm64 ] || printf '%s\n' "${ARM64_PKGS[@]}"
	[ "$CHECKS" = 0 ] || printf '%s\n' "${CHECK_PKGS[@]}"
	[ "$goal" != check-debug ] || printf '%s\n' "${DEBUG_PKGS[@]}"
}

installed() {
	dpkg-query -W -f '${db:Status-Abbrev}\n' "$1" 2>/dev/null | grep -q '^ii'
}

missing() {
	local p
	while read -r p; do
		installed "$p" || echo "$p"
	done < <(wanted)
	# Any 6.12 backport headers will do: apt-cache may not be updated yet.
	[ "$CHECKS" = 0 ] || installed 'linux-headers-6.12.*+deb12-amd64' ||
		echo 'linux-headers-6.12.*+deb12-amd64'
}

install() {
	[ "$(id -u)" = 0 ] || { echo "deps: installing packages needs root" >&2; exit 1; }
	export DEBIAN_FRONTEND=noninteractive
	local pkgs h612
	mapfile -t pkgs < <(wanted)
	if [ "$CHECKS" = 1 ]; then
		# arm64 through multiarch: the cross-build's -dev packages
		dpkg --add-architecture arm64
	fi
	echo "deps: $(date -u +%FT%TZ) apt-get update"
	apt-get update -q >/dev/null
	if [ "$CHECKS" = 1 ]; then
		h612=$(headers_612)
		[ -n "$h612" ] || {
			echo "deps: no linux-headers-6.12.*+deb12-amd64 in apt: Debian 12 has them in" \
				"bookworm-security; enable it (as the installer does) and run again:" >&2
			echo "  echo 'deb http://deb.debian.org/debian-security bookworm-security main'" \
				">>/etc/apt/sources.list" >&2
			exit 1
		}
		pkgs+=("$h612")
	fi
	echo "deps: $(date -u +%FT%TZ) installing ${#pkgs[@]} packages and what they depend on"
	apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null
	if [ "$CHECKS" = 1 ]; then
		# Debian's arm64 header trees (tools/cross-arm64.sh says why they are
		# not apt-get installed). If this fails, the module-arm64-* checks
		# fail and say what is missing.
		tools/cross-arm64.sh fetch ||
			echo "deps: tools/cross-arm64.sh fetch failed (the module-arm64-* checks will fail)" >&2
	fi
	echo "deps: $(date -u +%FT%TZ) done"
}

case "$cmd" in
missing) missing ;;
install) install ;;
ensure)
	m=$(missing | tr '\n' ' ')
	[ -n "$m" ] || exit 0
	if [ "$(id -u)" = 0 ]; then
		echo "deps: missing for make $goal: $m"
		install
	else
		echo "deps: missing for make $goal: $m" >&2
		echo "deps: run as root:  tools/deps.sh install $goal" >&2
		exit 1
	fi
	;;
*) usage ;;
esac
