#!/usr/bin/env bash
# Builds (once) a tiny x86-64 kernel for QEMU from Debian's linux-source package: tinyconfig plus
# tests/lib/tiny_kernel.config (ip=dhcp, virtio-net, NFS root, serial console built in).
# Prints the path of the cached bzImage. The cache is keyed by a hash of the fragment, this
# script and the source package version, so a change to either builds a new kernel; concurrent
# callers wait on one lock and build once.
#   tiny_kernel.sh            build if needed, print the bzImage path
#   tiny_kernel.sh --cached   print the path if built, else exit 1 (never builds)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/tiny_kernel.config
cache=${RPI_NETBOOT_KERNEL_CACHE:-/var/cache/rpi-netboot/kernel}

tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$tarball" ] || { echo "tiny_kernel: no /usr/src/linux-source-*.tar.xz (install linux-source)" >&2; exit 3; }
srcpkg=$(basename "$tarball" .tar.xz)
srcver=$(dpkg-query -W -f='${Version}' "$srcpkg")
key=$( { cat "$fragment" "$0"; echo "$srcpkg $srcver"; } | sha256sum | cut -c1-16)
out=$cache/$key
if [ -s "$out/bzImage" ]; then echo "$out/bzImage"; exit 0; fi
[ "${1:-}" = --cached ] && exit 1

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -s "$out/bzImage" ]; then echo "$out/bzImage"; exit 0; fi

work=$cache/build-$key
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
{
    echo "tiny_kernel: building $srcpkg $srcver, key $key, -j$(nproc)"
    tar -xJf "$tarball" -C "$work"
    src=$work/$srcpkg
    make -C "$src" -s tinyconfig
    "$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$fragment"
    make -C "$src" -s olddefconfig
    # Every option the fragment asks for must have survived olddefconfig (a missing dependency
    # silently drops it).
    missing=0
    while IFS= read -r line; do
        case $line in
            CONFIG_*=*) grep -qx "$line" "$src/.config" || { echo "tiny_kernel: $line did not stick" >&2; missing=1; } ;;
            "# CONFIG_"*" is not set") grep -qx "$line" "$src/.config" || { echo "tiny_kernel: '$line' did not stick" >&2; missing=1; } ;;
        esac
    done < "$fragment"
    [ $missing -eq 0 ]
    make -C "$src" -s -j"$(nproc)" bzImage
    mkdir -p "$out.tmp"
    cp "$src/arch/x86/boot/bzImage" "$out.tmp/bzImage"
    cp "$src/.config" "$out.tmp/config"
    echo "$srcpkg $srcver built in $(( $(date +%s) - start )) s with -j$(nproc)" > "$out.tmp/build-info"
    rm -rf "$out"
    mv "$out.tmp" "$out"
} >"$cache/build-$key.log" 2>&1 || { echo "tiny_kernel: build failed, log: $cache/build-$key.log" >&2; tail -n 30 "$cache/build-$key.log" >&2; exit 1; }
cat "$out/build-info" >&2
echo "$out/bzImage"
