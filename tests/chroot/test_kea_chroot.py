#!/usr/bin/env python3
"""scripts/kea-chroot.sh, the chroots the Kea 2.6/3.0 builds and tests run in.

- `mirror` takes the Debian archive from the apt sources (deb822 and one-line), skipping the
  security archive, third-party repositories, disabled and commented entries.
- `ensure` of an existing chroot is a cache hit: the same path, at once, the suite's own release.
- `run` keeps the caller's PID (so a test can stop a daemon it started through it), working
  directory and files (bound at the same path), gives Kea its 0750 /run/kea, and lets no service
  start (policy-rc.d); its mounts live in a private namespace and are gone from this one.
- Under `ip netns exec`, the command sees that namespace's network.

Making a chroot takes minutes and the network, so a missing one skips (fails under CI=true):
`make kea-matrix` makes them.
"""
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402

SCRIPT = os.path.join(netlab.source_dir(), "scripts", "kea-chroot.sh")
CACHE = os.environ.get("RPI_NETBOOT_CHROOT_CACHE", "/var/cache/rpi-netboot/chroots")
SUITE = os.environ.get("RPI_NETBOOT_CHROOT_SUITE", "trixie")


def chroot(*args, check=True, timeout=120, **kw):
    return netlab.run([SCRIPT] + list(args), check=check, timeout=timeout, **kw)


def host_codename():
    with open("/etc/os-release") as f:
        for line in f:
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return ""


