#!/usr/bin/env bash
# shellcheck disable=SC2016,SC1091 # single quotes hold code for another shell; os-release is the host's
# Cached Debian trixie/sid chroots for building and testing against newer Keas (trixie ships Kea
# 2.6, sid Kea 3.0) on a machine whose own Kea is older.
#
# Usage:
#   kea-chroot.sh ensure SUITE
#       Makes sure the chroot of SUITE (trixie | sid) exists and prints its root directory on
#       stdout (progress goes to stderr). It lives in $RPI_NETBOOT_CHROOT_CACHE (default
#       /var/cache/rpi-netboot/chroots) as <suite>-<hash>, the hash covering the package list
#       deps/chroot/packages.txt and CHROOT_LAYOUT below, so a changed list makes a new chroot.
#       Built by mmdebstrap into a temporary directory beside it and renamed into place, under an
#       exclusive flock on <cache>/<suite>.lock: concurrent callers wait for one build. The mirror
#       is the Debian one this machine's apt sources name, read now (see debian_mirror below), or
#       $RPI_NETBOOT_DEBIAN_MIRROR. Services never start inside: a policy-rc.d refuses them.
#   kea-chroot.sh run [--ephemeral] [--bind DIR]... SUITE -- CMD [ARG...]
#       Runs CMD inside the chroot (ensuring it first), in a private mount namespace with /proc,
#       /sys, /dev (and /dev/pts, /dev/shm) mounted, a fresh tmpfs on /tmp and /run, Kea's
#       /run/kea (0750), /var/log/kea and /var/lib/kea in place, and these host directories
#       bind-mounted at the same absolute path: this script's source checkout, the caller's
#       current directory (unless it is inside the checkout or is /), and every --bind DIR. The
#       working directory is kept. The final step is an exec chain (unshare without --fork,
#       chroot, exec), so CMD runs with the PID of this script: a caller that started
#       `kea-chroot.sh run ... -- kea-dhcp4 -c F` stops the daemon by signalling that PID, and the
#       namespace's mounts disappear when it exits. Works under `ip netns exec NS`, which gives
#       CMD that network namespace (/sys is mounted afresh inside, so it shows the namespace's
#       interfaces). Kea's path variables (KEA_CONTROL_SOCKET_DIR, KEA_LOG_FILE_DIR, ...) pass
#       through the environment unchanged. The exit status is CMD's.
#       --ephemeral: CMD sees the chroot through an overlay whose writable layer is a tmpfs of
#       that mount namespace, so whatever it changes (packages it installs, users it adds) is
#       gone when it exits and the cached chroot stays as built.
#   kea-chroot.sh build SUITE BUILDDIR [TARGET...]
#       Configures this source tree in BUILDDIR (relative paths are taken from the current
#       directory; it must lie inside a bound directory, normally the checkout, e.g. build-sid)
#       inside the chroot, CMAKE_BUILD_TYPE=Release with the project's warnings-as-errors, and
#       builds TARGET... (default: all). Extra cmake -D options: $RPI_NETBOOT_CHROOT_CMAKE_ARGS.
#   kea-chroot.sh prune SUITE
#       Removes the cached chroots of SUITE other than the current one.
#   kea-chroot.sh mirror
#       Prints the Debian mirror a new chroot would come from ($RPI_NETBOOT_APT_ETC, default
#       /etc/apt, is where the apt sources are read).
#
# Needs root, mmdebstrap (deps/chroot.txt), unshare and flock (util-linux).
set -euo pipefail

# Bump when the chroot's contents change other than through deps/chroot/packages.txt.
CHROOT_LAYOUT=2

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PACKAGES_FILE=$SRC/deps/chroot/packages.txt
CACHE=${RPI_NETBOOT_CHROOT_CACHE:-/var/cache/rpi-netboot/chroots}

die() { echo "kea-chroot: $*" >&2; exit 1; }
note() { echo "kea-chroot: $*" >&2; }

usage() {
    sed -n '/^# Usage:/,/^# Needs root/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

check_suite() {
    case "$1" in
    trixie | sid) ;;
    *) die "unknown suite '$1' (trixie or sid)" ;;
    esac
}

packages() { sed -e 's/#.*//' "$PACKAGES_FILE" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u; }

chroot_dir() {
    local hash
    hash=$({
        echo "layout $CHROOT_LAYOUT suite $1"
        packages
    } | sha256sum | cut -c1-12)
    echo "$CACHE/$1-$hash"
}

