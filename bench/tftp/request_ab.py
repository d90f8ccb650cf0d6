#!/usr/bin/python3
"""rpi-tftpd's cost per request, A/B: daemon CPU per RRQ and RRQ p50/p99 on the boot set's
request mix with every file cut to a block or two, so that the run is the request path (missing
files, probes ended by "Early terminate", re-fetches; bench/tftp/boot_sets.py) and not the data.

    bench/tftp/request_ab.py --build DIR BINARY [BINARY...] [--pis 128] [--rounds 5] [--reps 3]
        [--scale 1 --initramfs-mb 10 --rounds 1] [--latency-dir DIR]

Each repetition runs every binary in turn (interleaved, so they meet the same load), each in a
fresh daemon after compare.py's warm-up; CPU is the daemon's cgroup time (compare.CpuMeter)
over the requests the load generator made. Loopback in a network namespace made for the run.
--scale 1 serves the boot set at its real sizes (compare.py's bootset workload) instead; with
--latency-dir each run's requests, one line each (the generator's --latency-out), are kept
there as rep<N>-<binary name>-<index>.txt and summarised: which requests make up the slowest 1%.
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


def tail_summary(path):
    """Which requests the slowest 1% are (kind, file, answer), and when in the run they left."""
    rows = []
    with open(path) as f:
        for line in f:
            sent, lat, pi, kind, name, op = line.split()
            rows.append((float(sent), float(lat), kind, name.split("/")[-1], int(op)))
    if not rows:
        return "  no requests"
    start = min(r[0] for r in rows)
    rows.sort(key=lambda r: r[1])
    tail = rows[-max(1, len(rows) // 100):]
    answer = {3: "DATA", 5: "ERROR", 6: "OACK"}
    by = {}
    for r in tail:
        k = f"{r[2]} {r[3]} -> {answer.get(r[4], r[4])}"
        by[k] = by.get(k, 0) + 1
    every = {}
    for r in rows:
        k = f"{r[2]} {r[3]} -> {answer.get(r[4], r[4])}"
        every[k] = every.get(k, 0) + 1
    lines = [f"  slowest {len(tail)} of {len(rows)} ({tail[0][1] / 1000:.2f}-"
             f"{tail[-1][1] / 1000:.2f} ms), sent {(tail[0][0] - start) / 1e6:.3f}-"
             f"{max(r[0] for r in tail) / 1e6 - start / 1e6:.3f} s into the run:"]
    for k, n in sorted(by.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {n:4d} x {k} (of {every[k]})")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=None)
    ap.add_argument("--pis", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=5, help="boots per Pi in a run")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--scale", type=float, default=SCALE, help="of the boot set's real sizes")
    ap.add_argument("--initramfs-mb", type=float, default=10)
    ap.add_argument("--latency-dir", default=None)
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
    work = compare.Workload("bootset", base, tree, True, args.initramfs_mb, args.scale)
    for dirpath, dirnames, filenames in os.walk(base):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    ns = netlab.Netns("tftprq")
    bench = compare.Bench(None, build, gen, base, tree)
    addr, sources = compare.LOOP_SERVER, compare.LOOP_SOURCES
    warm = ["--file", ",".join(f"{s}/warm.bin" for s in compare.SERIALS)]
    if args.latency_dir:
        os.makedirs(args.latency_dir, exist_ok=True)
    for rep in range(args.reps):
        for index, binary in enumerate(args.binaries):
            extra = []
            lat = None
            if args.latency_dir:
                lat = os.path.join(args.latency_dir,
                                   f"rep{rep + 1}-{os.path.basename(binary)}-{index}.txt")
                extra = ["--latency-out", lat]
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
                r = bench.loadgen(ns, addr, sources, args.pis, work.args, args.rounds, 300, extra)
                cpu1 = meter.read()
            finally:
                proc.stop()
                if meter:
                    meter.close()
            n = r["rrq_count"]
            print(f"rep {rep + 1} {binary}: {n} RRQs, {(cpu1[0] - cpu0[0]) * 1e6 / n:.1f} us "
                  f"CPU/RRQ, p50 {r['rrq_p50_us'] / 1000:.2f} ms, p99 "
                  f"{r['rrq_p99_us'] / 1000:.2f} ms, {r['failures']} failed, load {load0:.1f}, "
                  f"{r['bytes'] / 1e6:.0f} MB, {(cpu1[0] - cpu0[0]) * 1e3 / max(r['bytes'] / 1e6, 1e-9):.2f}"
                  " ms CPU/MB", flush=True)
            if lat:
                print(tail_summary(lat), flush=True)
    ns.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
