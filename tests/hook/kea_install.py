"""One Kea installation the hook's integration tests run against, chosen by RPI_NETBOOT_KEA:

- "2.2" (the default): the host's Kea 2.2 (Debian bookworm), hook loaded from the host build, the
  server's files in a private temp dir, as these tests have always run;
- "2.6" / "3.0": Kea 2.6.3 (Debian trixie) / 3.0.4 (Debian sid) in an mmdebstrap chroot made by
  scripts/kea-chroot.sh, with the hook built in that chroot (build-trixie/, build-sid/).

Kea 2.6.3 and later only load hooks from their hooks directory and only put control sockets under
/run/kea, log files under /var/log/kea and lease files under /var/lib/kea (Kea ARM, "Securing a Kea
Deployment"; back-ported to 2.6.3). The chroot installations obey that as an admin must: each
server's hook library is copied into the chroot's hooks directory and its socket, log and lease
file live in those directories, under names unique to the server (tests run in parallel), and all
of them are removed when the server stops.

Overrides: RPI_NETBOOT_KEA_BUILD (the hook's build dir), RPI_NETBOOT_CHROOT_CACHE (where
kea-chroot.sh keeps its chroots).
"""

import glob
import itertools
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402

HOOK_NAME = "libdhcp_rpi_netboot.so"
# version -> (Debian suite of its chroot, build dir under the checkout); None: the host's Kea.
VERSIONS = {"2.2": (None, None), "2.6": ("trixie", "build-trixie"), "3.0": ("sid", "build-sid")}
_serial = itertools.count(1)


def selected_version():
    return os.environ.get("RPI_NETBOOT_KEA", "2.2")


def chroot_script():
    return os.path.join(netlab.source_dir(), "scripts", "kea-chroot.sh")


def chroot_root(suite):
    """The chroot's root directory from scripts/kea-chroot.sh, or None when no chroot of `suite`
    was ever made (the script would spend minutes making one: that is `make`'s job, not a test's).
    A chroot of an older package list is brought up to date by the script."""
    cache = os.environ.get("RPI_NETBOOT_CHROOT_CACHE", "/var/cache/rpi-netboot/chroots")
    if not os.path.exists(chroot_script()) or not glob.glob(
            os.path.join(glob.escape(cache), f"{suite}-*", ".rpi-netboot-chroot")):
        return None
    res = subprocess.run([chroot_script(), "ensure", suite], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=600, check=False)
    return res.stdout.strip() if res.returncode == 0 else None


def foreign_version(version):
    """A Kea version whose build the given version must refuse: 2.6 for 2.2, 2.2 for 2.6 and 3.0."""
    return "2.6" if version == "2.2" else "2.2"


