"""The lab's NFS server: the Linux kernel NFS server (knfsd) in a QEMU guest of its own.

The host's kernel may have no nfsd (and may load no modules), so the server runs in a second QEMU
guest booting the same tiny kernel as the Pi (tests/lib/tiny_kernel.sh; its fragment builds in
NFSD, 9p and tmpfs). The kernel boots from the host's `/`, read-only over virtio 9p (a no-device
root: `root=<tag> rootfstype=9p`, init/do_mounts.c mount_nodev_root), so the guest runs the
host's own nfs-utils, rpcbind and this build's `rpi-nfs-exports`. Its init (written here) then
pivots into a tmpfs root holding the host's top-level directories bound from 9p: NFSv4 clients
walk down from the pseudo root "/", which knfsd cannot export on 9p (no export operations; the
Pi's `vers=4.1` root mount failed with "VFS: Unable to mount root fs via NFS" and mountd logged
"Cannot export /"). It mounts tmpfs for everything it writes (/run, /var/lib/nfs; /srv is in the
root tmpfs; /etc is links to the host's files with its own empty /etc/exports and
/etc/exports.d), then starts rpcbind, `exportfs -ra`, rpc.mountd and rpc.nfsd, as nfs-utils'
systemd units order them, and prints READY on its console (ttyS0, a file).
NFSv3 and NFSv4 (4.0-4.2) are served; NFSv4's lease and grace period are set to their minimum
(10 s, /proc/fs/nfsd/nfsv4leasetime and nfsv4gracetime) so that a v4 client's first OPEN is not
held for the default 90 s.

Exports are made on request over a second serial port (ttyS1, a Unix socket): `export()` sends
the Pi's serial, its client address and a host directory holding its root; the guest copies that
root into its tmpfs (knfsd cannot export 9p) under /srv/nfs/pi/<serial> and runs
`rpi-nfs-exports add` (knfsd backend: its drop-in in /etc/exports.d, `exportfs -ra`, then its
own live check over RPC against the guest's mountd), and answers with the tool's exit code.
`start_watch()` starts `rpi-nfs-exports watch-mounts --input none` in the guest over its
/proc/fs/nfsd/clients (its events, JSON lines, go to the console: `console_events()`), and
`nfsd_clients()` prints that directory's files (info, states) on the console.

Network: the guest has the static address ADDRESS on a tap device in the caller's namespace
(normally the lab's server namespace), whose side is GATEWAY; that namespace forwards between
the tap and the Pi's subnet, so a Pi whose DHCP router is that namespace's address reaches the
server by plain routing and the server sees the Pi's own address (what the export names).
QEMU runs with TCG, is stopped by PID, and every wait is bounded. Standard library only.
"""

import json
import os
import re
import shlex
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402
import qemu_guest  # noqa: E402
import qemu_kernel  # noqa: E402

# TEST-NET-2 (RFC 5737): the server's own small network behind the lab's server namespace.
ADDRESS = "198.51.100.2"
GATEWAY = "198.51.100.1"
NETMASK = "255.255.255.0"
BASE = "/srv/nfs/pi"  # where rpi-nfs-exports keeps per-Pi roots (its default --base)
READY = "RPI-NETBOOT-KNFSD-READY"
FAILED = "RPI-NETBOOT-KNFSD-FAILED"
DUMP = "RPI-NETBOOT-KNFSD-FILE"
RESULT = "RPI-NETBOOT-KNFSD-RESULT"
TAG = qemu_guest.ROOT_TAG
# What the guest needs from the host besides the kernel (all run inside the guest).
GUEST_TOOLS = ("rpcbind", "rpcinfo", "rpc.mountd", "rpc.nfsd", "exportfs", "stty")


