#!/usr/bin/python3
"""The Debian packages end to end, on this machine, as root.

1. scripts/build-debs.sh builds every package from a clean copy of the tracked files in a temporary
   directory (dpkg-buildpackage -us -uc -b, DEB_BUILD_OPTIONS=nocheck) and runs lintian on them:
   zero errors and zero warnings.
2. dpkg -i installs them; their metadata and files are what the packaging promises (exact Kea range,
   conffile, no exports conffile, a man page per program, the sysusers user).
3. autopkgtest runs debian/tests against the installed packages (null backend: this machine).
4. systemd-analyze verify accepts the units (systemd need not be PID 1), and
   systemd-analyze security --offline rates rpi-tftpd.service and rpi-netconsoled.service "OK"
   or better.
5. The unit's command line, run as its User= with only its AmbientCapabilities= in a private
   network namespace, binds the real port 69, serves a file, survives a reload and exits on SIGTERM.
6. Purging rpi-netboot-nfs (in a private mount namespace, so this machine's exports stay untouched)
   removes the helper's drop-in and lock and re-applies the exports; purging the rest leaves nothing.

Installing packages changes this machine, so the test cleans up by package name, before it starts and
after it ends (failures, errors and SIGTERM included): it purges its own packages and a leftover
`autopkgtest-satdep` (the dummy package autopkgtest installs to pull in test dependencies, left behind
when an autopkgtest run is interrupted) if that depends on one of them. Any other package that depends
on ours is not touched: the test fails and names it.
"""

import atexit
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402

SOURCE = netlab.source_dir()
PACKAGES = ["kea-hook-rpi-netboot", "rpi-tftpd", "rpi-netboot-nfs", "rpi-netboot-probe",
            "rpi-netconsoled"]
PROGRAMS = {"rpi-tftpd": "rpi-tftpd", "rpi-nfs-exports": "rpi-netboot-nfs",
            "rpi-netboot-probe": "rpi-netboot-probe", "rpi-netconsoled": "rpi-netconsoled",
            "rpi-netboot": "rpi-netboot-probe", "rpi-netboot-timeline": "rpi-netboot-probe"}
# The dummy package autopkgtest installs (and purges) around each test to pull in its Depends.
SATDEP = "autopkgtest-satdep"
UNIT = "/lib/systemd/system/rpi-tftpd.service"
SOCKET_UNIT = "/lib/systemd/system/rpi-tftpd.socket"
CONFFILE = "/etc/rpi-netboot/rpi-tftpd.conf"
DROPIN = "/etc/exports.d/rpi-netboot.exports"
LOCK = "/etc/exports.d/.rpi-netboot.exports.lock"
SERVICE_USER = "_rpi-tftpd"
NC_UNIT = "/lib/systemd/system/rpi-netconsoled.service"
NC_CONFFILE = "/etc/rpi-netboot/rpi-netconsoled.conf"
NC_SERVICE_USER = "_rpi-netconsoled"
# Exposure levels of systemd-analyze security, best first: the units must be rated "OK" or better.
ACCEPTED_EXPOSURE = ("PERFECT", "SAFE", "OK")
# deps/*.txt packages that look like build dependencies but are needed only by tests, with the reason.
TEST_ONLY_DEPS = {
    "libclang-rt-14-dev": "sanitizer and libFuzzer runtimes of the clang test builds",
    "dpkg-dev": "a tool, not a library; build-essential (implied by every Debian build) has it",
    "libelf-dev": "the tiny Linux kernel the OS-phase tests build (tests/lib/tiny_kernel.sh), not rpi-netboot",
    "libbenchmark-dev": "bench/ only (make bench, optional even there); the packages neither build nor ship it",
}
BUILD_TOOLS = {"cmake", "pkg-config", "rpcsvc-proto", "help2man", "kea-dev"}


