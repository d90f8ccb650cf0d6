#!/usr/bin/env python3
"""Self-test of the NFS sandbox (nfs_sandbox.py): what it writes stays inside it, it refuses to
run in the host's mount namespace, and it works on a host without /etc/exports.

Oracles: the host's own files, read from this (host) mount namespace after the sandbox wrote marked
contents at the same paths; and showmount -e (nfs-common's MOUNT client) against the sandbox's
rpc.mountd. Marks are unique per run, so other processes changing the host's NFS files meanwhile
cannot make the test pass or fail.
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402
import nfs_sandbox  # noqa: E402

HIDE_HOST_EXPORTS = "--hide-host-exports"
# In a mount namespace of the test's own: /etc/exports and /etc/exports.d removed in an overlay
# whose upper layer is a tmpfs (whiteouts there; the host's /etc is the untouched lower layer).
HIDE_SCRIPT = """set -e
d=$(mktemp -d)
mount -t tmpfs rpinb-hide "$d"
mkdir "$d/upper" "$d/work"
mount -t overlay overlay -o lowerdir=/etc,upperdir="$d/upper",workdir="$d/work" /etc
rm -rf /etc/exports /etc/exports.d
exec "$@"
"""


def exported_tree():
    tree = tempfile.mkdtemp(prefix="rpinb-nfs-selftest-")
    netlab._cleanups.append(lambda: os.rmdir(tree))
    return tree


def serve_and_list(test, sandbox):
    """Serves the sandbox's exports (rpcbind, exportfs -ra, rpc.mountd), returns what showmount -e
    lists, {path: set(clients)}, and stops the daemons again."""
    procs = sandbox.start_server("-N", "2")
    r = sandbox.run(["showmount", "--no-headers", "-e", "127.0.0.1"], check=False)
    for proc in reversed(procs):
        proc.stop()
    test.assertEqual(r.returncode, 0, r.stderr)
    listed = {}
    for line in r.stdout.splitlines():
        path, _, clients = line.rpartition(" ")
        listed[path.strip()] = set(clients.split(","))
    return listed


class NfsSandboxTest(unittest.TestCase):
    def test_refuses_the_host_mount_namespace(self):
        with self.assertRaisesRegex(RuntimeError, "not in a private mount namespace"):
            nfs_sandbox.check_private()

    def test_writes_stay_inside(self):
        mark = f"rpinb-selftest-{os.getpid()}"
        tree = exported_tree()
        ns = netlab.Netns("nfssb")
        exports = f"# {mark}\n{tree} 192.0.2.10(ro,no_subtree_check)\n"
        sandbox = nfs_sandbox.Sandbox(ns, exports=exports)
        nfs_sandbox.check_private(sandbox.holder.pid)
        self.assertEqual(sandbox.run(["cat", "/etc/exports"]).stdout, exports)
        self.assertEqual(sandbox.run(["ls", "-A", "/etc/exports.d"]).stdout, "")
        sandbox.run(["sh", "-c", f'echo "{tree} 192.0.2.11(ro,no_subtree_check)" '
                     f"> /etc/exports.d/{mark}.exports; touch /run/{mark}"])
        self.assertEqual(serve_and_list(self, sandbox), {tree: {"192.0.2.10", "192.0.2.11"}})
        self.assertIn(tree, sandbox.run(["cat", "/var/lib/nfs/etab"]).stdout)
        # The host saw none of it.
        if os.path.exists("/etc/exports"):
            with open("/etc/exports", errors="replace") as f:
                self.assertNotIn(mark, f.read())
        self.assertFalse(os.path.exists(f"/etc/exports.d/{mark}.exports"))
        if os.path.exists("/var/lib/nfs/etab"):
            with open("/var/lib/nfs/etab", errors="replace") as f:
                self.assertNotIn(tree, f.read())
        self.assertFalse(os.path.exists(f"/run/{mark}"))
        state, holder = sandbox.state, sandbox.holder
        sandbox.close()
        self.assertFalse(holder.alive())
        self.assertFalse(os.path.exists(state))

    def test_works_without_host_exports(self):
        r = netlab.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", HIDE_SCRIPT,
                        "hide", sys.executable, os.path.abspath(__file__), HIDE_HOST_EXPORTS],
                       check=False, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("served without /etc/exports", r.stdout)


def without_host_exports():
    """The inner side of test_works_without_host_exports."""
    class Inner(unittest.TestCase):
        def test_serves(self):
            self.assertFalse(os.path.exists("/etc/exports") or os.path.exists("/etc/exports.d"))
            tree = exported_tree()
            sandbox = nfs_sandbox.Sandbox(netlab.Netns("nfssb"),
                                          exports=f"{tree} 192.0.2.10(ro,no_subtree_check)\n")
            self.assertEqual(serve_and_list(self, sandbox), {tree: {"192.0.2.10"}})
            sandbox.close()
            print("served without /etc/exports")
    result = unittest.TextTestRunner(stream=sys.stderr).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(Inner))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    netlab.require_root()
    netlab.require_tools("unshare", "nsenter", "mount", "rpcbind", "rpc.mountd", "exportfs",
                         "rpcinfo", "showmount")
    if HIDE_HOST_EXPORTS in sys.argv:
        sys.exit(without_host_exports())
    unittest.main()
