#!/bin/sh
# Runs inside `unshare --mount` (see test_packages.py): /etc/exports.d and /var/lib/nfs are private
# tmpfs copies, so exportfs and the purge touch nothing of this machine's NFS state.
# Usage: purge_nfs.sh BASE DROPIN LOCK
set -eu
base=$1 dropin=$2 lock=$3
root="$base/1234abcd"
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
cp -a /var/lib/nfs/. "$state/"
mount -t tmpfs tmpfs /etc/exports.d
mount --bind "$state" /var/lib/nfs

echo "== rpi-nfs-exports (installed) adds a Pi root"
rpi-nfs-exports --base "$base" add 1234abcd --path "$root" --client 192.0.2.10
test -f "$dropin" || { echo "FAIL: $dropin not written"; exit 1; }
test -e "$lock" || { echo "FAIL: lock $lock not created"; exit 1; }
grep -q "^$root[[:space:]]" /var/lib/nfs/etab || { echo "FAIL: $root not in etab"; cat /var/lib/nfs/etab; exit 1; }

# What purge must keep: a foreign drop-in. What it must also remove: a temp file a crash left.
foreign="$(dirname "$dropin")/site.exports"
site="$base/site-data"
mkdir -p "$site"
echo "$site 192.0.2.99(ro,sync,no_subtree_check)" > "$foreign"
cp "$foreign" "$state/foreign.expected"
stale="$(dirname "$dropin")/.$(basename "$dropin").tmp.AbC123"
: > "$stale"

echo "== dpkg --purge rpi-netboot-nfs"
# Another apt/dpkg run on this machine may hold the lock for a while: wait for it, bounded. Any other
# failure fails at once.
tries=0
until out=$(dpkg --purge rpi-netboot-nfs 2>&1); do
    echo "$out"
    echo "$out" | grep -q "lock" || { echo "FAIL: dpkg --purge rpi-netboot-nfs failed"; exit 1; }
    tries=$((tries + 1))
    [ $tries -lt 40 ] || { echo "FAIL: the dpkg lock stayed held for 200 s"; exit 1; }
    sleep 5
done
echo "$out"
test ! -e "$dropin" || { echo "FAIL: purge left $dropin"; exit 1; }
test ! -e "$lock" || { echo "FAIL: purge left $lock"; exit 1; }
test ! -e "$stale" || { echo "FAIL: purge left the stale temp file $stale"; exit 1; }
cmp "$state/foreign.expected" "$foreign" || { echo "FAIL: purge touched the foreign drop-in"; exit 1; }
if grep -q "^$root[[:space:]]" /var/lib/nfs/etab; then
    echo "FAIL: purge did not re-apply the exports: $root still exported"; exit 1
fi
grep -q "^$site[[:space:]]" /var/lib/nfs/etab || { echo "FAIL: the foreign export is not applied"; exit 1; }
echo "OK: purge removed the drop-in and the lock and re-applied the exports"