# The Debian archive URI of this machine's apt sources: the entry (deb822 .sources or one-line
# .list) whose suite is the host's own release codename, so neither the security archive nor a
# third-party repository is picked.
debian_mirror() {
    if [ -n "${RPI_NETBOOT_DEBIAN_MIRROR:-}" ]; then
        echo "$RPI_NETBOOT_DEBIAN_MIRROR"
        return
    fi
    local codename files=()
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release; set RPI_NETBOOT_DEBIAN_MIRROR"
    shopt -s nullglob
    local f uri=""
    local etc=${RPI_NETBOOT_APT_ETC:-/etc/apt}
    for f in "$etc"/sources.list.d/*.sources; do files+=("$f"); done
    for f in "${files[@]}"; do
        uri=$(awk -v want="$codename" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " want " ") && uris != "") {
                    split(uris, u, " "); print u[1]; found = 1; exit
                }
                types = ""; suites = ""; uris = ""; enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "types") types = val
                else if (key == "suites") suites = val
                else if (key == "uris") uris = val
                else if (key == "enabled") enabled = tolower(val)
            }
            END { if (!found) flush() }' "$f")
        [ -z "$uri" ] || break
    done
    if [ -z "$uri" ]; then
        files=()
        [ -f "$etc/sources.list" ] && files+=("$etc/sources.list")
        for f in "$etc"/sources.list.d/*.list; do files+=("$f"); done
        for f in "${files[@]}"; do
            # deb [options] URI SUITE COMPONENT...
            uri=$(awk -v want="$codename" '
                $1 == "deb" {
                    i = 2
                    if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                    if ($(i + 1) == want) { print $i; exit }
                }' "$f")
            [ -z "$uri" ] || break
        done
    fi
    [ -n "$uri" ] || die "no Debian '$codename' entry in the apt sources; set RPI_NETBOOT_DEBIAN_MIRROR"
    echo "$uri"
}

# Prints the chroot root, building it if missing.
ensure() {
    local suite=$1 dir tmp mirror start
    dir=$(chroot_dir "$suite")
    if [ -e "$dir/.rpi-netboot-chroot" ]; then
        echo "$dir"
        return
    fi
    [ "$(id -u)" -eq 0 ] || die "building a chroot needs root"
    command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (scripts/install-deps.sh deps/chroot.txt)"
    mkdir -p "$CACHE"
    exec 9>"$CACHE/$suite.lock"
    flock 9
    if [ -e "$dir/.rpi-netboot-chroot" ]; then # built by another caller while we waited
        exec 9>&-
        echo "$dir"
        return
    fi
    mirror=$(debian_mirror)
    tmp=$(mktemp -d "$CACHE/.build-$suite-XXXXXX")
    rmdir "$tmp" # mmdebstrap creates it
    # shellcheck disable=SC2064 # expand now: the trap must remove this build's directory
    # --one-file-system: never into a mount (proc, dev) a failed mmdebstrap might have left.
    trap "rm -rf --one-file-system '$tmp'" EXIT
    local aptopts=()
    # sid's Release files are not refreshed like a stable suite's; a mirror serving a fixed
    # snapshot would otherwise be refused as expired.
    [ "$suite" = sid ] && aptopts+=(--aptopt='Acquire::Check-Valid-Until "false"')
    note "building the $suite chroot in $dir (mmdebstrap, a few minutes)"
    start=$(date +%s)
    mmdebstrap --quiet --variant=apt --components=main "${aptopts[@]}" \
        --include="$(packages | paste -sd, -)" \
        --customize-hook='for d in /run/kea /var/log/kea /var/lib/kea; do mkdir -p "$1$d"; chmod 0750 "$1$d"; chroot "$1" sh -c "id _kea >/dev/null 2>&1 && chown _kea:_kea $d || true"; done' \
        "$suite" "$tmp" "$mirror" >&2
    # After mmdebstrap, which removes any policy-rc.d at its end: later package installs inside
    # (apt-get in `run`) must not start services either.
    printf '#!/bin/sh\n# kea-chroot.sh: no service starts in this chroot\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
    chmod 755 "$tmp/usr/sbin/policy-rc.d"
    {
        echo "suite=$suite"
        echo "layout=$CHROOT_LAYOUT"
        echo "kea=$(chroot "$tmp" dpkg-query -W -f='${Version}' kea-dev)"
        echo "built=$(date -u +%FT%TZ)"
    } >"$tmp/.rpi-netboot-chroot"
    mv -T "$tmp" "$dir"
    trap - EXIT
    exec 9>&-
    note "built $dir in $(($(date +%s) - start)) s ($(grep '^kea=' "$dir/.rpi-netboot-chroot"))"
    echo "$dir"
}

# Inside the private mount namespace: mount, bind, chroot, exec. Arguments: ROOT CWD EPHEMERAL N
# BIND_1..BIND_N CMD...
inner() {
    local root=$1 cwd=$2 ephemeral=$3 n=$4
    shift 4
    if [ "$ephemeral" = 1 ]; then
        # The overlay's layers live on a tmpfs mounted (in this namespace only) on a fixed, empty
        # directory of the cache, so nothing is left behind on the host when CMD exits.
        local ov=$CACHE/.ephemeral
        mkdir -p "$ov"
        mount -t tmpfs -o mode=0755 tmpfs "$ov"
        mkdir "$ov/upper" "$ov/work" "$ov/root"
        mount -t overlay overlay -o "lowerdir=$root,upperdir=$ov/upper,workdir=$ov/work" "$ov/root"
        root=$ov/root
    fi
    local binds=("${@:1:n}")
    shift "$n"
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    # Kea's run-time directory: 0750, as its packages create it and as Kea 2.6.3+ requires of the
    # control socket directory.
    mkdir -p "$root/run/kea" "$root/run/lock"
    chmod 0750 "$root/run/kea"
    chroot "$root" sh -c 'id _kea >/dev/null 2>&1 && chown _kea:_kea /run/kea || true'
    local b
    for b in "${binds[@]}"; do
        mkdir -p "$root$b"
        mount --rbind "$b" "$root$b"
    done
    # shellcheck disable=SC2016 # expanded by the chroot's shell
    exec chroot "$root" /bin/sh -c 'cd "$1" || exit 125; shift; exec "$@"' sh "$cwd" "$@"
}

run() {
    local binds=() ephemeral=0
    while [ $# -gt 0 ]; do
        case "$1" in
        --ephemeral)
            ephemeral=1
            shift
            ;;
        --bind)
            [ $# -ge 2 ] || usage
            [ -d "$2" ] || die "--bind $2: not a directory"
            binds+=("$(cd "$2" && pwd -P)")
            shift 2
            ;;
        *) break ;;
        esac
    done
    [ $# -ge 3 ] && [ "$2" = -- ] || usage
    local suite=$1 root cwd
    check_suite "$suite"
    shift 2
    root=$(ensure "$suite")
    cwd=$(pwd -P)
    binds=("$SRC" "${binds[@]}")
    case "$cwd/" in
    "$SRC"/*) ;;
    /) ;;
    *) [ "$cwd" = / ] || binds+=("$cwd") ;;
    esac
    [ "$(id -u)" -eq 0 ] || die "run needs root (mount namespaces, chroot)"
    exec unshare --mount --propagation private -- "${BASH_SOURCE[0]}" __inner "$root" "$cwd" \
        "$ephemeral" "${#binds[@]}" "${binds[@]}" "$@"
}

build() {
    [ $# -ge 2 ] || usage
    local suite=$1 builddir=$2
    shift 2
    check_suite "$suite"
    case "$builddir" in
    /*) ;;
    *) builddir=$(pwd -P)/$builddir ;;
    esac
    local targets=()
    local t
    for t in "$@"; do targets+=(--target "$t"); done
    note "$suite: configuring and building $SRC in $builddir"
    # shellcheck disable=SC2086 # RPI_NETBOOT_CHROOT_CMAKE_ARGS is a word list
    run "$suite" -- /bin/sh -c 'cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release $3 &&
        shift 3 && exec cmake --build "$@"' sh "$SRC" "$builddir" "${RPI_NETBOOT_CHROOT_CMAKE_ARGS:-}" \
        "$builddir" -j"$(nproc)" "${targets[@]}"
}

prune() {
    local suite=$1 keep d
    check_suite "$suite"
    keep=$(chroot_dir "$suite")
    exec 9>"$CACHE/$suite.lock"
    flock 9
    for d in "$CACHE/$suite"-*; do
        [ -d "$d" ] && [ "$d" != "$keep" ] || continue
        note "removing $d"
        rm -rf --one-file-system "$d"
    done
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
ensure)
    [ $# -eq 1 ] || usage
    check_suite "$1"
    ensure "$1"
    ;;
run) run "$@" ;;
build) build "$@" ;;
prune)
    [ $# -eq 1 ] || usage
    prune "$1"
    ;;
mirror)
    [ $# -eq 0 ] || usage
    debian_mirror
    ;;
__inner) inner "$@" ;;
*) usage ;;
esac
