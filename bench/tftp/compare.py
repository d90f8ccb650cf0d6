#!/usr/bin/python3
"""rpi-tftpd side by side with tftpd-hpa, dnsmasq and atftpd.

    bench/tftp/compare.py --build DIR --out DIR [--smoke] [--runs N] [--servers LIST]

Every server serves the same tree on 127.0.0.1:69 inside a network namespace made for the run
(dnsmasq cannot listen on another port), started in the foreground and stopped by PID; none
runs as a system service. rpi-tftp-loadgen (bench/tftp/loadgen.cpp) then plays N Pis at once,
each with its own 127.2.x.y source address: probe RRQ with tsize (+ blksize), early terminate,
re-request from a new port, whole file (docs/protocol/tftp.md). Its I/O is batched (recvmmsg and
sendmmsg on a pool of shared sockets) so that it needs far less CPU per MB than the servers.

Measured per (server, Pis, blksize), median of --runs runs (servers interleaved per run):
aggregate MB/s (10^6 bytes of file data received / wall time), server CPU ms per MB (cpuacct
cgroup of the server and every process it forks, else /proc utime+stime of it and its reaped
children), RRQ latency p50/p99 (RRQ to first answer, probes and fetches, retries included),
and the load generator's own CPU per MB and share of a core: near 1.0, the generator rather
than the server limited the run.

Writes OUT/tftp_compare.json (rows as bench/report.py reads them) and OUT/tftp_compare.md.
--smoke: a 64 KiB file, 1 and 4 Pis, blksize 1468, one run (ctest bench_smoke_tftp).
Exit status: 0 when rpi-tftpd completed every fetch of every run, else 1.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import benchlib  # noqa: E402
from benchlib import netlab  # noqa: E402

SERIALS = ["bf9fed6f", "1a2b3c4d", "e45f0198", "0badc0de"]
CGROUP_ROOT = "/sys/fs/cgroup/cpuacct"
WARM_SIZE = 100  # bytes: a one-block file for the warm-up burst

# rpi-tftpd's design targets, against dnsmasq at 128 Pis with blksize 1468.
TARGET_THROUGHPUT_X = 1.5
TARGET_CPU_X = 0.5
TARGET_P99_MS = 10.0
# The generator's share of one core above which it, not the server, may have set the pace.
LOADGEN_LIMIT_SHARE = 0.9


HERE = os.path.dirname(os.path.abspath(__file__))


def atftpd_binary(build, fetch):
    """atftpd conflicts with tftpd-hpa in Debian: fetch-atftpd.sh unpacks it into the build."""
    unpacked = os.path.join(build, "bench", "tftp", "atftpd")
    path = os.path.join(unpacked, "usr", "sbin", "atftpd")
    if not os.path.exists(path) and fetch:
        netlab.run([os.path.join(HERE, "fetch-atftpd.sh"), unpacked], check=False, timeout=300)
    if os.path.exists(path):
        return path
    return "/usr/sbin/atftpd"  # installed by hand instead (tftpd-hpa then is not)


def servers(build, tree, log, fetch):
    """name -> (argv, why-not) for every server; argv None when it is not installed."""
    tftpd = benchlib.find_binary(build, "tftpd/rpi-tftpd")
    return {
        # Defaults otherwise (info logging: one line per transfer).
        "rpi-tftpd": ([tftpd, "--config", "/dev/null", "--root", tree, "--listen",
                       "127.0.0.1:69"] if tftpd else None, "not built"),
        # -L: foreground; -s: chroot into the tree; forks one process per request.
        "tftpd-hpa": (["/usr/sbin/in.tftpd", "--foreground", "--listen", "--address", "127.0.0.1:69", "--user", "nobody", "--secure",
                       tree], "package tftpd-hpa not installed"),
        # --tftp-max raised from its default of 50 so that 128 Pis are not refused outright.
        "dnsmasq": (["/usr/sbin/dnsmasq", "-k", "--conf-file=/dev/null", "--port=0",
                     "--enable-tftp", f"--tftp-root={tree}", "--listen-address=127.0.0.1",
                     "--bind-interfaces", "--tftp-max=1000", "--pid-file=", "--user=nobody",
                     f"--log-facility={log}"], "package dnsmasq-base not installed"),
        # A thread per transfer; --maxthread raised from 100 for the same reason.
        "atftpd": ([atftpd_binary(build, fetch), "--daemon", "--no-fork", "--port", "69",
                    "--bind-address", "127.0.0.1", "--maxthread", "1000", "--user",
                    "nobody.nogroup", "--logfile", log, tree],
                   "atftpd not unpacked (bench/tftp/fetch-atftpd.sh BUILD/bench/tftp/atftpd)"),
    }


class CpuMeter:
    """CPU of a server and everything it forks: a cpuacct cgroup when available."""

    def __init__(self, pid):
        self.pid = pid
        self.path = None
        if os.path.isdir(CGROUP_ROOT):
            path = os.path.join(CGROUP_ROOT, f"rpinb-tftp-bench-{os.getpid()}-{pid}")
            try:
                os.mkdir(path)
                with open(os.path.join(path, "cgroup.procs"), "w") as f:
                    f.write(str(pid))
                self.path = path
            except OSError:
                self._remove(path)

    def user_system(self):
        """(user, system) seconds so far: where the CPU goes (kernel UDP path vs daemon)."""
        try:
            if self.path:
                with open(os.path.join(self.path, "cpuacct.stat")) as f:
                    v = dict(line.split() for line in f)
                return int(v["user"]) / benchlib.CLK_TCK, int(v["system"]) / benchlib.CLK_TCK
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return ((int(fields[11]) + int(fields[13])) / benchlib.CLK_TCK,
                    (int(fields[12]) + int(fields[14])) / benchlib.CLK_TCK)
        except (OSError, KeyError, ValueError):
            return None, None

    def read(self):
        if self.path:
            with open(os.path.join(self.path, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return sum(int(x) for x in fields[11:15]) / benchlib.CLK_TCK  # utime..cstime

    @staticmethod
    def _remove(path):
        for _ in range(50):  # forked children may take a moment to go
            try:
                os.rmdir(path)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.1)

    def close(self):
        if self.path:
            self._remove(self.path)
            self.path = None


def make_tree(size):
    base = tempfile.mkdtemp(prefix="rpinb-tftp-bench-")
    os.chmod(base, 0o755)  # the anchors drop to nobody
    tree = os.path.join(base, "tree")
    data = os.urandom(size)
    for serial in SERIALS:
        os.makedirs(os.path.join(tree, serial))
        with open(os.path.join(tree, serial, "kernel8.img"), "wb") as f:
            f.write(data)
        with open(os.path.join(tree, serial, "warm.bin"), "wb") as f:
            f.write(data[:WARM_SIZE])
    return base, tree


def loadgen(ns, binary, pis, blksize, rounds, size, max_seconds, name="kernel8.img"):
    files = ",".join(f"{s}/{name}" for s in SERIALS)
    r = ns.exec([binary, "--server", "127.0.0.1", "--port", "69", "--pis", str(pis),
                 "--blksize", str(blksize), "--file", files, "--rounds", str(rounds),
                 "--expect-size", str(size), "--distinct-sources", "1",
                 "--max-seconds", str(max_seconds)], check=False, timeout=max_seconds + 30)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(f"loadgen failed: {r.stdout} {r.stderr}")


def one_run(ns, name, argv, gen, base, pis, blksize, rounds, size, max_seconds):
    log = os.path.join(base, f"{name}.log")
    proc = netlab.Proc(argv, netns=ns.name, name=name, log=log + ".out")
    meter = None
    try:
        ns.wait_udp(proc, "127.0.0.1", 69)
        # Warm-up, the same for every server, so that the run measures a daemon that has been
        # up for a while (as in production) rather than its first-ever burst: every file read
        # once, then a burst of as many Pis as measured fetching a one-block file.
        loadgen(ns, gen, len(SERIALS), blksize, 1, size, 60)
        loadgen(ns, gen, pis, blksize, 1, WARM_SIZE, 60, name="warm.bin")
        meter = CpuMeter(proc.pid)
        cpu0, us0 = meter.read(), meter.user_system()
        result = loadgen(ns, gen, pis, blksize, rounds, size, max_seconds)
        cpu1, us1 = meter.read(), meter.user_system()
        alive = proc.alive()
    finally:
        proc.stop()
        if meter:
            meter.close()
    mb = result["bytes"] / 1e6
    cpu = (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None
    gen_cpu = result.get("cpu_user_s", 0) + result.get("cpu_system_s", 0)
    user_share = None
    if None not in us0 + us1 and (us1[0] + us1[1]) - (us0[0] + us0[1]) > 0:
        user_share = (us1[0] - us0[0]) / ((us1[0] + us1[1]) - (us0[0] + us0[1]))
    return {
        "mb_per_s": mb / result["seconds"] if result["seconds"] > 0 else None,
        "cpu_ms_per_mb": cpu * 1000 / mb if cpu is not None and mb > 0 else None,
        "rrq_p50_ms": result["rrq_p50_us"] / 1000,
        "rrq_p99_ms": result["rrq_p99_us"] / 1000,
        "failures": result["failures"] + (0 if alive else 1),
        "retransmits": result["retransmits"],
        "duplicates": result["duplicates"],
        "errors": result["errors"],
        "seconds": result["seconds"],
        "cpu_user_share": user_share,
        # The load generator's own CPU: near a full core per second of run, it (not the server)
        # may be what limits MB/s.
        "loadgen_cpu_ms_per_mb": gen_cpu * 1000 / mb if mb > 0 else None,
        "loadgen_cpu_share": gen_cpu / result["seconds"] if result["seconds"] > 0 else None,
    }


def median_row(name, pis, blksize, runs):
    row = {"server": name, "pis": pis, "blksize": blksize, "runs": len(runs)}
    for key in ("mb_per_s", "cpu_ms_per_mb", "rrq_p50_ms", "rrq_p99_ms", "seconds",
                "cpu_user_share", "loadgen_cpu_ms_per_mb", "loadgen_cpu_share"):
        value = benchlib.median([r[key] for r in runs])
        row[key] = round(value, 3) if value is not None else None
    row["failures"] = sum(r["failures"] for r in runs)
    row["retransmits"] = sum(r["retransmits"] for r in runs)
    row["duplicates"] = sum(r["duplicates"] for r in runs)
    errors = {}
    for r in runs:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    row["errors"] = errors
    return row


def targets(rows):
    def find(server):
        return next((r for r in rows if r["server"] == server and r["pis"] == 128 and
                     r["blksize"] == 1468), None)
    ours, dnsmasq = find("rpi-tftpd"), find("dnsmasq")
    if not ours:
        return None
    t = {"rrq_p99_ms": ours["rrq_p99_ms"], "p99_met": ours["rrq_p99_ms"] < TARGET_P99_MS}
    if dnsmasq and dnsmasq["mb_per_s"] and dnsmasq["cpu_ms_per_mb"] and ours["cpu_ms_per_mb"]:
        t["throughput_x_dnsmasq"] = round(ours["mb_per_s"] / dnsmasq["mb_per_s"], 2)
        t["throughput_met"] = t["throughput_x_dnsmasq"] >= TARGET_THROUGHPUT_X
        t["cpu_x_dnsmasq"] = round(ours["cpu_ms_per_mb"] / dnsmasq["cpu_ms_per_mb"], 2)
        t["cpu_met"] = t["cpu_x_dnsmasq"] <= TARGET_CPU_X
    return t


def markdown(data):
    p = data["parameters"]
    m = data["machine"]
    lines = ["## TFTP servers side by side (bench/tftp/compare.py)", "",
             f"{p['runs']} run(s), median; each Pi fetches a {p['file_kib']} KiB file "
             f"({p['rounds']}) after a tsize probe; loopback inside a network namespace. "
             "MB = 10^6 bytes of file data; CPU = server CPU (cpuacct cgroup: the daemon and "
             "every process it forks) per MB; RRQ latency = request to first answer (kernel "
             "timestamps). The client re-sends after 1 s, 5 times, then counts the fetch as "
             "failed. Every server gets the same warm-up before each run. Loadgen CPU = the "
             "load generator's own CPU per MB (and share of one core: near 1, it was the limit).",
             "",
             f"Machine: {m.get('Model name', '?')}, {m.get('nproc')} CPUs, "
             f"{m.get('memory_mib', '?')} MiB, kernel {m.get('kernel')}; load average "
             f"{data['loadavg_before']} before, {data['loadavg_after']} after"
             " (shared with other jobs: absolute numbers are noisy, ratios less so).", "",
             "| server | Pis | blksize | MB/s | CPU ms/MB | RRQ p50 ms | RRQ p99 ms | failed "
             "| loadgen CPU ms/MB (share of a core) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def num(v, digits=1):
        return "n/a" if v is None else f"{v:.{digits}f}"
    for r in data["rows"]:
        lines.append(f"| {r['server']} | {r['pis']} | {r['blksize']} | {num(r['mb_per_s'])} | "
                     f"{num(r['cpu_ms_per_mb'], 2)} | {num(r['rrq_p50_ms'], 2)} | "
                     f"{num(r['rrq_p99_ms'], 2)} | {r['failures']} | "
                     f"{num(r.get('loadgen_cpu_ms_per_mb'), 2)} "
                     f"({num(r.get('loadgen_cpu_share'), 2)}) |")
    for k, why in data.get("skipped", {}).items():
        lines.append(f"- Not measured: {k} ({why}).")
    limited = [f"{r['server']} at {r['pis']} Pis, blksize {r['blksize']}" for r in data["rows"]
               if (r.get("loadgen_cpu_share") or 0) >= LOADGEN_LIMIT_SHARE]
    if limited:
        lines.append(f"- The load generator used >= {LOADGEN_LIMIT_SHARE:g} of a core for "
                     f"{'; '.join(limited)}: there MB/s is a lower bound for the server.")
    t = data.get("targets")
    if t:
        lines.append("")
        lines.append("Targets at 128 Pis, blksize 1468:")
        if "throughput_x_dnsmasq" in t:
            lines.append(f"- throughput >= {TARGET_THROUGHPUT_X}x dnsmasq: "
                         f"{t['throughput_x_dnsmasq']}x, **{'met' if t['throughput_met'] else 'not met'}**")
            lines.append(f"- CPU per MB <= {TARGET_CPU_X}x dnsmasq: {t['cpu_x_dnsmasq']}x, "
                         f"**{'met' if t['cpu_met'] else 'not met'}**")
        lines.append(f"- RRQ p99 < {TARGET_P99_MS:g} ms: {t['rrq_p99_ms']:.2f} ms, "
                     f"**{'met' if t['p99_met'] else 'not met'}**")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--servers", default="rpi-tftpd,tftpd-hpa,dnsmasq,atftpd")
    ap.add_argument("--pis", default="1,16,128", help="simulated Pis per case (full mode)")
    ap.add_argument("--blksizes", default="512,1468", help="block sizes (full mode)")
    args = ap.parse_args()

    if os.geteuid() != 0:
        netlab.skip_or_fail("needs root (network namespace, port 69)")
    build = benchlib.build_dir(args.build)
    gen = benchlib.find_binary(build, "bench/tftp/rpi-tftp-loadgen")
    if not gen:
        benchlib.fail("rpi-tftp-loadgen not built (target rpi-tftp-loadgen)")
    benchlib.require(["ss", "ip"])
    if args.smoke:
        size, cases, runs = 64 << 10, [(1, 1468), (4, 1468)], args.runs or 1
        rounds_for = {1: 2, 4: 1}
        max_seconds = 60
    else:
        size, runs = 1 << 20, args.runs or 3
        cases = [(int(p), int(b)) for p in args.pis.split(",") for b in args.blksizes.split(",")]
        # 16, 32 and 128 MiB per run at 1, 16 and 128 Pis; one file each beyond.
        rounds_for = {p: {1: 16, 16: 2}.get(p, 1) for p, _ in cases}
        max_seconds = 120

    base, tree = make_tree(size)
    netlab._cleanups.append(lambda: shutil.rmtree(base, ignore_errors=True))
    ns = netlab.Netns("tftpbench")
    # tftpd-hpa resolves its address with AI_ADDRCONFIG, which fails (exit 66) in a namespace
    # holding nothing but loopback: give the namespace a TEST-NET address on an idle veth link.
    peer = netlab.Netns("tftpbench-peer")
    netlab.link(ns, "192.0.2.1/24", peer, "192.0.2.2/24")
    chosen = [s for s in args.servers.split(",") if s]
    table = servers(build, tree, os.path.join(base, "server.log"),
                    fetch="atftpd" in chosen and not args.smoke)
    available, skipped = [], {}
    for name in chosen:
        if name not in table:
            benchlib.fail(f"unknown server {name}")
        argv, why = table[name]
        if argv and os.path.exists(argv[0]):
            available.append(name)
        else:
            skipped[name] = why
    if "rpi-tftpd" not in available:
        benchlib.fail("rpi-tftpd not built")

    loadavg_before = open("/proc/loadavg").read().split()[0]
    machine = benchlib.machine()  # before the runs: its load average is the starting one
    results = {}
    t0 = time.monotonic()
    for run in range(runs):
        for pis, blksize in cases:
            for name in available:
                r = one_run(ns, name, table[name][0], gen, base, pis, blksize, rounds_for[pis],
                            size, max_seconds)
                results.setdefault((name, pis, blksize), []).append(r)
                print(f"run {run + 1}/{runs} {name:10} {pis:3} Pis blksize {blksize:4}: "
                      f"{r['mb_per_s'] or 0:7.1f} MB/s, {r['cpu_ms_per_mb'] or 0:6.2f} ms/MB, "
                      f"p50 {r['rrq_p50_ms']:.2f} p99 {r['rrq_p99_ms']:.2f} ms, "
                      f"{r['failures']} failed, user share {r['cpu_user_share'] or 0:.2f}, "
                      f"loadgen {r['loadgen_cpu_ms_per_mb'] or 0:.2f} ms/MB "
                      f"({r['loadgen_cpu_share'] or 0:.2f} of a core)",
                      flush=True)
    rows = [median_row(name, pis, blksize, results[(name, pis, blksize)])
            for pis, blksize in cases for name in available]
    data = {
        "parameters": {"runs": runs, "file_kib": size >> 10, "smoke": args.smoke,
                       "rounds": ", ".join(f"{rounds_for[p]} per Pi at {p} Pis"
                                           for p in sorted(rounds_for)),
                       "cases": cases, "servers": available},
        "rows": rows,
        "skipped": skipped,
        "targets": targets(rows),
        "loadavg_before": loadavg_before,
        "loadavg_after": open("/proc/loadavg").read().split()[0],
        "elapsed_s": round(time.monotonic() - t0, 1),
    }
    data["machine"] = machine
    os.makedirs(args.out, exist_ok=True)
    path = benchlib.write_result(args.out, "tftp_compare", data)
    md = os.path.join(args.out, "tftp_compare.md")
    with open(md, "w") as f:
        f.write(markdown(data))
    print(open(md).read())
    print(f"wrote {path} and {md}")
    ours_failed = sum(r["failures"] for r in rows if r["server"] == "rpi-tftpd")
    if ours_failed:
        print(f"FAIL: rpi-tftpd failed {ours_failed} fetches", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
