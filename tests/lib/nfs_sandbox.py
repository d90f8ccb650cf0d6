"""A private NFS server state inside a test network namespace, and the NFS daemons started in it.

exportfs, rpc.mountd, rpcbind and nfs-ganesha read and write fixed host paths: /etc/exports,
/etc/exports.d, /var/lib/nfs (etab, rmtab, ganesha's recovery state) and /run (rpcbind's socket,
lock and warm-start files). A test must never see or change the host's copies, and must work on a
host that has none of them. So a holder process, started in the test's network namespace under
`unshare --mount`, mounts in its own mount namespace:
- a tmpfs for the sandbox's state, holding an overlay's upper layer over /etc (so /etc/exports can
  be the test's own file even where the host has none: writes land in the tmpfs, never the host's);
- a tmpfs over /etc/exports.d (the host's drop-ins are hidden), /var/lib/nfs and /run;
then sleeps. Commands join its mount and network namespaces with nsenter (`Sandbox.argv`), or a
whole test script runs inside (`Sandbox.current()` there). Standard library only.
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

# The mount points that must be the sandbox's own, and the file system each must be.
PRIVATE_MOUNTS = {"/etc": "overlay", "/etc/exports.d": "tmpfs", "/var/lib/nfs": "tmpfs",
                  "/run": "tmpfs"}

DEFAULT_EXPORTS = "# test sandbox: the host's /etc/exports is not visible here\n"

# $1: the state directory (a tmpfs is mounted there), $2: the host's mount namespace (refused),
# $3: the initial /etc/exports. set -e: a failed mount stops before anything is written.
_SETUP = """set -e
[ "$(readlink /proc/self/ns/mnt)" != "$2" ] || { echo "not in a private mount namespace"; exit 1; }
mount -t tmpfs -o mode=0700 rpinb-nfs-state "$1"
mkdir "$1/upper" "$1/work"
mount -t overlay overlay -o lowerdir=/etc,upperdir="$1/upper",workdir="$1/work" /etc
mkdir -p /etc/exports.d
mount -t tmpfs -o mode=0755 rpinb-exports.d /etc/exports.d
cat "$3" > /etc/exports
mount -t tmpfs -o mode=0755 rpinb-var-lib-nfs /var/lib/nfs
mkdir -p /var/lib/nfs/rpc_pipefs /var/lib/nfs/v4recovery
touch /var/lib/nfs/etab /var/lib/nfs/rmtab
mount -t tmpfs -o mode=0755 rpinb-run /run
mkdir -p /run/rpcbind
exec sleep 3600
"""


def mounts_of(pid="self"):
    """{mount point: file system type} of a process's mount namespace (the last mount wins)."""
    out = {}
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            out[fields[4].replace("\\040", " ")] = fields[sep + 1]
    return out


def check_private(pid="self", host_mnt_ns=None):
    """Raises RuntimeError unless `pid` runs in a mount namespace other than `host_mnt_ns` (default:
    ours) in which every path of PRIVATE_MOUNTS is the sandbox's own mount."""
    host = host_mnt_ns or os.readlink("/proc/self/ns/mnt")
    if os.readlink(f"/proc/{pid}/ns/mnt") == host:
        raise RuntimeError("not in a private mount namespace: refusing to touch the host")
    mounts = mounts_of(pid)
    wrong = [f"{p} ({mounts.get(p, 'not a mount point')})" for p, fs in PRIVATE_MOUNTS.items()
             if mounts.get(p) != fs]
    if wrong:
        raise RuntimeError("NFS state is not private: " + ", ".join(wrong))


class Sandbox:
    """The private NFS state of one test network namespace (see the module's docstring)."""

    def __init__(self, netns, exports=DEFAULT_EXPORTS):
        """Starts the holder in `netns` (a netlab.Netns) with `exports` as /etc/exports."""
        self.state = tempfile.mkdtemp(prefix="rpinb-nfs-state-")
        netlab._cleanups.append(self.close)
        initial = os.path.join(self.state, "exports")
        with open(initial, "w") as f:
            f.write(exports)
        private = os.path.join(self.state, "private")
        os.mkdir(private)
        self.holder = netns.start(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                   _SETUP, "nfs-sandbox", private,
                                   os.readlink("/proc/self/ns/mnt"), initial], name="nfs-sandbox",
                                  log=os.path.join(self.state, "holder.log"))
        self.holder.wait_ready(self._mounted, timeout=10, what="the private NFS mounts",
                               label="NFS sandbox set-up")
        check_private(self.holder.pid)
        self.prefix = ["nsenter", "-t", str(self.holder.pid), "-m", "-n", "--"]

    @classmethod
    def current(cls, host_mnt_ns):
        """This process, already inside a sandbox (run through `argv`): checked, then used as is."""
        check_private("self", host_mnt_ns)
        sandbox = cls.__new__(cls)
        sandbox.state, sandbox.holder, sandbox.prefix = None, None, []
        return sandbox

    def _mounted(self):
        # The holder becomes `sleep` once everything is mounted.
        try:
            with open(f"/proc/{self.holder.pid}/comm") as f:
                return f.read().strip() == "sleep"
        except FileNotFoundError:
            return False

    def argv(self, argv):
        """argv to run in the sandbox's mount and network namespaces (cwd is its /)."""
        return self.prefix + list(argv)

    def run(self, argv, check=True, timeout=60, **kw):
        return netlab.run(self.argv(argv), check=check, timeout=timeout, **kw)

    def start(self, argv, name, log=None):
        return netlab.Proc(self.argv(argv), name=name, log=log)

    def registered(self, program):
        """Whether RPC `program` is registered with the sandbox's rpcbind."""
        out = self.run(["rpcinfo", "-p", "127.0.0.1"], check=False).stdout
        return any(line.split()[:1] == [str(program)] for line in out.splitlines())

    def start_rpcbind(self, log=None):
        proc = self.start(["rpcbind", "-f"], name="rpcbind", log=log)
        proc.wait_ready(lambda: self.run(["rpcinfo", "-p", "127.0.0.1"], check=False).returncode
                        == 0, what="rpcbind to answer")
        return proc

    def start_mountd(self, *options, log=None):
        """rpc.mountd -F `options`, once registered (program 100005) with rpcbind."""
        proc = self.start(["rpc.mountd", "-F"] + list(options), name="rpc.mountd", log=log)
        proc.wait_ready(lambda: self.registered(100005), what="rpc.mountd registered")
        return proc

    def start_server(self, *mountd_options):
        """rpcbind, `exportfs -ra`, rpc.mountd: a kernel-less NFS server's export side.
        Returns [rpcbind, mountd] (stop them in reverse)."""
        rpcbind = self.start_rpcbind()
        self.run(["exportfs", "-ra"])
        return [rpcbind, self.start_mountd(*mountd_options)]

    def close(self):
        """Stops the holder; the mounts vanish with the last process in its namespace."""
        if self.holder:
            self.holder.stop()
            self.holder = None
        if self.state:
            shutil.rmtree(self.state, ignore_errors=True)
            self.state = None
