"""A QEMU guest of the tiny kernel whose root is the host's own `/`, read-only over virtio 9p.

The pieces every such guest shares (tests/lib/knfsd_guest.py's NFS server, bench/tftp/
guest_run.py's lossy TFTP comparison): the kernel command line for a no-device 9p root
(`root=<tag> rootfstype=9p`, init/do_mounts.c mount_nodev_root; Documentation/filesystems/9p.rst
for the options), QEMU's -virtfs arguments for that root and for read-write shares, the
accelerator (KVM when /dev/kvm is usable, else TCG), and ScriptGuest: a guest whose init (written
here) mounts tmpfs on /run, /tmp and /var/tmp, cgroup2 on /sys/fs/cgroup and a read-write share
of a host directory on /run/job, runs /run/job/job.sh with its output on the serial console (a
host file), prints the script's exit code and powers off. QEMU is stopped by PID; every wait is
bounded. Standard library only.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402
import qemu_kernel  # noqa: E402

ROOT_TAG = "rpinbroot"
MSIZE = 262144  # 9p message size: 256 KiB moves files in fewer round trips than the 8 KiB default


def root_append(init):
    """Kernel arguments for the host's `/` as a read-only 9p root, running `init` (a host path)."""
    return (f"root={ROOT_TAG} rootfstype=9p ro "
            f"rootflags=trans=virtio,version=9p2000.L,msize={MSIZE},cache=loose "
            f"init={init} panic=-1")


def virtfs_root():
    """QEMU arguments exporting the host's `/` read-only as the guest's root."""
    return ["-virtfs", f"local,path=/,mount_tag={ROOT_TAG},security_model=none,readonly=on,"
            "multidevs=remap"]


def virtfs_share(tag, path):
    """QEMU arguments exporting host directory `path` read-write under mount tag `tag`."""
    return ["-virtfs", f"local,path={path},mount_tag={tag},security_model=none,multidevs=remap"]


def kvm_usable():
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def accel_args(allow_kvm=True):
    """(name, QEMU arguments): KVM with the host's CPU model when usable, else TCG."""
    if allow_kvm and kvm_usable():
        return "kvm", ["-accel", "kvm", "-cpu", "host"]
    return "tcg", ["-accel", "tcg"]


STARTED = "RPI-NETBOOT-GUEST-STARTED"
DONE = "RPI-NETBOOT-GUEST-DONE"
FAILED = "RPI-NETBOOT-GUEST-FAILED"
JOB_TAG = "rpinbjob"

INIT = r"""#!/bin/sh
# init (PID 1) of a script guest, written by tests/lib/qemu_guest.py.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
fail() {{
    echo "{failed}: $*"
    exec /bin/busybox poweroff -f
}}
mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
for d in /run /tmp /var/tmp; do
    mount -t tmpfs -o mode=1777 tmpfs "$d" || fail "tmpfs on $d"
done
# cgroup v2 (CONFIG_CGROUPS): where a kernel has none, the job sees no cgroup2 mount.
mount -t cgroup2 cgroup2 /sys/fs/cgroup || echo "no cgroup2 in this kernel"
mkdir /run/job || fail "mkdir /run/job"
mount -t 9p -o trans=virtio,version=9p2000.L,msize={msize} {tag} /run/job || fail "9p share"
ip link set lo up || fail "loopback"
echo "{started} kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
cd /run/job || fail "cd /run/job"
sh ./job.sh </dev/null 2>&1
echo "{done} rc=$?"
sync
exec /bin/busybox poweroff -f
"""


