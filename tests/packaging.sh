#!/bin/bash
# tests/packaging.sh: the Debian packages and `make install` (docs/install.md),
# on the host. Not part of `make check`. Each check passes or fails, later
# checks run after a failure; last line "N passed, N failed"; exit status 0
# only if nothing failed.
#
#   version         debian/changelog's version is `make version`'s (CMakeLists.txt)
#   build           dpkg-buildpackage -us -uc -b in a copy of the tree (tracked
#                   and untracked files, as the working tree has them) in a
#                   temporary directory: the tree itself and its parent stay
#                   clean. DEB_BUILD_OPTIONS=nocheck: `make check` runs the
#                   unit tests.
#   files-dkms      daedalus-v4l2-dkms: the module source (every kernel/ and
#                   include/ source, tools/build-m2m.sh) and dkms.conf
#                   (AUTOINSTALL, this version) under /usr/src/daedalus-v4l2-V/,
#                   the modules-load.d entry, the DKMS maintainer scripts
#   files-daemon    daedalusd: the daemon, man page, unit (enabled by the
#                   postinst), sysusers file (systemd-sysusers in the
#                   postinst), udev rule, docs
#   lintian         lintian on the .changes (the .debs and the .buildinfo):
#                   no E: or W: line
#   make-install    `make install DESTDIR=... PREFIX=/usr` installs the same
#                   files, with the same contents, as the two packages
#                   (Debian's copyright and changelog aside; the packages'
#                   man page is gzipped and their binary stripped)
#   man-page        every option line of `daedalusd --help` ("-d, --device
#                   PATH") and every backend it lists is in the rendered page
#   systemd-verify  systemd-analyze verify --root on the unit as make install
#                   put it, with the host's units beside it: nothing printed
#   dkms-build      DKMS builds the packaged source (dkms add + build, with a
#                   private DKMS tree, unsigned, nothing installed) against
#                   the newest kernel headers installed (DKMS_KERNEL=KVER
#                   overrides): daedalus_v4l2.ko, and v4l2-mem2mem.ko where
#                   the kernel lacks it (Debian's amd64 kernels)
#
# Needs (Debian): git build-essential debhelper dh-dkms dkms cmake pkg-config
# libavcodec-dev libavutil-dev libdav1d-dev lintian man-db systemd, and for
# dkms-build a linux-headers-* package with the matching linux-source-X.Y.
# Environment: JOBS (parallel build jobs, default 2); KEEP=1 keeps the
# temporary directory (printed).
# Measured: 2 min 17 s (JOBS=1, under nice -n 19, on a 2-core machine busy
# with another QEMU guest; 2026-12-05), dkms-build about 55 s of it.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
JOBS=${JOBS:-2}
T=$(mktemp -d /tmp/daedalus-packaging.XXXXXX)
if [ "${KEEP:-0}" = 1 ]; then
	echo "packaging: keeping $T"
else
	trap 'rm -rf "$T"' EXIT
fi
PASS=0 FAIL=0

# check NAME CMD...: run CMD, its output to $T/NAME.log, shown if it fails
check() {
	local name=$1; shift
	if "$@" > "$T/$name.log" 2>&1; then
		PASS=$((PASS + 1)); echo "PASS   $name"
	else
		FAIL=$((FAIL + 1)); echo "FAILED $name"; sed 's/^/    /' "$T/$name.log"
	fi
}

VERSION=$(make -s --no-print-directory -C "$REPO" version)
ARCH=$(dpkg --print-architecture)
DKMS_DEB=$T/daedalus-v4l2-dkms_${VERSION}_all.deb
DAEMON_DEB=$T/daedalusd_${VERSION}_${ARCH}.deb

check_version() {
	local deb
	deb=$(dpkg-parsechangelog -l "$REPO/debian/changelog" -S Version)
	echo "CMakeLists.txt: $VERSION, debian/changelog: $deb"
	[ -n "$VERSION" ] && [ "$deb" = "$VERSION" ]
}

build() {
	mkdir "$T/src" && "$REPO/tools/copy-worktree.sh" "$T/src" &&
	(cd "$T/src" && DEB_BUILD_OPTIONS="nocheck parallel=$JOBS" \
		dpkg-buildpackage -us -uc -b -j"$JOBS") &&
		[ -f "$DKMS_DEB" ] && [ -f "$DAEMON_DEB" ]
}

