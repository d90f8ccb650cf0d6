#!/usr/bin/python3
"""rpi-nfs-exports and the exported file system's nosuid/nodev, on real mounts.

In the private mount namespace of nfs_ns.py, three tmpfs are mounted under the test's base: one
with nosuid,nodev, one with nosuid only, one with neither. A no_root_squash export (the default)
on a mount without both is warned about by add, provision and check, and refused with
--require-nosuid-nodev (nothing written or copied); root_squash and ro exports are not at risk.
The oracle for "at risk" is the kernel itself: a setuid-root program copied to each mount runs as
root only where nosuid is missing, and a device node made there opens only where nodev is missing.
"""

import os
import shutil
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nfs_ns  # noqa: E402
from nfs_ns import netlab  # noqa: E402

SB = None
DROPIN = "/etc/exports.d/rpi-netboot.exports"
MOUNTS = {"safe": "nosuid,nodev", "nosuid": "nosuid", "open": ""}
MOUNTED = []


def base():
    return SB.path("base")


def tool(*args):
    argv = [nfs_ns.tool_path(), "--base", base(), "--no-reload", "--no-verify"] + list(args)
    return netlab.run(argv, check=False, timeout=120)


def pi_dir(mount, serial):
    d = os.path.join(base(), mount, serial)
    os.makedirs(d, exist_ok=True)
    return d


def dropin():
    try:
        with open(DROPIN, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def setUpModule():
    global SB
    SB = nfs_ns.Sandbox()
    for name, opts in MOUNTS.items():
        d = os.path.join(base(), name)
        os.makedirs(d)
        netlab.run(["mount", "-t", "tmpfs", "-o", ",".join(filter(None, [opts, "mode=0755"])),
                    f"rpinb-{name}", d])
        MOUNTED.append(d)


def tearDownModule():
    for d in reversed(MOUNTED):
        netlab.run(["umount", d], check=False)
    SB.close()


class MountOptions(unittest.TestCase):
    def setUp(self):
        if os.path.exists(DROPIN):
            os.unlink(DROPIN)

    def assertOk(self, r):
        self.assertEqual(r.returncode, 0, f"stdout: {r.stdout}\nstderr: {r.stderr}")

    def test_kernel_oracle_setuid_and_device_nodes_work_only_without_the_options(self):
        # Runs `id -u` through a setuid-root copy of env as user nobody: 0 means the mount honours
        # setuid bits, which is what a Pi with no_root_squash could plant.
        with open("/proc/self/status") as f:
            if any(line.split() == ["NoNewPrivs:", "1"] for line in f):
                self.skipTest("no_new_privs is set here: setuid bits take effect on no mount")
        for name, opts in MOUNTS.items():
            prog = os.path.join(base(), name, "suid-env")
            shutil.copy("/usr/bin/env", prog)
            os.chmod(prog, 0o4755)
            r = netlab.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", prog,
                            "id", "-u"], check=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip() == "0", "nosuid" not in opts, f"{name}: {r.stdout}")
            os.unlink(prog)
            # A planted device node (here /dev/null's numbers) opens only without nodev.
            node = os.path.join(base(), name, "planted-null")
            os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
            try:
                os.close(os.open(node, os.O_WRONLY))
                opened = True
            except PermissionError:
                opened = False
            os.unlink(node)
            self.assertEqual(opened, "nodev" not in opts, name)

    def test_add_warns_on_each_missing_option_and_not_on_a_safe_mount(self):
        r = tool("add", "11111111", "--path", pi_dir("open", "11111111"), "--client", "192.0.2.11")
        self.assertOk(r)
        mount = os.path.join(base(), "open")
        self.assertIn(f"is exported no_root_squash from {mount}, which is mounted without "
                      "nosuid,nodev", r.stderr)
        r = tool("add", "22222222", "--path", pi_dir("nosuid", "22222222"), "--client",
                 "192.0.2.12")
        self.assertOk(r)
        self.assertIn("which is mounted without nodev:", r.stderr)
        r = tool("add", "33333333", "--path", pi_dir("safe", "33333333"), "--client", "192.0.2.13")
        self.assertOk(r)
        self.assertNotIn("warning", r.stderr)
        # Squashed or read-only exports cannot plant anything as root.
        for serial, opts in (("44444444", "root_squash"), ("55555555", "all_squash"),
                             ("66666666", "ro")):
            r = tool("add", serial, "--path", pi_dir("open", serial), "--client", "192.0.2.14",
                     "--options", opts)
            self.assertOk(r)
            self.assertNotIn("warning", r.stderr, opts)
        # check reports the risky ones, and fails with --require-nosuid-nodev.
        r = tool("check")
        self.assertOk(r)
        self.assertIn("11111111) is exported no_root_squash", r.stderr)
        self.assertIn("22222222) is exported no_root_squash", r.stderr)
        self.assertNotIn("33333333)", r.stderr)
        r = tool("--require-nosuid-nodev", "check")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("refused: --require-nosuid-nodev", r.stderr)

    def test_require_flag_refuses_and_changes_nothing(self):
        self.assertOk(tool("add", "33333333", "--path", pi_dir("safe", "33333333"), "--client",
                           "192.0.2.13", "--require-nosuid-nodev"))
        before = dropin()
        for mount in ("open", "nosuid"):
            r = tool("--require-nosuid-nodev", "add", "77777777", "--path",
                     pi_dir(mount, "77777777"), "--client", "192.0.2.17")
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertIn("refused: --require-nosuid-nodev", r.stderr)
            self.assertEqual(dropin(), before)
        # root_squash is not at risk, so it is accepted even on the open mount.
        self.assertOk(tool("--require-nosuid-nodev", "add", "88888888", "--path",
                           pi_dir("open", "88888888"), "--client", "192.0.2.18",
                           "--options", "root_squash"))

    def test_provision_refused_before_copying(self):
        golden = SB.path("golden")
        os.makedirs(os.path.join(golden, "etc"), exist_ok=True)
        with open(os.path.join(golden, "etc/hostname"), "w") as f:
            f.write("raspberrypi\n")
        for mount, refused in (("open", True), ("safe", False)):
            b = os.path.join(base(), mount)
            argv = [nfs_ns.tool_path(), "--base", b, "--no-reload", "--require-nosuid-nodev",
                    "provision", "99999999", "--from", golden, "--client", "192.0.2.19",
                    "--server", "192.0.2.1"]
            entries = sorted(os.listdir(b))
            r = netlab.run(argv, check=False, timeout=120)
            if refused:
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn("refused: --require-nosuid-nodev", r.stderr)
                self.assertEqual(sorted(os.listdir(b)), entries)
            else:
                self.assertOk(r)
                self.assertTrue(os.path.isdir(os.path.join(b, "99999999")))


if __name__ == "__main__":
    if not nfs_ns.is_inner():
        netlab.require_tools("mount", "umount", "setpriv")
        sys.exit(nfs_ns.run_outer(os.path.abspath(__file__), ["mntopt"], timeout=120))
    sys.argv.remove(nfs_ns.INNER_FLAG)
    started = time.monotonic()
    result = unittest.main(exit=False, verbosity=2).result
    print(f"mount options integration: {time.monotonic() - started:.1f}s", file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() else 1)