INIT = r"""#!/bin/sh
# init (PID 1) of the knfsd server guest, written by tests/lib/knfsd_guest.py.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
fail() {{
    echo "{failed}: $*"
    exec /bin/busybox poweroff -f
}}
# The root knfsd serves NFSv4 from must be exportable: NFSv4 has one pseudo root, "/", built by
# rpc.mountd from the exports' parent directories (exports(5), "NFSv4"), and a 9p root has no
# export operations, so mountd's "/" fails ("Cannot export /, possibly unsupported filesystem")
# and a v4 client finds no path down to its export. So "/" becomes a tmpfs (nosuid,nodev: what
# rpi-nfs-exports asks of a file system it exports no_root_squash; /srv is a directory in it)
# holding the host's top-level directories bound read-only from 9p, and init pivots into it.
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /mnt || fail "tmpfs for the new root"
for e in /*; do
    name=${{e#/}}
    if [ -L "$e" ]; then
        ln -s "$(readlink "$e")" "/mnt/$name" || fail "link /$name"
    elif [ -d "$e" ]; then
        mkdir "/mnt/$name" || fail "mkdir /$name"
        case $name in
            proc|sys|dev|run|srv|etc|mnt) ;;
            *) mount --bind "$e" "/mnt/$name" || fail "bind /$name" ;;
        esac
    fi
done
mkdir -p /mnt/oldroot /mnt/srv /mnt/etc || fail "new root directories"
cd /mnt && pivot_root . oldroot || fail "pivot_root"
cd /
mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"
for d in /run /var/lib/nfs; do
    mount -t tmpfs -o mode=0755 tmpfs "$d" || fail "tmpfs on $d"
done
# /etc: the host's files through links, but exports of our own (the host's /etc/exports is not
# this server's, and /etc/exports.d may not exist on the host).
mkdir /run/host-etc && mount --bind /oldroot/etc /run/host-etc || fail "bind /etc"
umount -l /oldroot || fail "umount the 9p root's old place"
for f in /run/host-etc/* /run/host-etc/.[!.]*; do
    name=${{f##*/}}
    if [ -L "$f" ]; then
        ln -s "$(readlink "$f")" "/etc/$name"
    elif [ -e "$f" ]; then
        ln -s "$f" "/etc/$name"
    fi
done
rm -rf /etc/exports /etc/exports.d
echo "# knfsd test guest: only rpi-nfs-exports' drop-in in /etc/exports.d" > /etc/exports
mkdir -p /etc/exports.d /run/rpcbind /var/lib/nfs/sm /var/lib/nfs/v4recovery "{base}" ||
    fail "state directories"
touch /var/lib/nfs/etab /var/lib/nfs/rmtab || fail "state files"
mount -t nfsd nfsd /proc/fs/nfsd || fail "mount nfsd (CONFIG_NFSD)"
rpcbind -f &
i=0
until rpcinfo -p 127.0.0.1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -le 300 ] || fail "rpcbind did not answer"; sleep 0.1
done
exportfs -ra || fail "exportfs -ra"
# Present only with CONFIG_NFSD_V4; both must be set before nfsd starts.
for f in nfsv4leasetime nfsv4gracetime; do
    [ ! -e /proc/fs/nfsd/$f ] || echo 10 > /proc/fs/nfsd/$f || fail "$f"
done
rpc.mountd -F &
rpc.nfsd 4 || fail "rpc.nfsd"
i=0
until rpcinfo -p 127.0.0.1 | grep -q " 100005 " && rpcinfo -p 127.0.0.1 | grep -q " 100003 "; do
    i=$((i + 1)); [ $i -le 300 ] || fail "mountd/nfsd did not register"; sleep 0.1
done
echo "nfsd versions: $(cat /proc/fs/nfsd/versions)"
rpcinfo -p 127.0.0.1
stty -F /dev/ttyS1 raw -echo || fail "stty ttyS1"
exec 3<>/dev/ttyS1
echo "{ready}"
# One request a line: add SERIAL CLIENT HOST_DIR [FSID], watch ID, clients ID
while read -r cmd serial client dir fsid <&3; do
    case $cmd in
        watch)
            echo "request: watch-mounts"
            {tool} --base "{base}" watch-mounts --input none --poll-interval 1 --events stderr \
                2>&1 3<&- &
            rc=0
            ;;
        clients)
            for d in /proc/fs/nfsd/clients/*/; do
                [ -d "$d" ] || continue
                for f in info states; do
                    echo "{dump} $d$f"
                    cat "$d$f"
                done
            done
            echo "{dump} end"
            rc=0
            ;;
        add)
            echo "request: add $serial for $client from $dir"
            rm -rf "{base}/$serial"
            set --
            [ -z "$fsid" ] || set -- --options "fsid=$fsid"
            if cp -a "$dir" "{base}/$serial"; then
                {tool} --base "{base}" --verify-timeout 30 add "$serial" --client "$client" "$@"
                rc=$?
            else
                rc=98
            fi
            ;;
        *) rc=99 ;;
    esac
    echo "{result} $serial rc=$rc"
    echo "{result} $serial rc=$rc" >&3
done
fail "the request channel closed"
"""


