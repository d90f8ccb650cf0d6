"""Shared set-up for the rpi-nfs-exports integration tests: a private mount AND network namespace.

The outer process (root, host namespaces) creates the network namespace(s) with netlab, the private
NFS state in the first one (tests/lib/nfs_sandbox.py: the host's /etc/exports, /etc/exports.d,
/var/lib/nfs and /run are hidden), and re-runs the test script inside that sandbox. The inner
process checks it is really there before it writes anything, so exportfs, rpc.mountd, rpcbind and
nfs-ganesha never see or touch the host's files, and their sockets live in the test's network
namespace. Standard library only.
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402
import nfs_sandbox  # noqa: E402

INNER_FLAG = "--inside-private-namespaces"


def tool_path():
    return os.path.join(netlab.build_dir(), "nfs-export-helper", "rpi-nfs-exports")


def is_inner():
    return INNER_FLAG in sys.argv


def run_outer(script, namespaces, timeout, links=()):
    """Creates the network namespace(s) and veth `links` ((i, addr_i, j, addr_j) between
    namespaces[i] and namespaces[j]), runs `script` inside the NFS sandbox of the first one, and
    returns its exit code. Leftover processes die with the namespaces."""
    netlab.require_root()
    netlab.require_tools("unshare", "nsenter", "mount", tool_path())
    nss = [netlab.Netns(n) for n in namespaces]
    for i, addr_i, j, addr_j in links:
        netlab.link(nss[i], addr_i, nss[j], addr_j)
    sandbox = nfs_sandbox.Sandbox(nss[0], exports="")
    # The sandbox hides /run (and /run/netns): the inner side reaches the other namespaces through
    # these handles.
    fds = {ns.name: os.open(f"/run/netns/{ns.name}", os.O_RDONLY) for ns in nss[1:]}
    env = dict(os.environ)
    env["RPI_NFS_TEST_NETNS"] = " ".join(f"{name}={fd}" for name, fd in fds.items())
    env["RPI_NFS_TEST_HOST_NS"] = " ".join(os.readlink(f"/proc/self/ns/{k}")
                                           for k in ("mnt", "net"))
    try:
        return subprocess.run(sandbox.argv([sys.executable, script, INNER_FLAG]), env=env,
                              timeout=timeout, pass_fds=tuple(fds.values())).returncode
    except subprocess.TimeoutExpired:
        print(f"FAIL: {os.path.basename(script)} did not finish in {timeout}s", file=sys.stderr)
        return 1
    finally:
        for fd in fds.values():
            os.close(fd)
        sandbox.close()
        for ns in reversed(nss):
            ns.close()


def assert_private():
    """Refuses to go on unless both namespaces differ from the outer process's and the NFS state
    is the sandbox's own; returns the sandbox (nfs_sandbox.Sandbox) this process is in."""
    host = os.environ.get("RPI_NFS_TEST_HOST_NS", "").split()
    if len(host) != 2:
        raise RuntimeError("run this script without " + INNER_FLAG)
    host_mnt, host_net = host
    if os.readlink("/proc/self/ns/net") == host_net:
        raise RuntimeError("not in a private net namespace: refusing to touch the host")
    # The mount namespace and the NFS mounts are nfs_sandbox's own check.
    return nfs_sandbox.Sandbox.current(host_mnt)


class Sandbox:
    """The inner side: `nfs` is the private NFS state (daemons start there), `root` the test's
    own directory (exported trees, daemon logs)."""

    def __init__(self):
        self.nfs = assert_private()
        self.root = tempfile.mkdtemp(prefix="rpinb-nfs-")
        os.makedirs(os.path.join(self.root, "srv"))
        self.netns_fds = dict(entry.split("=") for entry in
                              os.environ.get("RPI_NFS_TEST_NETNS", "").split())

    def run_in(self, name, argv, timeout=60):
        """Runs argv to completion inside the other test network namespace whose name ends in
        -`name` (nsenter on the handle the outer process passed down)."""
        fd = int(next(f for n, f in self.netns_fds.items() if n.endswith("-" + name)))
        return netlab.run(["nsenter", f"--net=/proc/self/fd/{fd}"] + list(argv), check=False,
                          timeout=timeout, pass_fds=(fd,))

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def close(self):
        if os.environ.get("RPI_NFS_TEST_KEEP"):
            print(f"RPI_NFS_TEST_KEEP: left {self.root} (daemon logs, files)", file=sys.stderr)
            return
        netlab.run(["rm", "-rf", "--one-file-system", self.root], check=False)


def log_path(sandbox, name):
    """Daemon logs live in the sandbox, so they go when it goes (printed on failure by callers)."""
    return sandbox.path(f"{name}.log")
