#!/usr/bin/python3
"""rpi-tftpd's cost per request, A/B: daemon CPU per RRQ and RRQ p50/p99 on the boot set's
request mix with every file cut to a block or two, so that the run is the request path (missing
files, probes ended by "Early terminate", re-fetches; bench/tftp/boot_sets.py) and not the data.

    bench/tftp/request_ab.py --build DIR BINARY [BINARY...] [--pis 128] [--rounds 5] [--reps 3]

Each repetition runs every binary in turn (interleaved, so they meet the same load), each in a
fresh daemon after compare.py's warm-up; CPU is the daemon's cgroup time (compare.CpuMeter)
over the requests the load generator made. Loopback in a network namespace made for the run.
"""

import argparse
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402
import compare  # noqa: E402
from benchlib import netlab  # noqa: E402

SCALE = 0.0001  # of the real sizes: every file one or two blocks of 1468


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=None)
    ap.add_argument("--pis", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=5, help="boots per Pi in a run")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    if os.geteuid() != 0:
        netlab.skip_or_fail("needs root (network namespace, port 69)")
    build = benchlib.build_dir(args.build)
    os.environ["RPI_NETBOOT_BUILD"] = build
    gen = benchlib.find_binary(build, "bench/tftp/rpi-tftp-loadgen")
    if not gen:
        benchlib.fail("rpi-tftp-loadgen not built (target rpi-tftp-loadgen)")
    base = tempfile.mkdtemp(prefix="rpinb-tftp-rq-")
    os.chmod(base, 0o755)  # the daemon drops to nobody
    netlab._cleanups.append(lambda: shutil.rmtree(base, ignore_errors=True))
    tree = os.path.join(base, "tree")
    for serial in compare.SERIALS:
        os.makedirs(os.path.join(tree, serial))
        with open(os.path.join(tree, serial, "warm.bin"), "wb") as f:
            f.write(os.urandom(compare.WARM_SIZE))
    work = compare.Workload("bootset", base, tree, True, 10, SCALE)
    for dirpath, dirnames, filenames in os.walk(base):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    ns = netlab.Netns("tftprq")
    bench = compare.Bench(None, build, gen, base, tree)
    addr, sources = compare.LOOP_SERVER, compare.LOOP_SOURCES
    warm = ["--file", ",".join(f"{s}/warm.bin" for s in compare.SERIALS)]
    for rep in range(args.reps):
        for binary in args.binaries:
            argv = [binary, "--config", "/dev/null", "--root", tree, "--listen", f"{addr}:69"]
            proc = netlab.Proc(argv, netns=ns.name, name="rpi-tftpd",
                               log=os.path.join(base, "daemon.log"))
            meter = None
            try:
                ns.wait_udp(proc, addr, 69)
                bench.loadgen(ns, addr, sources, len(compare.SERIALS), work.args, 1, 60)
                bench.loadgen(ns, addr, sources, args.pis, warm, 1, 60)
                meter = compare.CpuMeter(proc.pid)
                load0, cpu0 = compare.loadavg(), meter.read()
                r = bench.loadgen(ns, addr, sources, args.pis, work.args, args.rounds, 300)
                cpu1 = meter.read()
            finally:
                proc.stop()
                if meter:
                    meter.close()
            n = r["rrq_count"]
            print(f"rep {rep + 1} {binary}: {n} RRQs, {(cpu1[0] - cpu0[0]) * 1e6 / n:.1f} us "
                  f"CPU/RRQ, p50 {r['rrq_p50_us'] / 1000:.2f} ms, p99 "
                  f"{r['rrq_p99_us'] / 1000:.2f} ms, {r['failures']} failed, load {load0:.1f}",
                  flush=True)
    ns.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
