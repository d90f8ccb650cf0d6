"""Per-Pi NFS roots served from a test network namespace, exported by `rpi-nfs-exports`.

The server is nfs-ganesha (VFS FSAL, NFSv3) with rpcbind, both in a private NFS state
(nfs_sandbox: the host's /etc/exports*, /var/lib/nfs and /run are hidden) inside the lab's server
namespace, so a Linux NFS client there (the QEMU kernel's root=/dev/nfs) mounts through the same
address it got its DHCP from. The kernel NFS server (knfsd) is per network namespace too, but needs
nfsd in the host's kernel; ganesha is the same protocol from user space and runs on any host.
A host temp directory is bound over /srv inside the sandbox, so the Pi roots live where the
shipped root-path template names them (/srv/...) without touching the host's /srv.
Every process is stopped by PID. Standard library only.
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402
import nfs_sandbox  # noqa: E402

GANESHA = "ganesha.nfsd"

_CONF = """# test server: NFSv3 only (what nfsroot= asks for with vers=3), no locking (nfsroot mounts
# with nolock), no grace period
NFS_CORE_PARAM {{
    Protocols = 3;
    Enable_NLM = false;
    Enable_RQUOTA = false;
}}
NFSV4 {{
    Graceless = true;
}}
LOG {{
    Default_Log_Level = EVENT;
}}
%include "{include}"
"""


def tool_path():
    return os.path.join(netlab.build_dir(), "nfs-export-helper", "rpi-nfs-exports")


def missing_tools():
    return [t for t in (GANESHA, "rpcbind", "rpcinfo", "nsenter", "unshare", tool_path())
            if shutil.which(t) is None and not os.path.exists(t)]


class Server:
    """rpcbind + ganesha in `netns` (a netlab.Netns); export() adds one Pi's root."""

    def __init__(self, netns):
        self.dir = tempfile.mkdtemp(prefix="rpinb-nfsroot-")
        os.chmod(self.dir, 0o755)
        self.srv = os.path.join(self.dir, "srv")
        os.makedirs(self.srv)
        self.conf = os.path.join(self.dir, "ganesha.conf")
        self.include = os.path.join(self.dir, "rpi-netboot.conf")
        self.pid_file = os.path.join(self.dir, "ganesha.pid")
        self.log = os.path.join(self.dir, "ganesha.log")
        with open(self.conf, "w") as f:
            f.write(_CONF.format(include=self.include))
        open(self.include, "w").close()
        self.procs = []
        self.sandbox = nfs_sandbox.Sandbox(netns, exports="")
        try:
            self.sandbox.run(["mount", "--bind", self.srv, "/srv"])
            self.sandbox.run(["mkdir", "-p", "/var/lib/nfs/ganesha"])
            self.procs.append(self.sandbox.start_rpcbind(log=os.path.join(self.dir, "rpcbind.log")))
            self.ganesha = self.sandbox.start([GANESHA, "-F", "-f", self.conf, "-L", self.log,
                                               "-p", self.pid_file, "-N", "NIV_EVENT"],
                                              name="ganesha",
                                              log=os.path.join(self.dir, "ganesha.out"))
            self.procs.append(self.ganesha)
            self.ganesha.wait_ready(lambda: self.sandbox.registered(100003) and
                                    self.sandbox.registered(100005) and
                                    os.path.exists(self.pid_file),
                                    timeout=30, what="ganesha to register with rpcbind")
        except BaseException:
            self.close()
            raise

    def host_path(self, path):
        """Where the sandbox's /srv/... lies on the host."""
        if not path.startswith("/srv/"):
            raise ValueError(f"{path}: Pi roots must lie under /srv in this test server")
        return os.path.join(self.srv, path[len("/srv/"):])

    def export(self, serial, client, path):
        """Exports `path` (under /srv; made with make_root(host_dir) by the caller beforehand)
        to `client` with `rpi-nfs-exports --backend ganesha add`, as an admin does; returns the
        tool's output."""
        base = os.path.dirname(path)
        if os.path.basename(path) != serial:
            raise ValueError(f"{path}: rpi-nfs-exports names each root by serial ({serial})")
        res = self.sandbox.run([tool_path(), "--backend", "ganesha", "--base", base,
                                "--ganesha-config", self.conf, "--ganesha-include", self.include,
                                "--ganesha-pid-file", self.pid_file, "--verify-timeout", "30",
                                "add", serial, "--client", client], check=False, timeout=120)
        if res.returncode != 0:
            raise AssertionError(f"rpi-nfs-exports add {serial} --client {client} failed "
                                 f"({res.returncode}):\n{res.stdout}{res.stderr}\n"
                                 f"{self.ganesha_log()[-2000:]}")
        return res.stdout

    def ganesha_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def close(self):
        for proc in reversed(self.procs):
            proc.stop(timeout=10)
        self.procs = []
        if self.sandbox:
            self.sandbox.close()
            self.sandbox = None
        if self.dir and not os.environ.get("RPI_NETBOOT_KEEP_TMP"):
            netlab.run(["rm", "-rf", "--one-file-system", self.dir], check=False)
            self.dir = None