class Paths:
    """Where one kea-dhcp4 keeps its files, as that Kea names them. `tmp` (config, PID and lock
    files) is a host temp dir, bound at the same path inside a chroot; the hook, log and lease
    file lie in the chroot's own directories (host(path) is where the test finds them); the
    control socket of a chroot's Kea lies in its private /run (socket_for(pid))."""

    def __init__(self, inst, tag):
        self.inst, self.tag = inst, tag
        self.tmp = tempfile.mkdtemp(prefix="rpinb-kea-")
        os.chmod(self.tmp, 0o755)
        if inst.chroot:
            self.socket = f"/run/kea/{tag}.sock"
            self.log = f"/var/log/kea/{tag}.log"
            self.leases = f"/var/lib/kea/{tag}-leases4.csv"
        else:
            self.socket = os.path.join(self.tmp, "ctrl.sock")
            self.log = os.path.join(self.tmp, "kea.log")
            self.leases = os.path.join(self.tmp, "leases4.csv")
        self.installed_hooks = []
        self.binds = []  # more host directories the chroot's Kea sees at the same path
        self.env = {}  # more environment for kea-dhcp4

    def hook(self, build=None, dest=None):
        """The hook library path for this server's configuration; a chroot gets its own copy in
        its hooks directory (from `build`, default the installation's own build), named `dest`
        or uniquely for this server."""
        src = os.path.join(build or self.inst.build, "kea-hook", HOOK_NAME)
        if not self.inst.chroot:
            return src
        dest = dest or os.path.join(self.inst.hooks_dir, f"libdhcp_rpi_netboot-{self.tag}"
                                    f"-{len(self.installed_hooks)}.so")
        tmp = self.host(dest) + ".tmp"
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.host(dest))  # as dpkg does: never a half-written library
        self.installed_hooks.append(dest)
        return dest

    def host(self, kea_path):
        return self.inst.host_path(kea_path)

    def socket_for(self, pid):
        """The control socket's path for the test, given the PID of kea-dhcp4."""
        return f"/proc/{pid}/root{self.socket}" if self.inst.chroot else self.socket

    @staticmethod
    def _unlink(path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    def remove(self):
        if os.environ.get("RPI_NETBOOT_KEEP_TMP"):
            return
        for p in self.installed_hooks:
            self._unlink(self.host(p))
        # Kea's log rotation and lease file cleanup add suffixes (.1, .2, .completed, ...).
        for p in (self.log, self.leases):
            for q in glob.glob(glob.escape(self.host(p)) + "*"):
                self._unlink(q)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Installation:
    def __init__(self, version=None):
        self.version = version or selected_version()
        if self.version not in VERSIONS:
            raise ValueError(f"RPI_NETBOOT_KEA={self.version}: expected one of {sorted(VERSIONS)}")
        self.suite, build_name = VERSIONS[self.version]
        self.chroot = self.suite is not None
        if self.chroot:
            self.root = chroot_root(self.suite)
            default_build = os.path.join(netlab.source_dir(), build_name)
        else:
            self.root = "/"
            default_build = netlab.build_dir()
        env_build = os.environ.get("RPI_NETBOOT_KEA_BUILD") if version is None else None
        self.build = env_build or default_build
        hooks = glob.glob(os.path.join(glob.escape(self.root), "usr/lib/*/kea/hooks")) \
            if self.root else []
        self.hooks_dir = self.kea_path(hooks[0]) if hooks else None

    def describe(self):
        where = f"{self.suite} chroot {self.root}" if self.chroot else "host"
        return f"Kea {self.version} ({where}, hook from {self.build})"

    def missing(self):
        """What this installation lacks to run the tests, or None."""
        if self.chroot and not (self.root and os.path.isdir(self.root)):
            return (f"no {self.suite} chroot for Kea {self.version}: make one with "
                    f"`scripts/kea-chroot.sh ensure {self.suite}`")
        if not os.path.exists(self.host_path("/usr/sbin/kea-dhcp4")):
            return f"no kea-dhcp4 in {self.root}"
        if self.chroot and not self.hooks_dir:
            return f"no Kea hooks directory in {self.root}"
        if not os.path.exists(os.path.join(self.build, "kea-hook", HOOK_NAME)):
            how = (f"`scripts/kea-chroot.sh build {self.suite} {self.build} rpinetboot_kea_hook`"
                   if self.chroot else "`cmake --build build --target rpinetboot_kea_hook`")
            return (f"the hook is not built for Kea {self.version} in {self.build}: "
                    f"build it with {how}")
        return None

    def host_path(self, kea_path):
        """Where the test finds a file of the chroot's own file system (not /tmp, /run)."""
        return os.path.join(self.root, kea_path.lstrip("/")) if self.chroot else kea_path

    def kea_path(self, host_path):
        if not self.chroot or not host_path.startswith(self.root.rstrip("/") + "/"):
            return host_path
        return "/" + os.path.relpath(host_path, self.root)

    def argv(self, args, paths=None):
        """kea-dhcp4 with `args`, to run in the current network namespace. A chroot's Kea runs
        through `kea-chroot.sh run`, which execs it: the process started is kea-dhcp4 itself
        (stopped by PID), with the server's temp dir bound at the same path."""
        if not self.chroot:
            return ["/usr/sbin/kea-dhcp4"] + list(args)
        bind = ["--bind", paths.tmp] if paths else []
        for extra in (paths.binds if paths else []):  # e.g. a test database's socket directory
            bind += ["--bind", extra]
        return ([chroot_script(), "run"] + bind + [self.suite, "--", "/usr/sbin/kea-dhcp4"] +
                list(args))

    def new_paths(self):
        return Paths(self, f"rpinb-{os.getpid()}-{next(_serial)}")

    def server_env(self, paths):
        """Environment for kea-dhcp4: its PID and lock files in the server's own directory, so
        that several servers run at once."""
        for d in ("pid", "lock"):
            os.makedirs(os.path.join(paths.tmp, d), exist_ok=True)
        return dict(os.environ, **paths.env, KEA_PIDFILE_DIR=os.path.join(paths.tmp, "pid"),
                    KEA_LOCKFILE_DIR=os.path.join(paths.tmp, "lock"))

    def version_text(self):
        res = subprocess.run(self.argv(["-V"]), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=60, check=False)
        return res.stdout.splitlines()[0].strip() if res.stdout else "?"
