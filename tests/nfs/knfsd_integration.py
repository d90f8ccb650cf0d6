#!/usr/bin/python3
"""rpi-nfs-exports, knfsd backend, against the real exportfs, rpc.mountd and rpcbind.

Runs in a private mount and network namespace (nfs_ns.py): /etc/exports, /etc/exports.d and
/var/lib/nfs are the test's own (tests/lib/nfs_sandbox.py), rpcbind and mountd listen only inside
the test's network namespace at 192.0.2.1. The kernel NFS server is not needed (docs/nfs.md:
exportfs and mountd run without it); its absence is what the nfsd NULL ping must report.
Independent oracles: the files' bytes, `showmount -e` (nfs-common's MOUNT client) and exportfs's
own etab.
"""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nfs_ns  # noqa: E402
from nfs_ns import netlab  # noqa: E402

SERVER = "192.0.2.1"
DROPIN = "/etc/exports.d/rpi-netboot.exports"
SB = None  # the Sandbox, set in setUpModule
DAEMONS = {}


def start_daemons():
    if "rpcbind" not in DAEMONS or not DAEMONS["rpcbind"].alive():
        DAEMONS["rpcbind"] = SB.nfs.start_rpcbind(log=nfs_ns.log_path(SB, "rpcbind"))
    if "mountd" not in DAEMONS or not DAEMONS["mountd"].alive():
        DAEMONS["mountd"] = SB.nfs.start_mountd(log=nfs_ns.log_path(SB, "mountd"))


def stop(name):
    if name in DAEMONS:
        DAEMONS.pop(name).stop()


def setUpModule():
    global SB
    SB = nfs_ns.Sandbox()
    netlab.run(["ip", "addr", "add", f"{SERVER}/24", "dev", "lo"])
    start_daemons()


def tearDownModule():
    for name in ("mountd", "rpcbind"):
        stop(name)
    SB.close()


def tool(*args, env=None, timeout=120):
    argv = [nfs_ns.tool_path(), "--base", SB.path("srv", "pi"), "--server", SERVER] + list(args)
    return netlab.run(argv, check=False, timeout=timeout, env=env)


def showmount():
    """{path: set(groups)} as mountd answers MOUNTPROC_EXPORT to showmount -e."""
    r = netlab.run(["showmount", "--no-headers", "-e", SERVER], check=False)
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        path, _, groups = line.rpartition(" ")
        out[path.strip()] = set(groups.split(","))
    return out


def export_check(path, client, server=SERVER):
    """The probe's API (checkExport in rpinetboot_mount_client) through its test tool."""
    exe = os.path.join(netlab.build_dir(), "tests", "nfs", "nfs_export_check")
    r = netlab.run([exe, server, path, client], timeout=30)
    return r.stdout.split("\t")[0]


def snapshot():
    """Bytes of every exports file, our drop-in and etab (dot files included)."""
    files = {"/etc/exports": None, "/var/lib/nfs/etab": None}
    for n in os.listdir("/etc/exports.d"):
        files[os.path.join("/etc/exports.d", n)] = None
    for p in files:
        if os.path.isfile(p) and not p.endswith(".lock"):
            with open(p, "rb") as f:
                files[p] = f.read()
    return {p: c for p, c in files.items() if not p.endswith(".lock")}


def pi_dir(serial):
    d = SB.path("srv", "pi", serial)
    os.makedirs(d, exist_ok=True)
    return d


FOREIGN_EXPORTS = None
FOREIGN_DROPIN = None


def foreign_texts():
    shared = SB.path("srv", "shared")
    spaced = SB.path("srv", "sp ace")
    cont = SB.path("srv", "cont")
    other = SB.path("srv", "other")
    for d in (shared, spaced, cont, other):
        os.makedirs(d, exist_ok=True)
    # Odd but valid forms an admin might have: tabs, a trailing comment, a quoted path with a space,
    # a backslash continuation, a CRLF line, a comment with no newline at the end of the file.
    exports = (b"# the admin's own exports: rpi-nfs-exports must never touch this file\n"
               + f"{shared}\t198.51.100.0/24(ro,sync,no_subtree_check)   # lab share\n".encode()
               + f'"{spaced}" 192.0.2.200(rw,sync,no_subtree_check)\n'.encode()
               + f"{cont} 192.0.2.201(ro,sync,no_subtree_check) \\\n".encode()
               + b"        192.0.2.202(ro,sync,no_subtree_check)\n"
               + b"# last line without a newline")
    dropin = f"{other} 192.0.2.210(rw,sync,no_subtree_check)\r\n".encode()
    return exports, dropin


