#!/usr/bin/env bash
# atftpd conflicts with tftpd-hpa in Debian ("Conflicts: tftpd": installing one removes the
# other), so the benchmark unpacks atftpd's .deb into DIR instead of installing it. Nothing is
# registered with dpkg and no service or socket unit is enabled. Run-time libraries: deps/bench.txt.
#   bench/tftp/fetch-atftpd.sh DIR      -> DIR/usr/sbin/atftpd
set -euo pipefail
dir=${1:?usage: $0 DIR}
[ -x "$dir/usr/sbin/atftpd" ] && exit 0
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download atftpd >/dev/null)
dpkg-deb -x "$tmp"/atftpd_*.deb "$dir"
"$dir/usr/sbin/atftpd" --version >/dev/null 2>&1 || { echo "atftpd unpacked but does not run" >&2; exit 1; }
echo "atftpd unpacked into $dir"
