#!/usr/bin/python3
"""The Debian packages of a newer release (trixie: Kea 2.6), installed and autopkgtested in that
release's chroot (scripts/kea-chroot.sh), as root.

Usage: test_packages_suite.py SUITE DEBDIR

DEBDIR holds the packages `scripts/build-debs.sh --suite SUITE --out DEBDIR` built (lintian-clean);
`make test` builds them once before ctest runs (the debs-<suite> target). This test:
1. checks the hook package depends on exactly the Kea of the chroot (>= its version, << the next);
2. in `kea-chroot.sh run --ephemeral` (an overlay: the cached chroot is left as built), installs the
   packages with dpkg and runs every debian/tests autopkgtest against them with the null runner;
   kea-config-test really starts that Kea's kea-dhcp4 with the hook from its installed location;
3. checks the cached chroot has none of the packages afterwards.

A missing chroot or missing packages skip the test outside CI and fail it under CI=true.
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "hook"))
import kea_install  # noqa: E402
import netlab  # noqa: E402

SOURCE = netlab.source_dir()
PACKAGES = ["kea-hook-rpi-netboot", "rpi-tftpd", "rpi-netboot-nfs", "rpi-netboot-probe",
            "rpi-netconsoled"]
SUITE, DEBDIR, ROOT = None, None, None  # set in __main__


def log(msg):
    print(f"[debian_packages_{SUITE} {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def run_group(cmd, timeout):
    """Runs cmd in its own process group, stopped by its id on timeout (SIGTERM, then SIGKILL)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        out = f"[stopped after {timeout} s]"
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(2)
        if p.returncode is None:
            p.wait(timeout=30)
    return p.returncode, out


def kea_version():
    """The chroot's Kea, as kea-chroot.sh recorded it when it built the chroot (e.g. 2.6.3)."""
    m = re.search(r"^kea=(?:\d+:)?([^-\s]+)", read(os.path.join(ROOT, ".rpi-netboot-chroot")), re.M)
    return m.group(1)


class SuitePackages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix=f"rpinb-debian-{SUITE}-")
        os.chmod(cls.tmp, 0o755)
        cls.debs = {p: glob.glob(os.path.join(DEBDIR, f"{p}_*.deb")) for p in PACKAGES}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def deb(self, pkg):
        self.assertEqual(len(self.debs[pkg]), 1, f"{pkg} in {DEBDIR}")
        return self.debs[pkg][0]

    def test_01_hook_depends_on_exactly_this_kea(self):
        version = kea_version()
        parts = version.split(".")
        upper = ".".join(parts[:-1] + [str(int(parts[-1]) + 1)]) + "~"
        depends = netlab.run(["dpkg-deb", "-f", self.deb("kea-hook-rpi-netboot"), "Depends"]).stdout
        log(f"chroot Kea {version}; kea-hook-rpi-netboot Depends: {depends.strip()}")
        self.assertIn(f"kea-dhcp4-server (>= {version})", depends)
        self.assertIn(f"kea-dhcp4-server (<< {upper})", depends)

    def test_02_autopkgtest(self):
        debs = [self.deb(p) for p in PACKAGES]
        # autopkgtest needs only debian/: a copy, so nothing is written to the tree.
        src = os.path.join(self.tmp, "src")
        shutil.copytree(os.path.join(SOURCE, "debian"), os.path.join(src, "debian"),
                        ignore=shutil.ignore_patterns(".debhelper", "tmp", "files", "*.substvars",
                                                      "*.debhelper.log", *PACKAGES))
        names = [n for line in re.findall(r"^Tests:\s*(.+)$", read(os.path.join(src, "debian", "tests",
                                                                                 "control")), re.M)
                 for n in line.split()]
        self.assertGreaterEqual(len(names), 3)
        for deb in debs:
            shutil.copy(deb, self.tmp)
        outdir = os.path.join(self.tmp, "out")
        # Inside the chroot: every test Depends is already there (deps/chroot/packages.txt; the
        # chroot has no apt lists), so dpkg installs ours and autopkgtest's apt-get finds the rest.
        inner = os.path.join(self.tmp, "inner.sh")
        with open(inner, "w") as f:
            f.write("set -e\n"
                    f"cd {self.tmp}\n"
                    "dpkg -i " + " ".join(os.path.basename(d) for d in debs) + "\n"
                    f"exec autopkgtest --no-built-binaries --output-dir {outdir} {src} -- null\n")
        log(f"autopkgtest of {len(names)} tests in the {SUITE} chroot (ephemeral overlay)")
        start = time.monotonic()
        rc, out = run_group([kea_install.chroot_script(), "run", "--ephemeral", "--bind", self.tmp, SUITE,
                             "--", "sh", inner], timeout=900)
        log(f"autopkgtest took {time.monotonic() - start:.0f} s, exit {rc}")
        summary_path = os.path.join(outdir, "summary")
        summary = read(summary_path) if os.path.exists(summary_path) else ""
        log("autopkgtest summary:\n" + summary)
        self.assertEqual(rc, 0, f"autopkgtest failed:\n{out[-10000:]}")
        for name in names:
            self.assertRegex(summary, rf"(?m)^{re.escape(name)}\s+PASS", f"autopkgtest {name}")
        # kea-config-test ran against this suite's Kea and really started it with the hook.
        kct = read(os.path.join(outdir, "kea-config-test-stdout"))
        self.assertIn(f"kea-dhcp4 {kea_version()}, hook /usr/lib/", kct)
        for step in ("2. kea-dhcp4 -c (a real start)", "RPI_NETBOOT_LOAD_OK", "2b. kea-dhcp4 -T",
                     "RPI_NETBOOT_LOAD_FAILED", "cannot open shared object file", "OK: "):
            self.assertIn(step, kct, f"kea-config-test output lacks {step!r}:\n{kct}")

    def test_03_cached_chroot_untouched(self):
        status = read(os.path.join(ROOT, "var", "lib", "dpkg", "status"))
        for pkg in PACKAGES:
            self.assertNotIn(f"Package: {pkg}\n", status, f"{pkg} was installed into the cached chroot")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    SUITE, DEBDIR = sys.argv[1], os.path.abspath(sys.argv[2])
    del sys.argv[1:]
    if os.geteuid() != 0:
        netlab.skip_or_fail("needs root (chroot, mount namespaces)")
    ROOT = kea_install.chroot_root(SUITE)
    if ROOT is None:
        netlab.skip_or_fail(f"no {SUITE} chroot (make kea-matrix, or `scripts/kea-chroot.sh ensure {SUITE}`)")
    if not glob.glob(os.path.join(DEBDIR, "kea-hook-rpi-netboot_*.deb")):
        netlab.skip_or_fail(f"no {SUITE} packages in {DEBDIR} (make test builds them: "
                            f"`scripts/build-debs.sh --suite {SUITE} --out {DEBDIR}`)")
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