# has DEB PATH...: DEB holds each PATH (relative, no leading /) as a file
has() {
	local deb=$1 p missing=0; shift
	dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' > "$T/has.list"
	for p in "$@"; do
		grep -qxF "$p" "$T/has.list" || { echo "$(basename "$deb") lacks /$p"; missing=1; }
	done
	return $missing
}

# script_has DEB SCRIPT PATTERN: DEB's maintainer SCRIPT matches PATTERN
script_has() {
	dpkg-deb --ctrl-tarfile "$1" | tar -xOf - "./$2" | grep -q -- "$3" ||
		{ echo "$(basename "$1")'s $2 does not match '$3'"; return 1; }
}

files_dkms() {
	local src=usr/src/daedalus-v4l2-$VERSION f files=() rc=0
	for f in "$REPO"/kernel/Kbuild "$REPO"/kernel/Makefile "$REPO"/kernel/*.[ch] \
		"$REPO"/include/*.h "$REPO"/tools/build-m2m.sh; do
		case $f in *.mod.c) continue ;; esac
		files+=("$src/${f#"$REPO"/}")
	done
	has "$DKMS_DEB" "$src/dkms.conf" "${files[@]}" \
		usr/lib/modules-load.d/daedalus-v4l2.conf || rc=1
	dpkg-deb -x "$DKMS_DEB" "$T/dkms-root"
	grep -qx "PACKAGE_VERSION=\"$VERSION\"" "$T/dkms-root/$src/dkms.conf" ||
		{ echo "dkms.conf: no PACKAGE_VERSION=\"$VERSION\""; rc=1; }
	grep -qx 'AUTOINSTALL="yes"' "$T/dkms-root/$src/dkms.conf" ||
		{ echo 'dkms.conf: no AUTOINSTALL="yes"'; rc=1; }
	grep -qx daedalus_v4l2 "$T/dkms-root/usr/lib/modules-load.d/daedalus-v4l2.conf" ||
		{ echo "modules-load.d entry does not load daedalus_v4l2"; rc=1; }
	script_has "$DKMS_DEB" postinst "/usr/lib/dkms/common.postinst" || rc=1
	script_has "$DKMS_DEB" prerm "dkms remove" || rc=1
	return $rc
}

files_daemon() {
	local unit rc=0
	# Where systemd's pkg-config file puts units (daemon/CMakeLists.txt).
	unit=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
	has "$DAEMON_DEB" usr/sbin/daedalusd "${unit#/}/daedalusd.service" \
		usr/lib/sysusers.d/daedalusd.conf usr/lib/udev/rules.d/60-daedalus-v4l2.rules \
		usr/share/man/man8/daedalusd.8.gz usr/share/doc/daedalusd/README.md \
		usr/share/doc/daedalusd/install.md usr/share/doc/daedalusd/protocol.md || rc=1
	script_has "$DAEMON_DEB" postinst "deb-systemd-helper enable 'daedalusd.service'" || rc=1
	script_has "$DAEMON_DEB" postinst "systemd-sysusers .*daedalusd.conf" || rc=1
	return $rc
}

run_lintian() {
	local rc=0
	lintian --fail-on error,warning "$T"/daedalus-v4l2_"$VERSION"_"$ARCH".changes > "$T/lintian.txt" 2>&1 || rc=$?
	echo "lintian status $rc:"
	cat "$T/lintian.txt"
	[ "$rc" = 0 ] && ! grep -qE '^[EW]: ' "$T/lintian.txt"
}

# The files under a directory, one per line: path (no .gz), then the md5 of
# the content (uncompressed) or "-" for the daemon (stripped in the package).
# Debian's own doc files left out.
tree_list() {
	(cd "$1" && find . ! -type d | sed 's|^\./||' | sort) | while read -r f; do
		case $f in
		usr/share/doc/daedalusd/copyright | usr/share/doc/daedalusd/changelog.gz | \
			usr/share/doc/daedalus-v4l2-dkms/*) continue ;;
		usr/sbin/daedalusd) echo "$f -" ;;
		*.gz) echo "${f%.gz} $(zcat "$1/$f" | md5sum | cut -d' ' -f1)" ;;
		*) echo "$f $(md5sum < "$1/$f" | cut -d' ' -f1)" ;;
		esac
	done
}

make_install() {
	make -C "$T/src" install JOBS="$JOBS" DESTDIR="$T/root" PREFIX=/usr &&
	dpkg-deb -x "$DKMS_DEB" "$T/deb-root" && dpkg-deb -x "$DAEMON_DEB" "$T/deb-root" &&
	tree_list "$T/root" > "$T/install.list" && tree_list "$T/deb-root" > "$T/deb.list" &&
	echo "make install (<) vs the packages (>):" && diff "$T/install.list" "$T/deb.list"
}

man_page() {
	local help opt name rc=0
	MANWIDTH=200 man -E ascii -l "$T/root/usr/share/man/man8/daedalusd.8" > "$T/man.txt"
	help=$("$T/root/usr/sbin/daedalusd" --help)
	while IFS= read -r opt; do
		grep -qF -- "$opt" "$T/man.txt" || { echo "man page lacks: $opt"; rc=1; }
	done < <(echo "$help" | sed -nE 's/^  (-([^ ]| [^ ])*)  .*/\1/p')
	[ "$(echo "$help" | grep -c '^  -')" -gt 0 ] || { echo "no option in --help"; rc=1; }
	for name in $(echo "$help" | sed -n 's/.*--backend NAME.*(\(.*\))$/\1/p'); do
		grep -qw -- "$name" "$T/man.txt" || { echo "man page lacks backend $name"; rc=1; }
	done
	return $rc
}

