"""Shared set-up for the rpi-nfs-exports integration tests: a private mount AND network namespace.

The outer process (root, host namespaces) creates the network namespace with netlab and re-runs the
test script inside it under `unshare -m`; the inner process then hides every NFS path of the host
behind test-owned directories before it starts anything:
- an overlay over /etc (so /etc/exports.d can exist even where the host has none), then
  bind mounts of test directories over /etc/exports.d and /etc/exports;
- a bind mount over /var/lib/nfs (etab, rmtab) and a tmpfs over /run (rpcbind's socket and lock).
exportfs, rpc.mountd, rpcbind and nfs-ganesha therefore never see or touch the host's files, and
their sockets live in the test's network namespace. Standard library only.
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402

INNER_FLAG = "--inside-private-namespaces"


def tool_path():
    return os.path.join(netlab.build_dir(), "nfs-export-helper", "rpi-nfs-exports")


def is_inner():
    return INNER_FLAG in sys.argv


def run_outer(script, namespaces, timeout, links=()):
    """Creates the network namespace(s) and veth `links` ((i, addr_i, j, addr_j) between
    namespaces[i] and namespaces[j]), runs `script` inside the first one in a new mount namespace,
    and returns its exit code. Leftover processes die with the namespaces."""
    netlab.require_root()
    netlab.require_tools("unshare", "nsenter", "mount", tool_path())
    nss = [netlab.Netns(n) for n in namespaces]
    for i, addr_i, j, addr_j in links:
        netlab.link(nss[i], addr_i, nss[j], addr_j)
    env = dict(os.environ)
    env["RPI_NFS_TEST_NETNS"] = " ".join(ns.name for ns in nss)
    env["RPI_NFS_TEST_HOST_NS"] = " ".join(os.readlink(f"/proc/self/ns/{k}") for k in ("mnt", "net"))
    argv = ["ip", "netns", "exec", nss[0].name, "unshare", "--mount", "--propagation", "private",
            sys.executable, script, INNER_FLAG]
    try:
        return subprocess.run(argv, env=env, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        print(f"FAIL: {os.path.basename(script)} did not finish in {timeout}s", file=sys.stderr)
        return 1
    finally:
        for ns in reversed(nss):
            ns.close()


def _mount(*args):
    netlab.run(["mount"] + list(args))


def assert_private():
    """Refuses to mount anything unless both namespaces differ from the outer process's."""
    host = os.environ.get("RPI_NFS_TEST_HOST_NS", "").split()
    if len(host) != 2:
        raise RuntimeError("run this script without " + INNER_FLAG)
    for kind, outer in zip(("mnt", "net"), host):
        if os.readlink(f"/proc/self/ns/{kind}") == outer:
            raise RuntimeError(f"not in a private {kind} namespace: refusing to touch the host")


class Sandbox:
    """The inner side: test-owned /etc/exports, /etc/exports.d, /var/lib/nfs and /run."""

    def __init__(self):
        assert_private()
        self.root = tempfile.mkdtemp(prefix="rpinb-nfs-")
        r = self.root
        for d in ("etc-upper", "etc-work", "exports.d", "varlib", "run", "srv"):
            os.makedirs(os.path.join(r, d))
        # Keep handles on the other test namespaces before /run (and /run/netns) is hidden.
        self.netns_fds = {}
        for name in os.environ.get("RPI_NFS_TEST_NETNS", "").split()[1:]:
            self.netns_fds[name] = os.open(f"/run/netns/{name}", os.O_RDONLY)
        self.exports = os.path.join(r, "exports")
        with open(self.exports, "w") as f:
            f.write("")
        for n in ("etab", "rmtab"):
            open(os.path.join(r, "varlib", n), "w").close()
        _mount("-t", "overlay", "overlay", "-o",
               f"lowerdir=/etc,upperdir={r}/etc-upper,workdir={r}/etc-work", "/etc")
        os.makedirs("/etc/exports.d", exist_ok=True)  # inside the overlay only
        if not os.path.exists("/etc/exports"):
            open("/etc/exports", "w").close()  # a mount point, also only in the overlay
        _mount("--bind", os.path.join(r, "exports.d"), "/etc/exports.d")
        _mount("--bind", self.exports, "/etc/exports")
        _mount("--bind", os.path.join(r, "varlib"), "/var/lib/nfs")
        _mount("-t", "tmpfs", "-o", "mode=0755", "rpinb-run", "/run")
        netlab.run(["ip", "link", "set", "lo", "up"])

    def run_in(self, name, argv, timeout=60):
        """Runs argv to completion inside the other test network namespace whose name ends in
        -`name` (nsenter on the handle saved before /run was hidden)."""
        fd = next(f for n, f in self.netns_fds.items() if n.endswith("-" + name))
        return netlab.run(["nsenter", f"--net=/proc/self/fd/{fd}"] + list(argv), check=False,
                          timeout=timeout, pass_fds=(fd,))

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def close(self):
        # The mounts vanish with this mount namespace; the directory is ours to remove.
        if os.environ.get("RPI_NFS_TEST_KEEP"):
            print(f"RPI_NFS_TEST_KEEP: left {self.root} (daemon logs, files)", file=sys.stderr)
            return
        netlab.run(["rm", "-rf", "--one-file-system", self.root], check=False)


def log_path(sandbox, name):
    """Daemon logs live in the sandbox, so they go when it goes (printed on failure by callers)."""
    return sandbox.path(f"{name}.log")


def start_rpcbind(sandbox):
    proc = netlab.Proc(["rpcbind", "-f"], name="rpcbind", log=log_path(sandbox, "rpcbind"))
    netlab.wait_for(lambda: netlab.run(["rpcinfo", "-p", "127.0.0.1"], check=False).returncode == 0,
                    timeout=10, what="rpcbind to answer")
    return proc


def registered(program):
    out = netlab.run(["rpcinfo", "-p", "127.0.0.1"], check=False).stdout
    return any(line.split()[:1] == [str(program)] for line in out.splitlines())
