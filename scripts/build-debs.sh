#!/usr/bin/env bash
# Builds the Debian packages from a clean copy of the tree (tracked files only), offline, with
# `dpkg-buildpackage -us -uc -b`, then checks them with lintian (no error, no warning allowed).
# The copy lives in a temporary directory; the source tree and its parent are never written to,
# except the output directory (default: build-deb/ in the tree, which git ignores).
#
# Usage: scripts/build-debs.sh [--suite SUITE] [--out DIR] [--check] [--no-lintian] [--jobs N]
#   --suite SUITE build for that Debian release (trixie: Kea 2.6) in its chroot from
#                 scripts/kea-chroot.sh, with its lintian; default out: build-deb-SUITE/.
#                 Without it: for this machine's release and Kea.
#   --check       also build and run the unit tests (default: DEB_BUILD_OPTIONS=nocheck)
#   --no-lintian  skip lintian
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=
suite=
check=0
lintian=1
jobs=$(nproc)
usage() { echo "usage: $0 [--suite SUITE] [--out DIR] [--check] [--no-lintian] [--jobs N]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --suite) [ $# -ge 2 ] || usage; suite=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
        --check) check=1; shift ;;
        --no-lintian) lintian=0; shift ;;
        --jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
        *) usage ;;
    esac
done
[ -n "$out" ] || out=$root/build-deb${suite:+-$suite}

# in_target CMD...: runs CMD where the packages are built: here, or in the suite's chroot (the
# work directory bound at the same path; the chroot is made first, while the network is up).
in_target=()
if [ -n "$suite" ]; then
    "$root/scripts/kea-chroot.sh" ensure "$suite" >/dev/null
fi

# With --suite, the chroot has its own dpkg-buildpackage and lintian (deps/chroot/packages.txt).
tools=(dpkg-parsechangelog)
[ -n "$suite" ] || tools+=(dpkg-buildpackage)
[ -n "$suite" ] || [ $lintian -eq 0 ] || tools+=(lintian)
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || { echo "build-debs: $tool missing (make deps installs it)" >&2; exit 1; }
done

version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/rpi-netboot-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/rpi-netboot-$version
mkdir -p "$src" "$work/tmp"
# The build's and lintian's temporary files go under $work and go with it: lintian leaves
# mldbm-elf-* files behind in $TMPDIR, which would otherwise pile up in /tmp.
export TMPDIR="$work/tmp"
[ -z "$suite" ] || in_target=("$root/scripts/kea-chroot.sh" run --bind "$work" "$suite" --)

# The clean copy: git's tracked files as they are in the working tree (so uncommitted edits to
# tracked files are built, untracked files and build directories are not).
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --deduplicate | while IFS= read -r -d '' f; do
        # A tracked file deleted in the working tree is left out, as git would.
        if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
    done | tar --null --no-recursion -T - -cf -) | tar -xf - -C "$src"
else
    (cd "$root" && tar --exclude='./build*' --exclude='./.git' -cf - .) | tar -xf - -C "$src"
fi

opts="parallel=$jobs"
[ $check -eq 1 ] || opts="nocheck $opts"
echo "build-debs: building rpi-netboot $version in $src (DEB_BUILD_OPTIONS='$opts')${suite:+ in the $suite chroot}"
# Offline means offline: as root the build runs in a new network namespace that has only a down
# loopback, so a build step that reached for the network would fail here, not at a user's site.
isolate=()
if unshare --net true 2>/dev/null; then
    isolate=(unshare --net)
    echo "build-debs: building offline (unshare --net: no network interface)"
else
    echo "build-debs: NOTE: cannot unshare the network (not root): the build is not isolated"
fi
start=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS="$opts" "${isolate[@]}" "${in_target[@]}" dpkg-buildpackage -us -uc -b)
echo "build-debs: dpkg-buildpackage took $(( $(date +%s) - start )) s"

changes=$(ls "$work"/rpi-netboot_"$version"_*.changes)
if [ $lintian -eq 1 ]; then
    # --fail-on makes errors and warnings fatal; overrides live in debian/*.lintian-overrides, each
    # with its reason written above it.
    echo "build-debs: lintian $changes"
    "${in_target[@]}" lintian --fail-on error,warning --display-level '>=warning' --show-overrides "$changes"
    echo "build-debs: lintian: no errors, no warnings"
fi

mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
cp "$work"/*.deb "$changes" "$work"/*.buildinfo "$out"/
echo "build-debs: packages in $out:"
(cd "$out" && ls -1 *.deb)
