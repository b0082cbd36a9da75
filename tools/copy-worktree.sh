#!/bin/bash
# tools/copy-worktree.sh DEST: copies the working tree as it is (tracked
# files and new ones git does not ignore, deleted ones left out) into DEST,
# which must exist: what a package is built from in tests/packaging.sh and
# tests/vm/build-dkms, uncommitted changes included.
set -euo pipefail
[ $# = 1 ] && [ -d "$1" ] || { echo "usage: $0 DEST (an existing directory)" >&2; exit 2; }
cd "$(dirname "$0")/.."
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ ! -e "$f" ] || printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -C "$1" -xf -