# On a root made of the installed tree over a copy of the host's units:
# --root finds the units that the default dependencies need (sysinit.target
# ...) there, and ExecStart's binary in the tree.
systemd_verify() {
	local unit out rc=0
	mkdir -p "$T/vroot/usr/lib/systemd/system"
	cp -a /usr/lib/systemd/system/. "$T/vroot/usr/lib/systemd/system/"
	cp -a "$T/root/." "$T/vroot/"
	unit=$(cd "$T/root" && find . -path '*/systemd/system/daedalusd.service' | sed 's|^\.||')
	[ -n "$unit" ] || { echo "no daedalusd.service under $T/root"; return 1; }
	out=$(MANPATH="$T/vroot/usr/share/man" systemd-analyze verify --root="$T/vroot" "$T/vroot$unit" 2>&1) || rc=$?
	echo "systemd-analyze verify --root=$T/vroot $T/vroot$unit: status $rc"
	echo "${out:-(nothing printed)}"
	[ "$rc" = 0 ] && [ -z "$out" ]
}

dkms_build() {
	local kver m2m=0 built
	kver=${DKMS_KERNEL:-$(find /lib/modules/*/build/Module.symvers 2>/dev/null |
		sed 's|^/lib/modules/\([^/]*\)/.*|\1|' | sort -V | tail -n 1)}
	[ -n "$kver" ] || { echo "no kernel headers under /lib/modules/*/build"; return 1; }
	grep -q '[[:space:]]v4l2_m2m_init[[:space:]]' "/lib/modules/$kver/build/Module.symvers" || m2m=1
	mkdir -p "$T/dkms-tree"
	# sign_file: DKMS would otherwise make a signing key in /var/lib/dkms.
	if ! { sign_file=/nonexistent dkms add -m daedalus-v4l2 -v "$VERSION" \
			--sourcetree "$T/dkms-root/usr/src" --dkmstree "$T/dkms-tree" &&
		sign_file=/nonexistent dkms build -m daedalus-v4l2 -v "$VERSION" -k "$kver" \
			-j "$JOBS" --sourcetree "$T/dkms-root/usr/src" --dkmstree "$T/dkms-tree"; }; then
		cat "$T/dkms-tree/daedalus-v4l2/$VERSION/build/make.log" 2>/dev/null
		return 1
	fi
	built=$(find "$T/dkms-tree/daedalus-v4l2/$VERSION/$kver" -name '*.ko*' -printf '%f\n' | sort)
	echo "built for $kver: $built"
	echo "$built" | grep -q '^daedalus_v4l2\.ko' &&
		{ [ "$m2m" = 0 ] || echo "$built" | grep -q '^v4l2-mem2mem\.ko'; }
}

t0=$(date +%s)
check version check_version
check build build
check files-dkms files_dkms
check files-daemon files_daemon
check lintian run_lintian
check make-install make_install
check man-page man_page
check systemd-verify systemd_verify
check dkms-build dkms_build
echo "packaging: $(( $(date +%s) - t0 )) s"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
