#!/bin/bash
# tests/fresh-root.sh: the README's two commands on a fresh Debian machine.
# Makes a fresh Debian root with debootstrap (plus make and git: what a user
# needs to get the clone and type `make`), clones this repository's HEAD
# into it, and runs `make demo` (and with --check also `make check`) in it
# as root, with nothing else installed: the commands must install what they
# need themselves (tools/deps.sh). Prints each command's time.
#
#   tests/fresh-root.sh [--check] [--suite bookworm|trixie] [--keep]
#
# Root, on an amd64 Debian host with debootstrap. The guest root cache inside
# the fresh root starts empty, so the guest root is built from scratch too.
# Takes 25-35 min for `make demo` alone (see docs/testing.md).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
SHARED=$(cd "$REPO/../shared" && pwd -P)
SUITE=bookworm CHECK=0 KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	--check) CHECK=1 ;;
	--keep) KEEP=1 ;;
	--suite) SUITE=$2; shift ;;
	*) echo "usage: $0 [--check] [--suite bookworm|trixie] [--keep]" >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "fresh-root: must run as root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "fresh-root: apt-get install debootstrap" >&2; exit 1; }

say() { echo "fresh-root: $(date -u +%T) $*"; }
ROOT=$(mktemp -d /var/tmp/daedalus-fresh.XXXXXX)
cleanup() {
	[ "$KEEP" = 1 ] && { say "kept $ROOT"; return; }
	rm -rf --one-file-system "$ROOT"
}
trap cleanup EXIT

t0=$(date +%s)
say "debootstrap $SUITE into $ROOT"
debootstrap --include=make,git,ca-certificates "$SUITE" "$ROOT" http://deb.debian.org/debian \
	>"$ROOT.debootstrap.log" 2>&1 || { tail -20 "$ROOT.debootstrap.log"; exit 1; }
rm -f "$ROOT.debootstrap.log"
# The sources a Debian installer writes (debootstrap writes only "$SUITE main"):
# Debian 12's 6.12 kernel headers, which `make check` builds against, are in
# bookworm-security.
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb http://deb.debian.org/debian $SUITE main
deb http://deb.debian.org/debian $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
say "root made in $(( $(date +%s) - t0 )) s"
git clone -q "$REPO" "$ROOT/src/daedalus-v4l2"
mkdir -p "$ROOT/src/shared"

# In a private mount namespace: the mounts go with it.
unshare --mount --propagation private bash -euo pipefail -c '
	R=$1 SHARED=$2 CHECK=$3
	# A mount point, as / is on a machine (mkroot unshares its mounts).
	mount --bind "$R" "$R"
	mount -t proc proc "$R/proc"
	mount --rbind /sys "$R/sys"
	mount --rbind /dev "$R/dev"
	mount -t tmpfs tmpfs "$R/tmp"
	mount --bind -o ro "$SHARED" "$R/src/shared"
	cp /etc/resolv.conf "$R/etc/resolv.conf"
	run() {
		local t0=$(date +%s) rc=0
		echo "fresh-root: $(date -u +%T) $* (in the fresh root)"
		chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
			bash -c "cd /src/daedalus-v4l2 && $*" || rc=$?
		echo "fresh-root: $* took $(( $(date +%s) - t0 )) s, status $rc"
		return $rc
	}
	run make demo
	[ "$CHECK" = 0 ] || run make check
' fresh-root "$ROOT" "$SHARED" "$CHECK"
say "PASS in $(( $(date +%s) - t0 )) s"