class Knfsd(unittest.TestCase):
    def setUp(self):
        start_daemons()
        exports, dropin = foreign_texts()
        with open("/etc/exports", "wb") as f:
            f.write(exports)
        for n in os.listdir("/etc/exports.d"):
            os.unlink(os.path.join("/etc/exports.d", n))
        with open("/etc/exports.d/other.exports", "wb") as f:
            f.write(dropin)
        r = netlab.run(["exportfs", "-ra"], check=False)
        self.assertEqual(r.returncode, 0, f"baseline exportfs -ra failed: {r.stderr}")

    def assertOk(self, r, msg=""):
        self.assertEqual(r.returncode, 0, f"{msg}\nstdout: {r.stdout}\nstderr: {r.stderr}")

    def test_add_list_check_remove_round_trip(self):
        d = pi_dir("bf9fed6f")
        r = tool("add", "bf9fed6f", "--client", "192.0.2.10")
        self.assertOk(r)
        self.assertIn(f"live: mountd on {SERVER} exports {d} to 192.0.2.10", r.stdout)
        # nfsd (the kernel server) does not run here: the NULL ping must say so, plainly.
        self.assertIn(f"the NFS server (nfsd, program 100003) is not running on {SERVER}", r.stderr)
        with open(DROPIN, "rb") as f:
            text = f.read().decode()
        self.assertTrue(text.endswith("\n"))
        self.assertIn(f'# rpi-netboot serial=bf9fed6f vers=3\n"{d}" '
                      "192.0.2.10(rw,sync,no_subtree_check,no_root_squash)\n", text)
        self.assertEqual(showmount().get(d), {"192.0.2.10"})
        with open("/var/lib/nfs/etab") as f:
            self.assertIn(f"{d}\t192.0.2.10(rw,sync,", f.read())

        # Same request again: nothing to do, file untouched.
        before = os.stat(DROPIN)
        r = tool("add", "bf9fed6f", "--client", "192.0.2.10")
        self.assertOk(r)
        self.assertIn("unchanged", r.stdout)
        self.assertEqual(os.stat(DROPIN).st_ino, before.st_ino)

        d2 = pi_dir("0a1b2c3d")
        self.assertOk(tool("add", "10000000" + "0a1b2c3d", "--client", "192.0.2.11",
                           "--options", "ro,root_squash", "--nfs-version", "4"))
        listed = json.loads(tool("list", "--json").stdout)
        self.assertEqual(listed, [
            {"serial": "0a1b2c3d", "path": d2, "client": "192.0.2.11",
             "options": ["ro", "sync", "no_subtree_check", "root_squash"], "nfs_version": 4},
            {"serial": "bf9fed6f", "path": d, "client": "192.0.2.10",
             "options": ["rw", "sync", "no_subtree_check", "no_root_squash"], "nfs_version": 3}])
        plain = tool("list").stdout.splitlines()
        self.assertEqual(plain[1], f"bf9fed6f\t192.0.2.10\t{d}\trw,sync,no_subtree_check,"
                                   "no_root_squash\tvers=3")

        # check: configuration is fine; mountd exports both; nfsd is missing, so exit 7.
        r = tool("check", "--no-verify")
        self.assertOk(r)
        self.assertIn("ok: 2 Pi export(s)", r.stdout)
        r = tool("check")
        self.assertEqual(r.returncode, 7, r.stderr)
        self.assertIn("the NFS server (nfsd, program 100003) is not running", r.stderr)

        # apply re-exports what the file says (e.g. after `exportfs -ua` by someone else).
        netlab.run(["exportfs", "-ua"])
        self.assertNotIn(d, showmount())
        self.assertOk(tool("apply"))
        self.assertEqual(showmount().get(d), {"192.0.2.10"})

        r = tool("remove", "bf9fed6f")
        self.assertOk(r)
        self.assertIn(f"removed the export of {d} to 192.0.2.10", r.stdout)
        netlab.wait_for(lambda: d not in showmount(), timeout=10, what="mountd to drop it")
        self.assertIn(d2, showmount())
        r = tool("remove", "bf9fed6f")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no export for Pi bf9fed6f", r.stderr)
        self.assertOk(tool("remove", "0a1b2c3d"))
        self.assertEqual(json.loads(tool("list", "--json").stdout), [])
        with open(DROPIN) as f:
            text = f.read()
        self.assertNotIn("serial=", text)
        self.assertTrue(text.endswith("\n"))

    def test_foreign_files_preserved_byte_for_byte(self):
        exports, dropin = foreign_texts()
        st_exports = os.stat("/etc/exports")
        st_dropin = os.stat("/etc/exports.d/other.exports")
        for serial, client in (("11111111", "192.0.2.21"), ("22222222", "192.0.2.22")):
            pi_dir(serial)
            self.assertOk(tool("add", serial, "--client", client))
        self.assertOk(tool("remove", "11111111"))
        for path, want, st in (("/etc/exports", exports, st_exports),
                               ("/etc/exports.d/other.exports", dropin, st_dropin)):
            with open(path, "rb") as f:
                self.assertEqual(f.read(), want, path)
            now = os.stat(path)
            self.assertEqual((now.st_ino, now.st_mtime_ns), (st.st_ino, st.st_mtime_ns), path)
        # ... and they are still exported, next to ours.
        live = showmount()
        self.assertEqual(live.get(SB.path("srv", "cont")), {"192.0.2.201", "192.0.2.202"})
        self.assertEqual(live.get(SB.path("srv", "sp ace")), {"192.0.2.200"})
        self.assertEqual(live.get(SB.path("srv", "other")), {"192.0.2.210"})
        self.assertEqual(live.get(SB.path("srv", "pi", "22222222")), {"192.0.2.22"})

    def test_broken_foreign_file_is_named_and_nothing_changes(self):
        broken = "/etc/exports.d/broken.exports"
        with open(broken, "w") as f:
            f.write(f"# fine\n{SB.path('srv', 'other')} 192.0.2.211(rw,sync,no_subtree_check)\n"
                    f"{SB.path('srv', 'shared')} 192.0.2.212(rw,bogus_option)\n")
        pi_dir("33333333")
        before = snapshot()
        r = tool("add", "33333333", "--client", "192.0.2.33")
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn(f"foreign exports already broken: {broken}:3:", r.stderr)
        self.assertIn(f"(fix {broken} line 3)", r.stderr)
        self.assertIn("nothing changed", r.stderr)
        self.assertEqual(snapshot(), before)
        self.assertFalse(os.path.exists(DROPIN))
        # check says the same about the server's configuration as it stands.
        r = tool("check", "--no-verify")
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn(f"(fix {broken} line 3)", r.stderr)
        self.assertEqual(snapshot(), before)

    def test_twenty_concurrent_adds_lose_nothing(self):
        serials = [f"c0ffee{i:02x}" for i in range(20)]
        for s in serials:
            pi_dir(s)
        procs = []
        for i, s in enumerate(serials):
            argv = [nfs_ns.tool_path(), "--base", SB.path("srv", "pi"), "--server", SERVER,
                    "--verify-timeout", "30", "add", s, "--client", f"192.0.2.{100 + i}"]
            procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True))
        for p in procs:
            out, err = p.communicate(timeout=150)
            self.assertEqual(p.returncode, 0, err)
        listed = {e["serial"]: e["client"] for e in json.loads(tool("list", "--json").stdout)}
        self.assertEqual(listed, {s: f"192.0.2.{100 + i}" for i, s in enumerate(serials)})
        live = showmount()
        for i, s in enumerate(serials):
            self.assertEqual(live.get(SB.path("srv", "pi", s)), {f"192.0.2.{100 + i}"}, s)
        leftovers = [n for n in os.listdir("/etc/exports.d") if ".tmp." in n]
        self.assertEqual(leftovers, [])

    def test_crash_between_temp_write_and_rename_keeps_old_file(self):
        shim = os.path.join(netlab.build_dir(), "tests", "nfs", "libnfs_crash_at_rename.so")
        self.assertTrue(os.path.exists(shim), f"build the nfs_crash_at_rename target ({shim})")
        pi_dir("44444444")
        pi_dir("55555555")
        self.assertOk(tool("add", "44444444", "--client", "192.0.2.44"))
        with open(DROPIN, "rb") as f:
            old = f.read()
        # verify_asan_link_order=0: an ASan build of the tool accepts the preloaded shim.
        env = dict(os.environ, LD_PRELOAD=shim, ASAN_OPTIONS="verify_asan_link_order=0",
                   RPI_NFS_TEST_CRASH_AT_RENAME="/etc/exports.d/.rpi-netboot.exports.tmp.")
        r = tool("add", "55555555", "--client", "192.0.2.55", env=env)
        self.assertEqual(r.returncode, -signal.SIGKILL, f"the shim did not fire: {r.stderr}")
        with open(DROPIN, "rb") as f:
            self.assertEqual(f.read(), old)
        # The crash really happened after the new content was written and fsynced:
        temps = [n for n in os.listdir("/etc/exports.d") if n.startswith(".rpi-netboot.exports.tmp.")]
        self.assertEqual(len(temps), 1)
        with open(os.path.join("/etc/exports.d", temps[0]), "rb") as f:
            self.assertIn(b"serial=55555555", f.read())
        self.assertFalse(temps[0].endswith(".exports"))  # exportfs ignores it meanwhile
        self.assertOk(netlab.run(["exportfs", "-ra"], check=False))
        self.assertNotIn(SB.path("srv", "pi", "55555555"), showmount())
        # The next run cleans up the stale temp file and succeeds.
        self.assertOk(tool("add", "55555555", "--client", "192.0.2.55"))
        self.assertEqual([n for n in os.listdir("/etc/exports.d") if ".tmp." in n], [])
        self.assertEqual(showmount().get(SB.path("srv", "pi", "55555555")), {"192.0.2.55"})

    def test_bad_inputs_rejected_and_nothing_changes(self):
        good = pi_dir("66666666")
        self.assertOk(tool("add", "66666666", "--client", "192.0.2.66"))
        outside = SB.path("srv", "outside")
        os.makedirs(outside, exist_ok=True)
        os.symlink(outside, SB.path("srv", "pi", "77777777"))
        a_file = SB.path("srv", "pi", "afile")
        open(a_file, "w").close()
        cases = [
            (["add", "xyz", "--client", "192.0.2.70"], 2, 'serial "xyz" is not a Raspberry Pi'),
            (["add", "bf9fed6", "--client", "192.0.2.70"], 2, "not a Raspberry Pi serial"),
            (["add", "bf9fed6g", "--client", "192.0.2.70"], 2, "not a Raspberry Pi serial"),
            (["add", "88888888", "--client", "192.0.2.70"], 2,
             f"path {SB.path('srv', 'pi', '88888888')} does not exist"),
            (["add", "88888888", "--path", a_file, "--client", "192.0.2.70"], 2,
             "is not a directory"),
            (["add", "88888888", "--path", good, "--client", "*"], 2,
             "refusing no_root_squash for a wildcard"),
            (["add", "88888888", "--path", good, "--client", "192.0.2.0/24"], 2,
             "refusing no_root_squash for a wildcard or network"),
            (["add", "88888888", "--path", good, "--client", "192.0.2.70 (rw)"], 2,
             "is not an IPv4 address or CIDR"),
            (["add", "88888888", "--path", good, "--client", "192.0.2.70", "--options", "rw (sync)"],
             2, "without spaces, parentheses"),
            (["add", "88888888", "--path", good, "--client", "192.0.2.70", "--options", "async"],
             2, '"async" is refused'),
            (["add", "88888888", "--path", good, "--client", "192.0.2.70", "--options", "fsid=0"],
             2, "must not be the NFSv4 pseudo-root"),
            (["add", "88888888", "--path", outside, "--client", "192.0.2.70"], 2,
             "is not inside the base"),
            (["add", "77777777", "--client", "192.0.2.70"], 2, f"(really {outside})"),
            (["add", "88888888", "--path", "/tmp/../etc", "--client", "192.0.2.70"], 2,
             "component"),
            (["add", "88888888", "--path", good, "--client", "host.example"], 2,
             "is not an IPv4 address"),
            (["add", "88888888", "--path", good, "--client", "192.0.2.70", "--nfs-version", "2"],
             2, "--nfs-version must be 3 or 4"),
            (["add", "88888888", "--path", good], 1, "client"),
            (["frobnicate"], 1, 'unknown command "frobnicate"'),
            (["remove", "99999999"], 2, "no export for Pi 99999999"),
        ]
        before = snapshot()
        for args, code, message in cases:
            with self.subTest(args=args):
                r = tool(*args)
                self.assertEqual(r.returncode, code, r.stderr)
                self.assertIn("rpi-nfs-exports: error: ", r.stderr)
                self.assertIn(message, r.stderr)
                self.assertEqual(snapshot(), before)
        self.assertEqual(showmount().get(good), {"192.0.2.66"})
        self.assertEqual([n for n in os.listdir("/etc/exports.d") if ".tmp." in n], [])

    def test_conflicts_with_foreign_exports(self):
        d = pi_dir("abcdef01")
        with open("/etc/exports.d/dup.exports", "w") as f:
            f.write(f"{d} 192.0.2.90(ro,sync,no_subtree_check)\n")
        self.assertOk(netlab.run(["exportfs", "-ra"], check=False))
        before = snapshot()
        r = tool("add", "abcdef01", "--client", "192.0.2.90")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("/etc/exports.d/dup.exports:1", r.stderr)
        self.assertEqual(snapshot(), before)
        os.unlink("/etc/exports.d/dup.exports")
        # An fsid=0 pseudo-root above the Pi roots: the NFSv4 path to put in nfsroot= is printed.
        with open("/etc/exports.d/v4root.exports", "w") as f:
            f.write(f"{SB.path('srv')} 192.0.2.0/24(ro,sync,fsid=0,crossmnt,no_subtree_check)\n")
        r = tool("add", "abcdef01", "--client", "192.0.2.91", "--nfs-version", "4")
        self.assertOk(r)
        self.assertIn("nfsv4 path for Pi abcdef01: /pi/abcdef01", r.stdout)

    def test_zz_server_not_running_is_reported(self):
        d = pi_dir("deadbeef")
        self.assertOk(tool("add", "deadbeef", "--client", "192.0.2.77"))
        # The probe's question, all four answers (and a trailing slash is the same path).
        self.assertEqual(export_check(d, "192.0.2.77"), "exported")
        self.assertEqual(export_check(d + "/", "192.0.2.77"), "exported")
        self.assertEqual(export_check(d, "192.0.2.79"), "not-exported")
        self.assertEqual(export_check(SB.path("srv", "nope"), "192.0.2.77"), "not-exported")
        self.assertEqual(export_check(d, "192.0.2.77", server="198.51.100.99"),
                         "server-unreachable")  # no route to it in this namespace
        stop("mountd")
        self.assertEqual(export_check(d, "192.0.2.77"), "mountd-not-registered")
        r = tool("check")
        self.assertEqual(r.returncode, 7, r.stderr)
        self.assertIn(f"the NFS server is not running on {SERVER}: mountd is not registered",
                      r.stderr)
        stop("rpcbind")
        self.assertEqual(export_check(d, "192.0.2.77"), "server-unreachable")
        r = tool("check")
        self.assertEqual(r.returncode, 7, r.stderr)
        self.assertIn(f"the NFS server is not running on {SERVER} (no rpcbind answers", r.stderr)
        # A change while the server is down is written and exportfs'd; the live check only warns.
        pi_dir("deadbee0")
        r = tool("add", "deadbee0", "--client", "192.0.2.78")
        self.assertOk(r)
        self.assertIn("the NFS server is not running", r.stderr)
        self.assertIn("takes effect when the server starts", r.stderr)
        start_daemons()
        r = tool("check")
        self.assertEqual(r.returncode, 7)  # only nfsd is missing now
        self.assertIn(f"live: mountd on {SERVER} exports {d} to 192.0.2.77", r.stdout)
        self.assertNotIn("mountd is not registered", r.stderr)


if __name__ == "__main__":
    if not nfs_ns.is_inner():
        netlab.require_tools("exportfs", "rpc.mountd", "rpcbind", "rpcinfo", "showmount")
        sys.exit(nfs_ns.run_outer(os.path.abspath(__file__), ["knfsd"], timeout=240))
    sys.argv.remove(nfs_ns.INNER_FLAG)
    started = time.monotonic()
    result = unittest.main(exit=False, verbosity=2).result
    print(f"knfsd integration: {time.monotonic() - started:.1f}s", file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() else 1)