def log(msg):
    print(f"[debian_packages {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def dpkg(args, timeout=600):
    """dpkg, waiting (bounded) while another apt/dpkg run on this machine holds the lock. A dpkg run
    killed earlier (an interrupted test) makes dpkg refuse until `dpkg --configure -a`: run it once."""
    configured = False
    for _ in range(60):
        r = netlab.run(["dpkg"] + args, check=False, timeout=timeout)
        if r.returncode != 0 and "lock" in r.stderr and "locked" in r.stderr:
            time.sleep(5)
            continue
        if r.returncode != 0 and "dpkg --configure -a" in r.stderr and not configured:
            log("dpkg was interrupted earlier: dpkg --configure -a")
            configured = True
            netlab.run(["dpkg", "--configure", "-a"], check=False, timeout=timeout)
            continue
        return r
    raise TimeoutError("dpkg lock held for 5 minutes")


def installed(pkg):
    r = netlab.run(["dpkg-query", "-W", "-f=${db:Status-Status}", pkg], check=False)
    return r.returncode == 0 and r.stdout.strip() not in ("", "not-installed")


_groups = []  # process groups run_group() started and that may still run


def stop_group(pgid):
    """Ends a process group this test started, by its id: SIGTERM, then SIGKILL after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


def run_group(cmd, timeout, **kw):
    """Runs cmd in its own process group; on timeout, or when the test is ended (cleanup_machine),
    that group is stopped by its id, so that no dpkg, apt-get or compiler it started keeps running.
    Returns (returncode or None on timeout, combined output)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True, **kw)
    _groups.append(p.pid)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group(p.pid)
        out, _ = p.communicate()
        return None, out + f"\n[stopped after {timeout} s]"
    finally:
        # The group may outlive its leader (a daemon it left): stop what remains.
        stop_group(p.pid)
        _groups.remove(p.pid)
    return p.returncode, out


def dependents_of_ours():
    """Installed packages (not ours) whose Depends or Pre-Depends name one of our packages."""
    r = netlab.run(["dpkg-query", "-W", "-f=${Package}\t${db:Status-Status}\t${Depends}, ${Pre-Depends}\n"])
    found = []
    for line in r.stdout.splitlines():
        pkg, status, deps = (line.split("\t") + ["", ""])[:3]
        if pkg in PACKAGES or status in ("", "not-installed", "config-files"):
            continue
        names = {re.split(r"[\s(:]", alt.strip())[0] for dep in deps.split(",") for alt in dep.split("|")}
        if names & set(PACKAGES):
            found.append(pkg)
    return found


def purge_ours():
    """Purges our packages and a leftover autopkgtest-satdep that depends on them, in one dpkg run.
    Refuses (AssertionError) to remove any other package that depends on ours."""
    dependents = dependents_of_ours()
    foreign = [p for p in dependents if p != SATDEP]
    if foreign:
        raise AssertionError(f"packages not made by this test depend on ours: {foreign}; "
                             "remove them by hand, the test will not")
    present = dependents + [p for p in PACKAGES if installed(p)]
    if present:
        log(f"purging {present}")
        r = dpkg(["--purge"] + present)
        if r.returncode != 0:
            raise AssertionError(f"dpkg --purge {present} failed:\n{r.stdout}\n{r.stderr}")


def purge_ours_satdep():
    """Purges autopkgtest-satdep if it is installed and depends on one of our packages."""
    if SATDEP in dependents_of_ours():
        r = dpkg(["--purge", SATDEP])
        if r.returncode != 0:
            raise AssertionError(f"dpkg --purge {SATDEP} failed:\n{r.stdout}\n{r.stderr}")


_cleaned = [False]
_tmpdirs = []  # removed by cleanup_machine, after the purge


def cleanup_machine():
    """What tearDownClass and exit (SIGTERM included, through netlab's handler) both run, once."""
    if _cleaned[0]:
        return
    _cleaned[0] = True
    try:
        for pgid in list(_groups):  # a build or autopkgtest still running when the test is ended
            stop_group(pgid)
        purge_ours()
    finally:
        for path in _tmpdirs:
            shutil.rmtree(path, ignore_errors=True)


def field(pkg, name):
    return netlab.run(["dpkg-query", "-W", f"-f=${{{name}}}", pkg]).stdout