class ScriptGuest:
    """Runs a script (sh) in a guest booted from `kernel`; `workdir` (a host directory, created
    if needed) is the guest's /run/job, read-write, and holds job.sh and what the job writes.
    `script(accel)` gives the script's text for the accelerator used ("kvm" or "tcg").
    run() returns (exit code, console text); `accel` then says which accelerator ran it."""

    # A usable /dev/kvm may still not run a guest (nested virtualisation whose KVM reports CPU
    # features it cannot give: QEMU then aborts, or the guest never prints): with no console
    # output this long, the guest is booted again under TCG.
    KVM_FIRST_OUTPUT_S = 30

    def __init__(self, kernel, script, workdir, smp=2, memory="1024M", allow_kvm=True):
        self.kernel, self.script, self.workdir = kernel, script, workdir
        self.smp, self.memory = smp, memory
        self.allow_kvm = allow_kvm
        self.accel = None
        self.kvm_failure = None
        self.proc = None
        self.console_path = os.path.join(workdir, "console.log")

    def run(self, timeout, progress=None):
        """Boots (under KVM if it works, else TCG), waits (at most `timeout` s) for the job's
        exit code, stops QEMU by PID. `progress(line)` gets each new console line as it comes
        (None: quiet)."""
        deadline = time.monotonic() + timeout
        if self.allow_kvm and kvm_usable():
            try:
                return self._run("kvm", deadline, progress)
            except _KvmDidNotStart as e:
                self.kvm_failure = str(e)
                if progress:
                    progress(f"(KVM did not run the guest: {e}; booting it again under TCG)")
        return self._run("tcg", deadline, progress)

    def _run(self, accel, deadline, progress):
        self.accel = accel
        os.makedirs(self.workdir, exist_ok=True)
        with open(os.path.join(self.workdir, "job.sh"), "w") as f:
            f.write(self.script(accel))
        # The init must be on the root the kernel mounts (the host's `/`); the shell has it open
        # before the init mounts a tmpfs over /var/tmp.
        initdir = tempfile.mkdtemp(prefix="rpinb-guest-init-", dir="/var/tmp")
        init = os.path.join(initdir, "init")
        with open(init, "w") as f:
            f.write(INIT.format(failed=FAILED, started=STARTED, done=DONE, tag=JOB_TAG,
                                msize=MSIZE))
        os.chmod(initdir, 0o755)
        os.chmod(init, 0o755)
        argv = ([qemu_kernel.QEMU] + accel_args(accel == "kvm")[1] +
                ["-smp", str(self.smp), "-m", self.memory, "-display", "none",
                 "-monitor", "none", "-no-reboot", "-nic", "none",
                 "-serial", f"file:{self.console_path}",
                 "-kernel", self.kernel, "-append", "console=ttyS0 " + root_append(init)]
                + virtfs_root() + virtfs_share(JOB_TAG, self.workdir))
        open(self.console_path, "w").close()
        shown = 0
        try:
            self.proc = netlab.Proc(argv, name="qemu-guest",
                                    log=os.path.join(self.workdir, "qemu.out"))
            started = time.monotonic()
            while True:
                text = self.console()
                if progress:
                    cut = text.rfind("\n") + 1
                    for line in text[shown:cut].splitlines():
                        progress(line)
                    shown = max(shown, cut)
                m = re.search(DONE + r" rc=(\d+)", text)
                if m:
                    rc = int(m.group(1))
                    break
                if accel == "kvm" and not text and (
                        not self.proc.alive()
                        or time.monotonic() - started > self.KVM_FIRST_OUTPUT_S):
                    why = self.proc.output().strip().splitlines()
                    raise _KvmDidNotStart(why[-1] if why and not self.proc.alive() else
                                          f"no console output in {self.KVM_FIRST_OUTPUT_S} s")
                if FAILED in text or "Kernel panic" in text or not self.proc.alive():
                    raise RuntimeError("the guest failed:\n" + text[-4000:]
                                       + self.proc.output()[-2000:])
                if time.monotonic() > deadline:
                    raise TimeoutError("the guest's job did not finish in time:\n"
                                       + text[-4000:])
                time.sleep(0.5)
            try:  # the init powers off; -no-reboot makes QEMU exit then
                self.proc.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            return rc, self.console()
        finally:
            if self.proc:
                self.proc.stop(timeout=10)
                self.proc = None
            shutil.rmtree(initdir, ignore_errors=True)

    def console(self):
        with open(self.console_path, errors="replace") as f:
            return f.read()


class _KvmDidNotStart(Exception):
    pass

