#!/usr/bin/python3
"""compare.py's lossy link for real: under a `tc netem` qdisc, in a QEMU guest whose kernel has it.

    bench/tftp/guest_run.py --build DIR --out DIR [--smp N] [--memory SIZE] [--timeout S]
                            [--no-kvm] [--kernel BZIMAGE | --build-kernel] [COMPARE_ARGS...]

The host's kernel may have no netem qdisc (CONFIG_NET_SCH_NETEM), and may load no modules; the
tiny guest kernel (tests/lib/tiny_kernel.sh) has it, with network namespaces, veth, cgroup v2,
io_uring, high-resolution timers (a 1 ms netem delay is then 1 ms) and SMP. The guest
(tests/lib/qemu_guest.py) boots under KVM with --smp vCPUs (TCG when /dev/kvm is not usable:
then CPU figures mean nothing and times hold only on an idle host: this says so), its root the
host's `/` read-only over 9p, so it runs this tree's compare.py against the host's build
(--build) and the host's dnsmasq;
tmpfs for /tmp and /run, cgroup2 on /sys/fs/cgroup, and a read-write 9p share for the results.
In it: `compare.py --lossy-only --build DIR --out SHARE COMPARE_ARGS...` (e.g. --lossy-runs 5
--lossy-pis 128); then compare.py's tftp_compare.json and .md are copied into --out.

Exit status: compare.py's (0: rpi-tftpd completed every request), 1 when the guest failed,
77 (skip) when qemu, busybox or the kernel is missing outside CI (under CI=true: 1).
"""

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "lib"))
import netlab  # noqa: E402
import qemu_guest  # noqa: E402
import qemu_kernel  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("RPI_NETBOOT_BUILD",
                                                      os.path.join(SOURCE, "build")))
    ap.add_argument("--out", required=True)
    ap.add_argument("--smp", type=int, default=2, help="the guest's vCPUs (default 2)")
    ap.add_argument("--memory", default="2048M", help="the guest's memory (default 2048M)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds for the whole guest run")
    ap.add_argument("--no-kvm", action="store_true", help="TCG even where /dev/kvm is usable")
    ap.add_argument("--kernel", help="a bzImage to boot instead of tiny_kernel.sh's")
    ap.add_argument("--build-kernel", action="store_true",
                    help="build the tiny kernel if it is not cached (some 30-70 min with -j2)")
    args, compare_args = ap.parse_known_args()

    if os.geteuid() != 0:
        netlab.skip_or_fail("needs root (QEMU's 9p export of /, the guest's namespaces)")
    missing = qemu_kernel.missing_tools()
    if missing:
        netlab.skip_or_fail("missing: " + ", ".join(missing))
    try:
        kernel = args.kernel or qemu_kernel.kernel_image(build=args.build_kernel,
                                                         timeout=3 * 3600)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    if not kernel:
        netlab.skip_or_fail("the tiny kernel is not built (tests/lib/tiny_kernel.sh, or "
                            "--build-kernel)")
    build = os.path.abspath(args.build)
    argv = (["/usr/bin/python3", os.path.join(HERE, "compare.py"), "--lossy-only",
             "--build", build, "--out", "/run/job/out"] + compare_args)

    def script(accel):
        guest = (f"QEMU {accel.upper()} guest, {args.smp} vCPUs, {args.memory}"
                 + ("" if accel == "kvm" else " (TCG: an emulated CPU, CPU figures mean "
                    "nothing; times only on an idle host)") + " (bench/tftp/guest_run.py)")
        env = {"PYTHONDONTWRITEBYTECODE": "1", "RPI_NETBOOT_BUILD": build,
               "RPI_NETBOOT_SOURCE": SOURCE, "RPI_NETBOOT_GUEST": guest}
        if os.environ.get("CI"):
            env["CI"] = os.environ["CI"]
        return ("set -u\n"
                + "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
                + "echo \"guest_run: $(uname -r), $(nproc) CPUs, load "
                  "$(cut -d' ' -f1-3 /proc/loadavg)\"\n"
                + "exec " + " ".join(shlex.quote(a) for a in argv) + "\n")
    # The guest's /run/job: a read-write 9p share (QEMU runs as root, security_model=none).
    work = tempfile.mkdtemp(prefix="rpinb-guest-run-", dir="/var/tmp")
    netlab._cleanups.append(lambda: shutil.rmtree(work, ignore_errors=True))
    t0 = time.monotonic()
    print(f"guest_run: booting {kernel}, {args.smp} vCPUs, {args.memory}", flush=True)
    vm = qemu_guest.ScriptGuest(kernel, script, work, smp=args.smp, memory=args.memory,
                                allow_kvm=not args.no_kvm)
    try:
        rc, console = vm.run(args.timeout, progress=lambda line: print("guest: " + line,
                                                                        flush=True))
    except (RuntimeError, TimeoutError) as e:
        print(f"guest_run: {e}", file=sys.stderr)
        return 1
    if vm.accel != "kvm":
        print("guest_run: the guest ran under TCG (an emulated CPU: "
              + (f"KVM failed, {vm.kvm_failure}" if vm.kvm_failure else
                 "/dev/kvm is not usable" if not args.no_kvm else "--no-kvm")
              + "): its CPU figures mean nothing, and its times (set by the timers) hold "
              "only on an idle host",
              file=sys.stderr, flush=True)
    print(f"guest_run: the guest ran {time.monotonic() - t0:.0f} s; compare.py exited {rc}",
          flush=True)
    os.makedirs(args.out, exist_ok=True)
    copied = []
    for name in ("tftp_compare.json", "tftp_compare.md"):
        src = os.path.join(work, "out", name)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(args.out, name))
            copied.append(name)
    with open(os.path.join(args.out, "guest_console.log"), "w") as f:
        f.write(console)
    print(f"guest_run: copied {', '.join(copied) or 'nothing'} into {args.out}", flush=True)
    if rc == 0 and len(copied) < 2:
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