class MirrorTest(unittest.TestCase):
    """The mirror choice, on apt sources written here (placeholder hosts, nothing is fetched)."""

    def mirror(self, files):
        with tempfile.TemporaryDirectory(prefix="rpinb-apt-") as etc:
            os.makedirs(os.path.join(etc, "sources.list.d"))
            for name, text in files.items():
                with open(os.path.join(etc, name), "w") as f:
                    f.write(text)
            env = dict(os.environ, RPI_NETBOOT_APT_ETC=etc)
            env.pop("RPI_NETBOOT_DEBIAN_MIRROR", None)
            return chroot("mirror", check=False, env=env)

    def test_deb822_picks_the_release_entry(self):
        cn = host_codename()
        r = self.mirror({"sources.list.d/a.sources": f"""Types: deb
URIs: http://third-party.example/apt
Suites: {cn}-extra
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: {cn}-security
Components: main

Types: deb
# URIs: http://commented.example/debian
URIs: http://disabled.example/debian
Suites: {cn}
Enabled: no
Components: main

Types: deb-src deb
URIs: http://archive.example/debian http://second.example/debian
Suites: {cn} {cn}-updates
Components: main
"""})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "http://archive.example/debian")

    def test_one_line_list(self):
        cn = host_codename()
        r = self.mirror({"sources.list": f"""# deb http://commented.example/debian {cn} main
deb http://security.example/debian-security {cn}-security main
deb [arch=amd64 signed-by=/x.gpg] http://archive.example/debian {cn} main contrib
"""})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "http://archive.example/debian")

    def test_no_entry_is_an_error_naming_the_override(self):
        r = self.mirror({"sources.list": "deb http://third-party.example/apt nodistro main\n"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("RPI_NETBOOT_DEBIAN_MIRROR", r.stderr)
        self.assertEqual(r.stdout, "")


class ChrootTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not glob.glob(os.path.join(glob.escape(CACHE), f"{SUITE}-*", ".rpi-netboot-chroot")):
            netlab.skip_or_fail(f"no {SUITE} chroot (make kea-matrix, or "
                                f"scripts/kea-chroot.sh ensure {SUITE})")
        start = time.monotonic()
        cls.root = chroot("ensure", SUITE, timeout=900).stdout.strip()
        cls.ensure_seconds = time.monotonic() - start

    def test_ensure_is_cached_and_the_suite(self):
        start = time.monotonic()
        again = chroot("ensure", SUITE).stdout.strip()
        self.assertEqual(again, self.root)
        self.assertLess(time.monotonic() - start, 5, "a cached ensure must not rebuild")
        self.assertTrue(os.path.basename(self.root).startswith(f"{SUITE}-"))
        with open(os.path.join(self.root, ".rpi-netboot-chroot")) as f:
            self.assertIn(f"suite={SUITE}\n", f.read())
        osr = chroot("run", SUITE, "--", "cat", "/etc/os-release").stdout
        self.assertIn(f"VERSION_CODENAME={SUITE}" if SUITE != "sid" else "sid", osr)

    def test_run_keeps_pid_cwd_and_files(self):
        with tempfile.TemporaryDirectory(prefix="rpinb-chroot-") as work:
            with open(os.path.join(work, "marker"), "w") as f:
                f.write("from the host\n")
            out = os.path.join(work, "out")
            # The command writes its PID and what it sees into the bound directory, then waits.
            p = subprocess.Popen(
                [SCRIPT, "run", SUITE, "--", "sh", "-c",
                 'echo "$$|$(pwd)|$(cat marker)|$(stat -c %a /run/kea)" > out.tmp && '
                 'mv out.tmp out && exec sleep 60'],
                cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                start_new_session=True)
            try:
                netlab.wait_for(lambda: os.path.exists(out) or p.poll() is not None, timeout=30,
                                what="the command in the chroot")
                self.assertIsNone(p.poll(), p.stderr.read() if p.poll() is not None else "")
                with open(out) as f:
                    pid, cwd, marker, mode = f.read().rstrip("\n").split("|")
                self.assertEqual(int(pid), p.pid, "run must exec: the command keeps the PID")
                self.assertEqual(cwd, os.path.realpath(work))
                self.assertEqual(marker, "from the host")
                self.assertEqual(os.readlink(f"/proc/{p.pid}/root"), self.root)
                # `out` appears just before the shell execs sleep: wait for the exec.
                netlab.wait_for(lambda: os.path.basename(os.readlink(f"/proc/{p.pid}/exe")) ==
                                "sleep", timeout=10, what="the shell's exec of sleep")
                # Its mounts are in its own namespace, not in this one.
                self.assertNotEqual(os.readlink(f"/proc/{p.pid}/ns/mnt"),
                                    os.readlink("/proc/self/ns/mnt"))
                with open("/proc/self/mounts") as f:
                    self.assertNotIn(self.root, f.read())
                os.kill(p.pid, signal.SIGTERM)
                p.wait(timeout=10)
                self.assertEqual(p.returncode, -signal.SIGTERM)
            finally:
                if p.poll() is None:
                    os.kill(p.pid, signal.SIGKILL)
                    p.wait(timeout=10)
                p.stdout.close()
                p.stderr.close()
        self.assertEqual(mode, "750")

    def test_exit_status_is_the_commands(self):
        r = chroot("run", SUITE, "--", "sh", "-c", "exit 7", check=False)
        self.assertEqual(r.returncode, 7)

    def test_no_service_starts(self):
        r = chroot("run", SUITE, "--", "/usr/sbin/policy-rc.d", "kea-dhcp4-server", "start",
                   check=False)
        self.assertEqual(r.returncode, 101)

    def test_network_namespace(self):
        ns = netlab.Netns("chroot")
        r = ns.exec([SCRIPT, "run", SUITE, "--", "ip", "-o", "link"], timeout=120)
        names = [line.split(":")[1].strip() for line in r.stdout.splitlines()]
        self.assertEqual(names, ["lo"], r.stdout)
        r = ns.exec([SCRIPT, "run", SUITE, "--", "ls", "/sys/class/net"], timeout=120)
        self.assertEqual(r.stdout.split(), ["lo"])
        ns.close()


if __name__ == "__main__":
    netlab.require_root()
    netlab.require_tools("unshare", "chroot")
    unittest.main()