def missing_tools():
    from nfs_root import tool_path  # the tool's path in this build (nfs_root owns it)
    return [t for t in (qemu_kernel.QEMU, qemu_kernel.BUSYBOX, tool_path()) + GUEST_TOOLS
            if not (os.path.exists(t) or shutil.which(t, path="/usr/sbin:/usr/bin:/sbin:/bin"))]


class Server:
    """knfsd in a QEMU guest reachable from namespace `ns` at ADDRESS; export() adds a Pi."""

    def __init__(self, ns, kernel, timeout=300, memory="256M"):
        from nfs_root import tool_path
        self.ns = ns
        # The guest mounts nothing over /tmp: it reads its init and the Pi roots from here.
        self.dir = tempfile.mkdtemp(prefix="rpinb-knfsd-")
        os.chmod(self.dir, 0o755)
        self.console_path = os.path.join(self.dir, "console.log")
        self.socket_path = os.path.join(self.dir, "ctl.sock")
        self.proc = None
        self.sock = None
        self.fsids = {}
        tag = f"{os.getpid() % 100000}"
        self.tap = f"ktp{tag}"[:15]
        init = os.path.join(self.dir, "init")
        with open(init, "w") as f:
            f.write(INIT.format(failed=FAILED, ready=READY, result=RESULT, base=BASE, dump=DUMP,
                                tool=shlex.quote(tool_path())))
        os.chmod(init, 0o755)
        try:
            ns.exec(["ip", "tuntap", "add", "dev", self.tap, "mode", "tap"])
            ns.exec(["ip", "addr", "add", f"{GATEWAY}/24", "dev", self.tap])
            ns.exec(["ip", "link", "set", self.tap, "up"])
            ns.exec(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
            append = (f"console=ttyS0 {qemu_guest.root_append(init)} "
                      f"ip={ADDRESS}::{GATEWAY}:{NETMASK}:knfsd:eth0:off")
            argv = [qemu_kernel.QEMU, "-accel", "tcg", "-m", memory, "-smp", "1",
                    "-display", "none", "-monitor", "none", "-no-reboot",
                    "-serial", f"file:{self.console_path}",
                    "-chardev", f"socket,id=ctl,path={self.socket_path},server=on,wait=off",
                    "-serial", "chardev:ctl",
                    "-kernel", kernel, "-append", append] + qemu_guest.virtfs_root() + [
                    "-netdev", f"tap,id=n0,ifname={self.tap},script=no,downscript=no",
                    "-device", "virtio-net-pci,netdev=n0,mac=02:00:00:00:0b:02"]
            open(self.console_path, "w").close()
            self.proc = ns.start(argv, name="qemu-knfsd",
                                 log=os.path.join(self.dir, "qemu.out"))
            start = time.monotonic()
            try:
                netlab.wait_for(lambda: self._state() is not None, timeout=timeout,
                                interval=0.5, what="the knfsd guest")
            except TimeoutError:
                raise AssertionError(f"the knfsd guest was not ready in {timeout}s:\n"
                                     + self.console()[-4000:])
            if self._state() != READY:
                raise AssertionError("the knfsd guest failed:\n" + self.console()[-4000:]
                                     + self.proc.output()[-2000:])
            self.boot_seconds = time.monotonic() - start
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(self.socket_path)
        except BaseException:
            self.close()
            raise

    def console(self):
        with open(self.console_path, errors="replace") as f:
            return f.read()

    def _state(self):
        text = self.console()
        if READY in text:
            return READY
        if FAILED in text or "Kernel panic" in text or not self.proc.alive():
            return FAILED
        return None

    def root_dir(self, serial):
        """A host directory for the Pi's root before export() copies it into the guest."""
        path = os.path.join(self.dir, "roots", serial)
        os.makedirs(path, exist_ok=True)
        return path

    def export(self, serial, client, path, root_dir, timeout=180):
        """Exports the Pi root made in host directory `root_dir` as `path` (BASE/<serial>, the
        layout rpi-nfs-exports uses) to `client`, with rpi-nfs-exports inside the guest;
        returns the guest's console output for this request."""
        if path != f"{BASE}/{serial}":
            raise ValueError(f"{path}: the knfsd guest keeps Pi roots at {BASE}/<serial>")
        for word in (serial, client, root_dir):
            if not re.fullmatch(r"[A-Za-z0-9./_-]+", word):
                raise ValueError(f"{word!r}: not a plain word for the guest's request line")
        # rpi-nfs-exports' default options plus fsid=: tmpfs has no device UUID for mountd to
        # name it by, and without fsid= (exports(5)) exportfs and the tool's live check passed
        # but the Pi's kernel failed to mount the root. A fixed number per serial.
        fsid = self.fsids.setdefault(serial, 1000 + len(self.fsids))
        before = len(self.console())
        rc = self._request(f"add {serial} {client} {root_dir} {fsid}", serial, timeout)
        output = self.console()[before:]
        if rc != 0:
            raise AssertionError(f"rpi-nfs-exports add {serial} --client {client} in the knfsd "
                                 f"guest failed ({rc}):\n{output[-4000:]}")
        return output

    def start_watch(self, timeout=60):
        """Starts `rpi-nfs-exports watch-mounts --input none --poll-interval 1 --events stderr`
        in the guest (in the background, until the guest stops); its output goes to the console."""
        self._request("watch watch", "watch", timeout)

    def console_events(self):
        """The JSON boot events watch-mounts printed on the console so far."""
        events = []
        for line in self.console().splitlines():
            line = line.strip()
            if line.startswith('{"'):
                try:
                    events.append(json.loads(line))
                except ValueError:
                    pass  # a line the kernel's own messages cut through
        return events

    def nfsd_clients(self, timeout=60):
        """{path: text} of every file in the guest's /proc/fs/nfsd/clients/*/ (info, states)."""
        before = len(self.console())
        self._request("clients clients", "clients", timeout)
        netlab.wait_for(lambda: f"{DUMP} end" in self.console()[before:], timeout=10,
                        what="the guest's dump of /proc/fs/nfsd/clients")
        text = self.console()[before:]
        text = text[:text.index(f"{DUMP} end")]
        files = {}
        for part in text.split(DUMP + " ")[1:]:
            path, _, body = part.partition("\n")
            files[path.strip()] = body
        return files

    def _request(self, line, word, timeout):
        """Sends one request line; returns the exit code the guest answers for `word`."""
        before = len(self.console())
        self.sock.sendall(f"{line}\n".encode())
        answer = b""
        serial = word
        pattern = re.compile(rf"{RESULT} {re.escape(serial)} rc=(\d+)")
        deadline = time.monotonic() + timeout
        while not pattern.search(answer.decode(errors="replace")):
            left = deadline - time.monotonic()
            if left <= 0 or not self.proc.alive():
                raise AssertionError(f"no answer from the knfsd guest for {serial} in "
                                     f"{timeout}s:\n{self.console()[before:][-4000:]}")
            self.sock.settimeout(min(left, 5))
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError("the knfsd guest closed its request channel:\n"
                                     + self.console()[before:][-4000:])
            answer += chunk
        rc = int(pattern.search(answer.decode(errors="replace")).group(1))
        # The console line comes with the answer; give the file a moment to have it all.
        netlab.wait_for(lambda: f"{RESULT} {serial} rc={rc}" in self.console()[before:],
                        timeout=10, what="the guest's console")
        return rc

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None
        if self.proc:
            self.proc.stop(timeout=10)
            self.proc = None
        if self.ns and self.ns.name:
            self.ns.exec(["ip", "link", "del", self.tap], check=False)
        self.ns = None
        if self.dir and not os.environ.get("RPI_NETBOOT_KEEP_TMP"):
            netlab.run(["rm", "-rf", "--one-file-system", self.dir], check=False)
            self.dir = None