def kea_range():
    """The Depends range the hook must carry, computed here independently of debian/rules."""
    version = netlab.run(["dpkg-query", "-W", "-f=${Version}", "kea-dev"]).stdout.strip()
    upstream = re.sub(r"-[^-]*$", "", re.sub(r"^\d+:", "", version))
    parts = re.split(r"[~+]", upstream)[0].split(".")
    parts[-1] = str(int(parts[-1]) + 1)
    return upstream, ".".join(parts) + "~"


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def tracked_listing(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


class DebianPackages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rpinb-debian-")
        _tmpdirs.append(cls.tmp)
        os.chmod(cls.tmp, 0o755)
        cls.out = os.path.join(cls.tmp, "debs")
        purge_ours()  # leftovers of an earlier, interrupted run
        parent = os.path.dirname(SOURCE)
        parent_before = tracked_listing(parent)
        debian_before = tracked_listing(os.path.join(SOURCE, "debian"))
        log("building the packages (scripts/build-debs.sh --jobs 2)")
        start = time.monotonic()
        cls.build_rc, cls.build_log = run_group([os.path.join(SOURCE, "scripts", "build-debs.sh"), "--out",
                                                 cls.out, "--jobs", "2"], timeout=900)
        cls.build_seconds = time.monotonic() - start
        log(f"build + lintian took {cls.build_seconds:.0f} s, exit {cls.build_rc}")
        for line in cls.build_log.splitlines():
            if line.startswith("build-debs:") or re.match(r"^[EWIN]: ", line):
                print("    " + line, flush=True)
        cls.littered = ([f for f in tracked_listing(parent) if f not in parent_before] +
                        [f"debian/{f}" for f in tracked_listing(os.path.join(SOURCE, "debian"))
                         if f not in debian_before])
        cls.debs = {}
        for pkg in PACKAGES:
            found = glob.glob(os.path.join(cls.out, f"{pkg}_*.deb"))
            if len(found) == 1:
                cls.debs[pkg] = found[0]
        cls.file_lists = {}

    @classmethod
    def tearDownClass(cls):
        cleanup_machine()

    # 1. build and lintian -------------------------------------------------------------------
    def test_01_build_and_lintian(self):
        self.assertEqual(self.build_rc, 0, f"build-debs.sh failed:\n{self.build_log[-6000:]}")
        self.assertIn("build-debs: building offline (unshare --net", self.build_log)
        self.assertIn("build-debs: lintian: no errors, no warnings", self.build_log)
        tags = [line for line in self.build_log.splitlines() if re.match(r"^[EW]: ", line)]
        self.assertEqual(tags, [], "lintian reported errors or warnings")
        self.assertEqual(sorted(self.debs), sorted(PACKAGES), "a package is missing")
        self.assertEqual(self.littered, [], "the build wrote into the source tree or its parent")

    def test_02_lintian_overrides_have_reasons(self):
        for path in glob.glob(os.path.join(SOURCE, "debian", "*lintian-overrides")):
            lines = read(path).splitlines()
            for i, line in enumerate(lines):
                if line.strip() and not line.startswith("#"):
                    self.assertTrue(i > 0 and lines[i - 1].startswith("#") and len(lines[i - 1]) > 10,
                                    f"{path}:{i + 1}: override without a written reason above it")

    def test_03_build_depends_cover_deps(self):
        control = read(os.path.join(SOURCE, "debian", "control"))
        block = re.search(r"^Build-Depends:(.*?)^\S", control, re.S | re.M).group(1)
        build_depends = {re.split(r"[\s(<\[]", alt.strip())[0]
                         for dep in block.split(",") for alt in dep.split("|") if alt.strip()}
        for path in sorted(glob.glob(os.path.join(SOURCE, "deps", "*.txt"))):
            for line in read(path).splitlines():
                for pkg in line.split("#")[0].split():
                    if (pkg.endswith("-dev") or pkg in BUILD_TOOLS) and pkg not in TEST_ONLY_DEPS:
                        self.assertIn(pkg, build_depends,
                                      f"{os.path.basename(path)} lists {pkg}, debian/control's "
                                      "Build-Depends does not (or add it to TEST_ONLY_DEPS with a reason)")

    # 2. install and what got installed --------------------------------------------------------
    def test_10_install(self):
        self.assertEqual(sorted(self.debs), sorted(PACKAGES), "packages were not built")
        r = dpkg(["-i"] + [self.debs[p] for p in PACKAGES])
        self.assertEqual(r.returncode, 0, f"dpkg -i failed:\n{r.stdout}\n{r.stderr}")
        for pkg in PACKAGES:
            self.assertTrue(installed(pkg), pkg)
            DebianPackages.file_lists[pkg] = netlab.run(["dpkg", "-L", pkg]).stdout.split("\n")

    def test_11_hook_package(self):
        multiarch = netlab.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).stdout.strip()
        hook = f"/usr/lib/{multiarch}/kea/hooks/libdhcp_rpi_netboot.so"
        self.assertTrue(os.path.isfile(hook), hook)
        low, high = kea_range()
        depends = field("kea-hook-rpi-netboot", "Depends")
        self.assertIn(f"kea-dhcp4-server (>= {low})", depends)
        self.assertIn(f"kea-dhcp4-server (<< {high})", depends)
        example = "/usr/share/doc/kea-hook-rpi-netboot/examples/kea-dhcp4.conf"
        self.assertIn(f'"{hook}"', read(example), "the example must load the installed hook")
        # Every file of examples/ is shipped, uncompressed, under the package's examples
        # directory; each Kea configuration names the installed hook.
        shipped = os.path.dirname(example)
        for root, _, names in os.walk(os.path.join(SOURCE, "examples")):
            for name in names:
                rel = os.path.relpath(os.path.join(root, name), os.path.join(SOURCE, "examples"))
                path = os.path.join(shipped, rel)
                self.assertIn(path, self.file_lists["kea-hook-rpi-netboot"], f"{rel} not shipped")
                if name.endswith(".conf"):
                    self.assertIn(f'"{hook}"', read(path), f"{rel} must load the installed hook")
                else:
                    with open(os.path.join(root, name), "rb") as f, open(path, "rb") as g:
                        self.assertEqual(g.read(), f.read(), rel)
        self.assertTrue(os.access(os.path.join(shipped, "prometheus", "rpi-netboot-kea-stats"),
                                  os.X_OK), "the stats script must stay executable")

    def test_12_tftpd_package(self):
        conffiles = field("rpi-tftpd", "Conffiles")
        self.assertIn(CONFFILE, conffiles)
        self.assertTrue(os.path.isfile(UNIT))
        self.assertTrue(os.path.isfile(SOCKET_UNIT))
        user = netlab.run(["getent", "passwd", SERVICE_USER], check=False)
        self.assertEqual(user.returncode, 0, f"sysusers did not create {SERVICE_USER}")
        self.assertTrue(user.stdout.strip().endswith(":/usr/sbin/nologin"), user.stdout)
        self.assertFalse(os.path.exists("/etc/systemd/system/multi-user.target.wants/rpi-tftpd.service"),
                         "the service must wait for the admin to enable it")
        self.assertFalse(os.path.exists("/etc/systemd/system/sockets.target.wants/rpi-tftpd.socket"),
                         "the socket must wait for the admin to enable it")

    def test_13_nfs_package(self):
        self.assertEqual(field("rpi-netboot-nfs", "Conffiles").strip(), "", "no conffile may be shipped")
        self.assertIn("nfs-kernel-server", field("rpi-netboot-nfs", "Recommends"))
        self.assertNotIn(DROPIN, "\n".join(self.file_lists.get("rpi-netboot-nfs", [])))

    def test_14_man_page_per_program(self):
        for prog, pkg in PROGRAMS.items():
            self.assertIn(f"/usr/sbin/{prog}", self.file_lists.get(pkg, []))
            self.assertIn(f"/usr/share/man/man8/{prog}.8.gz", self.file_lists.get(pkg, []))
        sbin = [f for pkg in PACKAGES for f in self.file_lists.get(pkg, []) if "/sbin/" in f or "/bin/" in f]
        self.assertEqual(sorted(os.path.basename(f) for f in sbin), sorted(PROGRAMS))

    # 3. autopkgtest -------------------------------------------------------------------------
    def test_20_autopkgtest(self):
        # autopkgtest needs only debian/: give it a copy, so nothing is written to the tree.
        src = os.path.join(self.tmp, "autopkgtest-src")
        shutil.copytree(os.path.join(SOURCE, "debian"), os.path.join(src, "debian"),
                        ignore=shutil.ignore_patterns(".debhelper", "tmp", "files", "*.substvars",
                                                      "*.debhelper.log", *PACKAGES))
        control = read(os.path.join(src, "debian", "tests", "control"))
        names = re.findall(r"^Tests:\s*(.+)$", control, re.M)
        names = [n for line in names for n in line.split()]
        self.assertGreaterEqual(len(names), 3)
        # apt-get (which autopkgtest runs to install test Depends) waits for a dpkg run of another
        # process instead of failing at once; APT_CONFIG is read in addition to /etc/apt.
        aptconf = os.path.join(self.tmp, "apt.conf")
        with open(aptconf, "w") as f:
            f.write('DPkg::Lock::Timeout "300";\n')
        env = dict(os.environ, APT_CONFIG=aptconf)
        leftover = []
        try:
            for attempt in range(3):
                outdir = os.path.join(self.tmp, f"autopkgtest-out{attempt}")
                cmd = ["autopkgtest", "--no-built-binaries", "--output-dir", outdir]
                cmd += [src, "--", "null"]
                rc, out = run_group(cmd, timeout=600, env=env)
                if installed(SATDEP):
                    leftover.append(f"attempt {attempt}: {field(SATDEP, 'Depends')}")
                    purge_ours_satdep()
                if rc != 0 and re.search(r"Could not get lock|frontend lock|lock was locked", out):
                    log(f"autopkgtest attempt {attempt}: the dpkg lock was held; retrying")
                    time.sleep(10)
                    continue
                break
        finally:
            purge_ours_satdep()
        summary = read(os.path.join(outdir, "summary")) if os.path.exists(
            os.path.join(outdir, "summary")) else ""
        log("autopkgtest summary:\n" + summary)
        self.assertEqual(rc, 0, f"autopkgtest failed:\n{out[-10000:]}")
        for name in names:
            self.assertRegex(summary, rf"(?m)^{re.escape(name)}\s+PASS", f"autopkgtest {name}")
        self.assertEqual(leftover, [], f"autopkgtest left {SATDEP} installed")

    def test_13_netconsoled_package(self):
        self.assertIn(NC_CONFFILE, field("rpi-netconsoled", "Conffiles"))
        self.assertTrue(os.path.isfile(NC_UNIT))
        user = netlab.run(["getent", "passwd", NC_SERVICE_USER], check=False)
        self.assertEqual(user.returncode, 0, f"sysusers did not create {NC_SERVICE_USER}")
        self.assertFalse(os.path.exists("/etc/systemd/system/multi-user.target.wants/rpi-netconsoled.service"),
                         "the service must wait for the admin to enable it")
        # Every example key of the conffile is accepted: with all of them switched on, the daemon
        # gets as far as opening the (missing) interface.
        sample = os.path.join(self.tmp, "rpi-netconsoled.conf")
        lines, keys = [], []
        for line in read(NC_CONFFILE).splitlines():
            m = re.match(r"^#([a-z][a-z-]*) = (.+)$", line)
            if m:
                keys.append(m.group(1))
                value = "rpinb-none0" if m.group(1) == "interface" else m.group(2)
                line = f"{m.group(1)} = {value}"
            lines.append(line)
        self.assertIn("interface", keys)
        with open(sample, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = netlab.run(["/usr/sbin/rpi-netconsoled", "--config", sample, "--events", "none"], check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("no interface rpinb-none0", r.stderr)

    # 4. systemd ---------------------------------------------------------------------------
    def test_30_systemd_verify(self):
        # Offline: systemd-analyze verify loads the unit in a private manager (no PID 1 needed); it
        # checks the ExecStart binary, the Documentation= man page and every key. Any message fails.
        r = netlab.run(["systemd-analyze", "verify", UNIT, SOCKET_UNIT], check=False)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))
        # The check can fail: the same unit with a misspelt key is reported.
        bad = os.path.join(self.tmp, "rpi-tftpd.service")
        with open(bad, "w") as f:
            f.write(read(UNIT).replace("ProtectSystem=", "ProtectSystm="))
        r = netlab.run(["systemd-analyze", "verify", bad], check=False)
        self.assertIn("ProtectSystm", r.stdout + r.stderr)

    def test_32_netconsoled_unit(self):
        r = netlab.run(["systemd-analyze", "verify", NC_UNIT], check=False)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))
        r = netlab.run(["systemd-analyze", "security", "--offline=true", "--no-pager", NC_UNIT], check=False)
        m = re.search(r"Overall exposure level for rpi-netconsoled\.service: ([\d.]+) (\w+)", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        log(f"systemd-analyze security rpi-netconsoled: {m.group(1)} {m.group(2)}")
        self.assertIn(m.group(2), ACCEPTED_EXPOSURE)

    def test_31_systemd_security(self):
        r = netlab.run(["systemd-analyze", "security", "--offline=true", "--no-pager", UNIT], check=False)
        m = re.search(r"Overall exposure level for rpi-tftpd\.service: ([\d.]+) (\w+)", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        log(f"systemd-analyze security: {m.group(1)} {m.group(2)}")
        self.assertIn(m.group(2), ACCEPTED_EXPOSURE)
        self.assertLessEqual(float(m.group(1)), 4.9)

    # 5. the unit's command line, run the way the unit says -----------------------------------
    def _unit(self):
        settings = {}
        for line in read(UNIT).splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.strip().split("=", 1)
                settings.setdefault(key, value)
        return settings

    def _sample_config(self, root):
        """The installed conffile with every example setting switched on, pointed at this test's tree
        and loopback: the daemon must accept each key the comments offer."""
        shared = os.path.join(self.tmp, "shared")
        os.makedirs(shared, exist_ok=True)
        values = {"root": root, "listen": "127.0.0.1:69", "allow-root": shared, "pin": "1234abcd=127.0.0.1"}
        lines, keys = [], []
        for line in read(CONFFILE).splitlines():
            m = re.match(r"^#([a-z][a-z-]*) = (.+)$", line)
            if m:
                keys.append(m.group(1))
                line = f"{m.group(1)} = {values.get(m.group(1), m.group(2))}"
            lines.append(line)
        self.assertIn("root", keys, "the conffile must show how to set root")
        path = os.path.join(self.tmp, "rpi-tftpd.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(path, 0o644)
        return path

    def _start_as_unit(self, ns, config, caps):
        unit = self._unit()
        cmd = ["setpriv", f"--reuid={unit['User']}", f"--regid={unit['Group']}", "--clear-groups",
               "--no-new-privs"]
        if caps:
            cap = unit["AmbientCapabilities"].lower().replace("cap_", "")
            cmd += [f"--inh-caps=-all,+{cap}", f"--ambient-caps=-all,+{cap}", f"--bounding-set=-all,+{cap}"]
        else:
            cmd += ["--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"]
        # ExecStart as written, with the example configuration in place of the conffile.
        cmd += unit["ExecStart"].replace(CONFFILE, config).split()
        return ns.start(cmd, name="rpi-tftpd")

    def _fetch(self, ns, name, dest):
        return ns.exec(["tftp", "-m", "binary", "127.0.0.1", "69", "-c", "get", name, dest], check=False,
                       timeout=20)

    def test_40_service_user_and_capability(self):
        root = os.path.join(self.tmp, "tftproot")
        os.makedirs(os.path.join(root, "1234abcd"), exist_ok=True)
        content = os.urandom(3000)
        with open(os.path.join(root, "1234abcd", "config.txt"), "wb") as f:
            f.write(content)
        for d in (root, os.path.join(root, "1234abcd")):
            os.chmod(d, 0o755)
        # As shipped, every setting is commented out: the daemon reads the file and asks for a root.
        r = netlab.run(self._unit()["ExecStart"].split(), check=False, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--root is required", r.stdout + r.stderr)
        config = self._sample_config(root)
        ns = netlab.Netns("deb")
        proc = self._start_as_unit(ns, config, caps=True)
        dest = os.path.join(self.tmp, "fetched.txt")

        def fetched():
            if os.path.exists(dest):
                os.unlink(dest)
            self.assertTrue(proc.alive(), read(proc.log_path))
            self._fetch(ns, "1234abcd/config.txt", dest)
            if not os.path.exists(dest):
                return False
            with open(dest, "rb") as f:
                return f.read() == content

        netlab.wait_for(fetched, timeout=10, interval=0.2, what="a fetch from rpi-tftpd on port 69")
        proc.signal(signal.SIGHUP)  # what ExecReload does
        time.sleep(0.5)
        netlab.wait_for(fetched, timeout=10, interval=0.2, what="a fetch after SIGHUP")
        self.assertEqual(proc.stop(), 0, read(proc.log_path))
        # Without the capability the unprivileged user cannot bind port 69: the unit needs it.
        bare = self._start_as_unit(ns, config, caps=False)
        netlab.wait_for(lambda: not bare.alive(), timeout=10, what="rpi-tftpd failing without the capability")
        self.assertNotEqual(bare.stop(), 0)
        ns.close()

    # 6. purge ---------------------------------------------------------------------------------
    def test_50_purge_nfs_in_private_mount_namespace(self):
        self.assertTrue(installed("rpi-netboot-nfs"))
        created = not os.path.isdir("/etc/exports.d")
        if created:
            os.mkdir("/etc/exports.d")  # a mount point for the private tmpfs; removed below
        try:
            base = os.path.join(self.tmp, "nfsroots")
            os.makedirs(os.path.join(base, "1234abcd"))
            script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "purge_nfs.sh")
            r = netlab.run(["unshare", "--mount", "--propagation", "private", "sh", script, base,
                            DROPIN, LOCK], check=False, timeout=300)
            log("purge_nfs.sh:\n" + r.stdout + r.stderr)
            self.assertEqual(r.returncode, 0)
            self.assertFalse(installed("rpi-netboot-nfs"))
        finally:
            if created:
                os.rmdir("/etc/exports.d")
        self.assertFalse(os.path.lexists(DROPIN))

    def test_60_purge_leaves_nothing(self):
        self.assertTrue(self.file_lists, "packages were not installed")
        purge_ours()
        for pkg in PACKAGES:
            # Not even config-files state: purge removed the conffile too.
            self.assertFalse(installed(pkg), pkg)
        leftovers = []
        for pkg, files in self.file_lists.items():
            for path in files:
                if not path or path == "/." or not os.path.lexists(path):
                    continue
                # A directory may stay only if another package owns it (or it is a merged-/usr alias
                # such as /lib, whose target another package owns).
                if os.path.isdir(path) and netlab.run(["dpkg-query", "-S", os.path.realpath(path)],
                                                      check=False).returncode == 0:
                    continue
                leftovers.append(path)
        for path in ("/etc/rpi-netboot", DROPIN, LOCK, "/usr/lib/sysusers.d/rpi-tftpd.conf",
                     "/etc/systemd/system/multi-user.target.wants/rpi-tftpd.service",
                     "/etc/systemd/system/sockets.target.wants/rpi-tftpd.socket",
                     "/usr/lib/sysusers.d/rpi-netconsoled.conf",
                     "/etc/systemd/system/multi-user.target.wants/rpi-netconsoled.service"):
            if os.path.lexists(path):
                leftovers.append(path)
        self.assertEqual(leftovers, [], "purge left files behind")
        # Debian policy keeps system users on purge (files elsewhere may still be owned by them);
        # the user must own nothing the packages put on this machine.
        for user in (SERVICE_USER, NC_SERVICE_USER):
            owned = netlab.run(["find", "/etc", "/var/lib", "/var/cache", "/var/log", "/run", "-xdev", "-user",
                                user], check=False, timeout=120).stdout.split()
            self.assertEqual(owned, [], f"files still owned by {user}")


if __name__ == "__main__":
    netlab.require_root()
    atexit.register(cleanup_machine)  # also on SIGTERM: netlab's handler exits through sys.exit
    netlab.require_tools("dpkg-buildpackage", "lintian", "autopkgtest", "systemd-analyze", "help2man",
                         "tftp", "curl", "kea-dhcp4", "exportfs", "setpriv", "unshare", "man")
    result = unittest.main(verbosity=2, exit=False, failfast=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
