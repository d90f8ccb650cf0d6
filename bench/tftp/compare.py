#!/usr/bin/python3
"""rpi-tftpd side by side with dnsmasq, tftpd-hpa, atftpd and a floor server.

    bench/tftp/compare.py --build DIR --out DIR [--smoke] [--runs N] [--servers LIST]
                          [--workloads 1mb,bootset] [--pis LIST] [--initramfs-mb N]
                          [--lossy-runs N] [--lossy-servers LIST] [--lossy-pis N]

Built to tell the truth on a shared machine, where wall time measures the other jobs as much
as the server:
- The headline is the server's CPU per MB of file data, read from a cgroup made for each
  server process (cgroup v2 cpu.stat usage_usec; the v1 cpuacct controller where there is no
  cgroup2 mount; /proc of the server and its reaped children as the last resort): it counts
  the daemon and every process it forks, and not the other jobs.
- Servers are interleaved in every run (the order rotates from run to run), --runs runs (5 by
  default), and every figure is shown as median and min-max over the runs. The load average
  (/proc/loadavg) is recorded before and after each server's run.
- A comparison whose min-max ranges overlap is reported "inconclusive", not as a ratio.
- The floor server (bench/tftp/floor_server.cpp: receive ACK, send the next block from
  memory, nothing else, batched) shows what the kernel's UDP path alone costs: each server's
  CPU per MB is also given as a multiple of the floor's.

Workloads (each Pi a source address of its own, requests from new ports as the Pi's, batched
generator bench/tftp/loadgen.cpp):
- 1mb: each Pi probes then fetches a 1 MB file (rounds so that each run moves ~128 MB).
- bootset: half the Pis boot as a Pi 4, half as a Pi 5, at real file sizes with the Pi's
  probes, missing files and early terminates (bench/tftp/boot_sets.py; --initramfs-mb).
Both on loopback inside a network namespace made for the run (servers on 127.0.0.1:69, the
Pis on 127.2.x.y); every process is started in the foreground and stopped by PID.

Loss and delay (--lossy-runs, 0 to skip): the server in one namespace, the Pis in another,
joined by a veth pair (192.0.2.0/24, Pis at 198.51.100.10 and up), with a netem qdisc on both
ends (delay 1 ms, loss 0.5%). Kernels built without netem drop the packets in the kernel all
the same, with nftables (nft(8) "numgen random mod 1000 < 5 drop" on each namespace's input
from the veth: 0.5% each way), and the load generator holds what it sends for the 2 ms round
trip (no qdisc can delay there); without nft either, both are emulated inside the load
generator (--loss 0.005 --delay-ms 2). The report says which. Every Pi boots
(bootset) once; reported: boots completed, time to the last Pi's last block, and the
server's re-sent packets per MB (datagrams the server sent, from its namespace's UDP
counters, less those the Pis needed), next to the Pis' own timeouts. Under netem the report
also gives the link's round trip (ping) and the qdiscs' drops (tc -s qdisc). --lossy-scale F:
the boot set's files at F times their real sizes; --lossy-only: the lossy part alone
(bench/tftp/guest_run.py runs it so in a QEMU guest whose kernel has netem).

Retransmits are counted on every run: server datagrams sent (UDP OutDatagrams of the
namespace, less the generator's own) minus the answers the Pis needed (each request's first
answer and each new DATA block). On a lossless run anything above 0 is a spurious re-send.

Run time with the defaults: about 15 minutes for the loopback cases on a quiet 2-core machine
(the boot set at 128 Pis moves 3.5 GB per server and run) and 2 x 2-3 minutes per lossy server
(each lost block costs a timeout: at 0.5% loss a 10 MB boot loses ~70 of them).

Writes OUT/tftp_compare.json and OUT/tftp_compare.md (bench/report.py includes the latter).
--smoke: tiny files, 4 Pis, 2 runs, rpi-tftpd, dnsmasq and the floor, one lossy run (ctest
bench_smoke_tftp; under a minute). Exit status: 0 when rpi-tftpd completed every request of
every run, else 1.
"""

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402
import boot_sets  # noqa: E402
from benchlib import netlab  # noqa: E402

SERIALS = ["bf9fed6f", "1a2b3c4d", "e45f0198", "0badc0de"]
WARM_SIZE = 100  # bytes: a one-block file for the warm-up burst
ONE_MB = 1_000_000
BLKSIZE = 1468  # Pi 4 EEPROM >= 2022-10 and Pi 5 (docs/protocol/tftp.md)
LOOP_SERVER = "127.0.0.1"
LOOP_SOURCES = "127.2.0.1"
# The lossy link: TEST-NET addresses only.
LOSSY_SERVER, LOSSY_PEER, LOSSY_SOURCES = "192.0.2.1", "192.0.2.2", "198.51.100.10"
NETEM = ["delay", "1ms", "loss", "0.5%"]  # per direction
EMULATED = ["--loss", "0.005", "--delay-ms", "2"]  # the same, inside the generator
DELAY_ONLY = ["--delay-ms", "2"]  # the round trip, when nftables drops the packets
LOSS_PER_MILLE = 5  # nftables: numgen random mod 1000 < 5, per direction
NFT_TABLE = "rpinb_tftp_loss"
GIGABIT_PAYLOAD_MB_S = 118  # TFTP payload a 1 GbE link carries at blksize 1468

# Issue goals for rpi-tftpd, at 32 and 128 Pis on both workloads.
GOAL_CPU_X_DNSMASQ = 0.5
GOAL_CPU_X_FLOOR = 1.3
GOAL_P99_MS = 5.0
# The generator's share of one core above which it, not the server, may have set the pace.
LOADGEN_LIMIT_SHARE = 0.9


def atftpd_binary(build, fetch):
    """atftpd conflicts with tftpd-hpa in Debian: fetch-atftpd.sh unpacks it into the build."""
    unpacked = os.path.join(build, "bench", "tftp", "atftpd")
    path = os.path.join(unpacked, "usr", "sbin", "atftpd")
    if not os.path.exists(path) and fetch:
        netlab.run([os.path.join(HERE, "fetch-atftpd.sh"), unpacked], check=False, timeout=300)
    if os.path.exists(path):
        return path
    return "/usr/sbin/atftpd"  # installed by hand instead (tftpd-hpa then is not)


def servers(build, tree, log, addr, fetch, base_tftpd=None):
    """name -> (argv, why-not) for every server listening on addr:69."""
    tftpd = benchlib.find_binary(build, "tftpd/rpi-tftpd")
    floor = benchlib.find_binary(build, "bench/tftp/rpi-tftp-floor")
    return {
        # Another build of the daemon (--base-tftpd), run like rpi-tftpd: an A/B interleaved
        # in the same runs, so that both meet the same load.
        "rpi-tftpd-base": ([base_tftpd, "--config", "/dev/null", "--root", tree, "--listen",
                            f"{addr}:69"] if base_tftpd else None, "no --base-tftpd given"),
        # Defaults otherwise (info logging: one line per transfer).
        "rpi-tftpd": ([tftpd, "--config", "/dev/null", "--root", tree, "--listen",
                       f"{addr}:69"] if tftpd else None, "not built"),
        # The same daemon forced onto its epoll engine (the fallback when io_uring is refused).
        "rpi-tftpd-epoll": (["/usr/bin/env", "RPI_TFTPD_ENGINE=epoll", tftpd, "--config",
                             "/dev/null", "--root", tree, "--listen", f"{addr}:69"]
                            if tftpd else None, "not built"),
        "floor": ([floor, "--listen", f"{addr}:69", "--root", tree] if floor else None,
                  "not built (target rpi-tftp-floor)"),
        # --tftp-max raised from its default of 50 so that 128 Pis are not refused outright.
        "dnsmasq": (["/usr/sbin/dnsmasq", "-k", "--conf-file=/dev/null", "--port=0",
                     "--enable-tftp", f"--tftp-root={tree}", f"--listen-address={addr}",
                     "--bind-interfaces", "--tftp-max=1000", "--pid-file=", "--user=nobody",
                     f"--log-facility={log}"], "package dnsmasq-base not installed"),
        # Foreground; --secure: chroot into the tree; forks one process per request.
        "tftpd-hpa": (["/usr/sbin/in.tftpd", "--foreground", "--listen", "--address",
                       f"{addr}:69", "--user", "nobody", "--secure", tree],
                      "package tftpd-hpa not installed"),
        # A thread per transfer; --maxthread raised from 100 for the same reason.
        "atftpd": ([atftpd_binary(build, fetch), "--daemon", "--no-fork", "--port", "69",
                    "--bind-address", addr, "--maxthread", "1000", "--user",
                    "nobody.nogroup", "--logfile", log, tree],
                   "atftpd not unpacked (bench/tftp/fetch-atftpd.sh BUILD/bench/tftp/atftpd)"),
    }


def cgroup2_root():
    """The cgroup2 mount (unified hierarchy; /sys/fs/cgroup on a pure v2 system), or None."""
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 2 and fields[2] == "cgroup2":
                    return fields[1]
    except OSError:
        pass
    return None


class CpuMeter:
    """CPU of a server and everything it forks, from a cgroup made for it."""

    V1_ROOT = "/sys/fs/cgroup/cpuacct"

    def __init__(self, pid):
        self.pid = pid
        self.path = None
        self.kind = "proc"
        name = f"rpinb-tftp-bench-{os.getpid()}-{pid}"
        for kind, root in (("cgroup2", cgroup2_root()), ("cpuacct", self.V1_ROOT)):
            if not root or not os.path.isdir(root):
                continue
            path = os.path.join(root, name)
            try:
                os.mkdir(path)
                with open(os.path.join(path, "cgroup.procs"), "w") as f:
                    f.write(str(pid))
                self.path, self.kind = path, kind
                return
            except OSError:
                self._remove(path)

    def read(self):
        """(total, user, system) CPU seconds so far, or (None, None, None)."""
        try:
            if self.kind == "cgroup2":
                with open(os.path.join(self.path, "cpu.stat")) as f:
                    v = dict(line.split() for line in f if line.strip())
                return (int(v["usage_usec"]) / 1e6, int(v["user_usec"]) / 1e6,
                        int(v["system_usec"]) / 1e6)
            if self.kind == "cpuacct":
                with open(os.path.join(self.path, "cpuacct.usage")) as f:
                    total = int(f.read()) / 1e9
                with open(os.path.join(self.path, "cpuacct.stat")) as f:
                    v = dict(line.split() for line in f)
                return (total, int(v["user"]) / benchlib.CLK_TCK,
                        int(v["system"]) / benchlib.CLK_TCK)
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user = (int(fields[11]) + int(fields[13])) / benchlib.CLK_TCK
            system = (int(fields[12]) + int(fields[14])) / benchlib.CLK_TCK
            return user + system, user, system
        except (OSError, KeyError, ValueError, IndexError):
            return None, None, None

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


def kernel_option(name):
    """'y', 'n' or None (unknown) for a kernel build option, from /proc/config.gz or /boot."""
    for path, opener in (("/proc/config.gz", gzip.open),
                         (f"/boot/config-{platform.release()}", open)):
        try:
            with opener(path, "rt") as f:
                for line in f:
                    if line.startswith(f"{name}="):
                        return line.split("=", 1)[1].strip()
            return "n"
        except OSError:
            continue
    return None


def softirq_seconds():
    """(softirq time of the whole machine from /proc/stat, CPU of the ksoftirqd threads), other
    jobs' included: what ksoftirqd does is in no server's cgroup."""
    total = ksoftirqd = 0.0
    try:
        with open("/proc/stat") as f:
            total = int(f.readline().split()[7]) / benchlib.CLK_TCK
    except (OSError, IndexError, ValueError):
        pass
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        if "(ksoftirqd/" in text:
            fields = text.rsplit(")", 1)[1].split()
            ksoftirqd += (int(fields[11]) + int(fields[12])) / benchlib.CLK_TCK
    return total, ksoftirqd


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def udp_counters(ns):
    """The namespace's UDP counters (/proc/net/snmp is per network namespace)."""
    out = ns.exec(["cat", "/proc/net/snmp"], check=False).stdout.splitlines()
    udp = [line.split()[1:] for line in out if line.startswith("Udp:")]
    if len(udp) < 2:
        return {}
    return {k: int(v) for k, v in zip(udp[0], udp[1])}


class Workload:
    """What the Pis of one case fetch: loadgen arguments and the files behind them."""

    def __init__(self, name, base, tree, smoke, initramfs_mb, smoke_scale=0.01):
        self.name = name
        self.files = []
        data = os.urandom(max(ONE_MB, int(initramfs_mb * 1e6), 10 * ONE_MB))
        if name == "1mb":
            self.size = 64 << 10 if smoke else ONE_MB
            for serial in SERIALS:
                path = os.path.join(tree, serial, "file1m.bin")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data[:self.size])
            self.args = ["--file", ",".join(f"{s}/file1m.bin" for s in SERIALS),
                         "--expect-size", str(self.size)]
            what = "1 MB" if self.size == ONE_MB else f"{self.size} byte (smoke)"
            self.describe = f"each Pi probes, then fetches, a {what} file"
        elif name == "bootset":
            self.sizes = boot_sets.sizes(initramfs_mb, smoke_scale if smoke else 1.0)
            plans = []
            for i, serial in enumerate(SERIALS):
                model = boot_sets.model_of(i)
                boot_sets.write_tree(tree, serial, model, self.sizes, data)
                path = os.path.join(base, f"plan-{serial}.txt")
                with open(path, "w") as f:
                    f.write(boot_sets.plan(serial, model, self.sizes))
                plans.append(path)
            self.args = ["--plan", ",".join(plans)]
            per = {m: boot_sets.boot_bytes(m, self.sizes) for m in ("pi4", "pi5")}
            self.describe = (f"half the Pis boot as a Pi 4 ({per['pi4'] / 1e6:.1f} MB), half as "
                             f"a Pi 5 ({per['pi5'] / 1e6:.1f} MB): probes, missing files, early "
                             "terminates and re-fetches in the firmware's order "
                             f"(bench/tftp/boot_sets.py; initramfs {initramfs_mb:g} MB"
                             + (f", smoke: {smoke_scale:.1%} sizes" if smoke else "") + ")")
        else:
            raise ValueError(name)

    def rounds(self, pis):
        if self.name == "1mb":
            return max(1, 128 // pis) if self.size == ONE_MB else 1
        return 1


def pin_process(pid, cpu):
    """Every thread of `pid` onto one CPU (threads it starts later inherit it)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for tid in tids:
        try:
            os.sched_setaffinity(int(tid), {cpu})
        except OSError:
            pass  # a thread that has just exited


def pin_cpus(mode):
    """(generator CPU, server CPU) for --pin, or None: with "apart", the load generator on the
    first CPU this process may use and the server on the second, so that a run never measures
    the two sharing a core in some runs and not in others (on 2 cores that placement alone
    moved a server's CPU per MB by a third between runs)."""
    cpus = sorted(os.sched_getaffinity(0))
    if mode == "none" or len(cpus) < 2:
        return None
    return cpus[0], cpus[1]


class Bench:
    def __init__(self, args, build, gen, base, tree):
        self.args, self.build, self.gen, self.base, self.tree = args, build, gen, base, tree
        self.pin = pin_cpus(getattr(args, "pin", "none"))

    def loadgen(self, ns, server, sources, pis, args, rounds, max_seconds, extra=()):
        taskset = ["taskset", "-c", str(self.pin[0])] if self.pin else []
        r = ns.exec(taskset + [self.gen, "--server", server, "--port", "69", "--pis", str(pis),
                     "--blksize", str(BLKSIZE), "--rounds", str(rounds), "--distinct-sources",
                     "1", "--source-base", sources, "--max-seconds", str(max_seconds)]
                    + list(args) + list(extra), check=False, timeout=max_seconds + 60)
        try:
            return json.loads(r.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise RuntimeError(f"loadgen failed: {r.stdout} {r.stderr}")

    def one_run(self, server_ns, client_ns, addr, sources, name, argv, workload, pis,
                max_seconds, extra=()):
        log = os.path.join(self.base, f"{name}.log")
        proc = netlab.Proc(argv, netns=server_ns.name, name=name, log=log + ".out")
        meter = None
        try:
            server_ns.wait_udp(proc, addr, 69)
            if self.pin:
                pin_process(proc.pid, self.pin[1])
            # Warm-up, the same for every server, so that the run measures a daemon that has
            # been up for a while (as in production) rather than its first-ever burst: every
            # file read once, then a burst of as many Pis as measured fetching one block.
            self.loadgen(client_ns, addr, sources, len(SERIALS), workload.args, 1, 120)
            self.loadgen(client_ns, addr, sources, pis,
                         ["--file", ",".join(f"{s}/warm.bin" for s in SERIALS)], 1, 60)
            meter = CpuMeter(proc.pid)
            load0 = loadavg()
            snmp0 = udp_counters(server_ns)
            cpu0 = meter.read()
            soft0 = softirq_seconds()
            result = self.loadgen(client_ns, addr, sources, pis, workload.args,
                                  workload.rounds(pis), max_seconds, extra)
            cpu1 = meter.read()
            soft1 = softirq_seconds()
            snmp1 = udp_counters(server_ns)
            load1 = loadavg()
            alive = proc.alive()
        finally:
            proc.stop()
            if meter:
                meter.close()
        mb = result["bytes"] / 1e6
        cpu = cpu1[0] - cpu0[0] if None not in (cpu0[0], cpu1[0]) else None
        busy = (cpu1[1] - cpu0[1]) + (cpu1[2] - cpu0[2]) if None not in cpu0 + cpu1 else 0
        out = snmp1.get("OutDatagrams", 0) - snmp0.get("OutDatagrams", 0)
        if server_ns is client_ns:
            out -= result.get("sent", 0)  # the generator's own datagrams
        resent = max(0, out - result.get("answers", 0)) if snmp0 else None
        gen_cpu = result.get("cpu_user_s", 0) + result.get("cpu_system_s", 0)
        secs = result["seconds"]
        return {
            "mb": mb,
            "mb_per_s": mb / secs if secs > 0 else None,
            "cpu_ms_per_mb": cpu * 1000 / mb if cpu is not None and mb > 0 else None,
            "cpu_source": meter.kind if meter else None,
            "cpu_user_share": (cpu1[1] - cpu0[1]) / busy if busy > 0 else None,
            "rrq_p50_ms": result["rrq_p50_us"] / 1000,
            "rrq_p99_ms": result["rrq_p99_us"] / 1000,
            "failures": result["failures"] + (0 if alive else 1),
            "errors": result["errors"],
            "seconds": secs,
            "boot_p50_s": result.get("boot_p50_s"),
            "boots_ok": result.get("boots_ok"),
            "server_datagrams": out,
            "server_resent": resent,
            "server_resent_per_mb": resent / mb if resent is not None and mb > 0 else None,
            "client_timeouts": result["retransmits"],
            "client_timeouts_per_mb": result["retransmits"] / mb if mb > 0 else None,
            "duplicates": result["duplicates"],
            "emulated_drops": result.get("emulated_drops", 0),
            "udp_rcvbuf_errors": (snmp1.get("RcvbufErrors", 0) - snmp0.get("RcvbufErrors", 0)
                                  if snmp0 else None),
            # The generator's own CPU: near a full core per second of run, it (not the
            # server) may be what limits MB/s.
            "loadgen_cpu_ms_per_mb": gen_cpu * 1000 / mb if mb > 0 else None,
            "loadgen_cpu_share": gen_cpu / secs if secs > 0 else None,
            "softirq_ms_per_mb": (soft1[0] - soft0[0]) * 1000 / mb if mb > 0 else None,
            "ksoftirqd_ms_per_mb": (soft1[1] - soft0[1]) * 1000 / mb if mb > 0 else None,
            "loadavg_before": load0,
            "loadavg_after": load1,
        }


def spread(values):
    """{median, min, max} of the values that are not None, or None."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": round(benchlib.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "n": len(values)}


def summarise(key, runs):
    workload, pis, server = key
    row = {"workload": workload, "pis": pis, "blksize": BLKSIZE, "server": server,
           "runs": len(runs)}
    for k in ("mb_per_s", "cpu_ms_per_mb", "rrq_p50_ms", "rrq_p99_ms", "seconds",
              "boot_p50_s", "cpu_user_share", "server_resent_per_mb", "client_timeouts_per_mb",
              "loadgen_cpu_ms_per_mb", "loadgen_cpu_share", "softirq_ms_per_mb",
              "ksoftirqd_ms_per_mb"):
        s = spread([r[k] for r in runs])
        row[k] = s["median"] if s else None  # the plain keys bench/report.py plots
        row[k + "_range"] = s
    for k in ("failures", "duplicates", "client_timeouts", "emulated_drops"):
        row[k] = sum(r[k] for r in runs)
    row["server_resent"] = sum(r["server_resent"] or 0 for r in runs)
    row["udp_rcvbuf_errors"] = sum(r["udp_rcvbuf_errors"] or 0 for r in runs)
    row["boots_ok"] = sum(r["boots_ok"] or 0 for r in runs)
    row["cpu_source"] = runs[0]["cpu_source"]
    row["loadavg"] = [[r["loadavg_before"], r["loadavg_after"]] for r in runs]
    row["per_run"] = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()
                       if k != "errors"} for r in runs]
    errors = {}
    for r in runs:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    row["errors"] = errors
    return row


def compare(a, b, factor=1.0):
    """a against factor x b over their min-max ranges: "lower", "higher" or "inconclusive"
    (the ranges overlap)."""
    if not a or not b:
        return None
    if min(a.get("n", 2), b.get("n", 2)) < 2:
        return "inconclusive"  # one run shows no spread to judge by
    if a["max"] < factor * b["min"]:
        return "lower"
    if a["min"] > factor * b["max"]:
        return "higher"
    return "inconclusive"


def paired_ratios(ours, other, key="cpu_ms_per_mb"):
    """ours / other per run, for the runs both took part in: the servers of a run follow each
    other within a minute, so the machine's slow spells, which move every server of a run the
    same way, cancel out of the ratio. A spread (see spread()), or None."""
    theirs = {r["run"]: r.get(key) for r in other.get("per_run", []) if "run" in r}
    ratios = [r[key] / theirs[r["run"]] for r in ours.get("per_run", [])
              if "run" in r and r.get(key) and theirs.get(r["run"])]
    return spread(ratios)


def goal_verdict(ratios, goal):
    """"met" when every paired ratio is within the goal, "not met" when none is."""
    if not ratios or ratios.get("n", 0) < 2:
        return "inconclusive"
    return ("met" if ratios["max"] <= goal else "not met" if ratios["min"] > goal
            else "inconclusive")


def verdicts(rows):
    """Per (workload, Pis): rpi-tftpd's CPU per MB against dnsmasq and the floor, and the
    issue's goals, each judged on the min-max ranges (overlap: inconclusive)."""
    out = []
    for workload, pis in sorted({(r["workload"], r["pis"]) for r in rows}):
        def find(server):
            return next((r for r in rows if r["workload"] == workload and r["pis"] == pis
                         and r["server"] == server), None)
        ours, dnsmasq, floor = find("rpi-tftpd"), find("dnsmasq"), find("floor")
        if not ours or not ours["cpu_ms_per_mb_range"]:
            continue
        v = {"workload": workload, "pis": pis}
        c = ours["cpu_ms_per_mb_range"]
        for other, label, goal in ((dnsmasq, "dnsmasq", GOAL_CPU_X_DNSMASQ),
                                   (floor, "floor", GOAL_CPU_X_FLOOR)):
            if not other or not other["cpu_ms_per_mb_range"]:
                continue
            o = other["cpu_ms_per_mb_range"]
            v[f"cpu_x_{label}"] = round(c["median"] / o["median"], 2) if o["median"] else None
            v[f"cpu_vs_{label}"] = compare(c, o)
            # Goal met only if even the worst run is within it, missed only if even the best
            # run misses it.
            g = compare(c, o, goal)
            v[f"goal_cpu_x_{label}"] = {"lower": "met", "higher": "not met"}.get(g, "inconclusive")
            paired = paired_ratios(ours, other)
            if paired:
                v[f"cpu_x_{label}_paired"] = paired
                v[f"goal_cpu_x_{label}_paired"] = goal_verdict(paired, goal)
        if dnsmasq and ours["mb_per_s_range"] and dnsmasq["mb_per_s_range"]:
            v["mb_s_x_dnsmasq"] = round(ours["mb_per_s"] / dnsmasq["mb_per_s"], 2)
            v["mb_s_vs_dnsmasq"] = compare(ours["mb_per_s_range"], dnsmasq["mb_per_s_range"])
        if ours["rrq_p99_ms_range"]:
            p = ours["rrq_p99_ms_range"]
            v["goal_p99"] = ("met" if p["max"] < GOAL_P99_MS else
                             "not met" if p["min"] >= GOAL_P99_MS else "inconclusive")
        out.append(v)
    return out


def nft_loss(ns, ifname):
    """Drops LOSS_PER_MILLE of the UDP datagrams that arrive on ifname, in the kernel (an
    nftables rule in the namespace's input hook, with a counter). True when it is in place."""
    if not shutil.which("nft"):
        return False
    rules = (f"table inet {NFT_TABLE} {{\n"
             "  chain input {\n"
             "    type filter hook input priority 0; policy accept;\n"
             f"    iifname \"{ifname}\" meta l4proto udp "
             f"numgen random mod 1000 < {LOSS_PER_MILLE} counter drop\n"
             "  }\n"
             "}\n")
    return ns.exec(["nft", "-f", "-"], input=rules, check=False).returncode == 0


def nft_dropped(*namespaces):
    """Datagrams the nft_loss rules dropped so far, over the given namespaces."""
    total = 0
    for ns in namespaces:
        r = ns.exec(["nft", "list", "chain", "inet", NFT_TABLE, "input"], check=False)
        for word, value in zip(r.stdout.split(), r.stdout.split()[1:]):
            if word == "packets":
                total += int(value)
    return total


def netem_counters(ends):
    """{"sent": packets, "dropped": packets} summed over the netem qdiscs on `ends` ((namespace,
    interface) pairs), from `tc -s qdisc show` ("Sent N bytes M pkt (dropped D, ...")."""
    total = {"sent": 0, "dropped": 0}
    for ns, ifname in ends:
        out = ns.exec(["tc", "-s", "qdisc", "show", "dev", ifname], check=False).stdout
        for block in out.split("qdisc ")[1:]:
            m = re.search(r"Sent \d+ bytes (\d+) pkt \(dropped (\d+)", block)
            if block.startswith("netem") and m:
                total["sent"] += int(m.group(1))
                total["dropped"] += int(m.group(2))
    return total


def io_engine_line(log):
    """rpi-tftpd's "transfer I/O: ..." start-up line (io_uring or epoll, and why), or None."""
    try:
        with open(log, errors="replace") as f:
            for line in f:
                if "transfer I/O:" in line:
                    return line.split("transfer I/O:", 1)[1].strip()
    except OSError:
        pass
    return None


def ping_rtt_ms(ns, addr, count=10):
    """{"min", "avg", "max"} round trip in ms from ping(8) in `ns` to `addr`, or None."""
    r = ns.exec(["ping", "-n", "-q", "-c", str(count), "-i", "0.2", "-W", "2", addr],
                check=False, timeout=count + 30)
    m = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/", r.stdout)
    if not m:
        return None
    return {"min": float(m.group(1)), "avg": float(m.group(2)), "max": float(m.group(3))}


def lossy_link(server_ns, client_ns, pis, ends=None):
    """A veth pair between the two namespaces, Pi addresses on the client's end, netem on both
    ends when the kernel has it, else nftables' random drop on both ends' input. Returns
    "netem", "nft" or "emulated" (neither: the generator loses and delays); `ends` (a list)
    gets the (namespace, interface) pairs of the link."""
    if_s, if_c = netlab.link(server_ns, f"{LOSSY_SERVER}/24", client_ns, f"{LOSSY_PEER}/24")
    if ends is not None:
        ends += [(server_ns, if_s), (client_ns, if_c)]
    first = int(LOSSY_SOURCES.rsplit(".", 1)[1])
    prefix = LOSSY_SOURCES.rsplit(".", 1)[0]
    if first + pis > 255:
        raise ValueError(f"at most {255 - first} Pis on the lossy link")
    batch = "".join(f"address add {prefix}.{first + i}/32 dev {if_c}\n" for i in range(pis))
    client_ns.exec(["ip", "-batch", "-"], input=batch)
    server_ns.exec(["ip", "route", "add", f"{prefix}.0/24", "via", LOSSY_PEER])
    ok = True
    for ns, ifname in ((server_ns, if_s), (client_ns, if_c)):
        r = ns.exec(["tc", "qdisc", "add", "dev", ifname, "root", "netem"] + NETEM, check=False)
        ok = ok and r.returncode == 0
    if not ok:
        for ns, ifname in ((server_ns, if_s), (client_ns, if_c)):
            ns.exec(["tc", "qdisc", "del", "dev", ifname, "root"], check=False)
        if nft_loss(server_ns, if_s) and nft_loss(client_ns, if_c):
            return "nft"
        for ns in (server_ns, client_ns):
            ns.exec(["nft", "delete", "table", "inet", NFT_TABLE], check=False)
        return "emulated"
    return "netem"


def fmt(v, digits=2):
    return "n/a" if v is None else f"{v:.{digits}f}"


def fmt_range(s, digits=2):
    if not s:
        return "n/a"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def paired_part(v, label, parts):
    """The verdict's per-run ratios against `label` and their goal, when verdicts() made them."""
    p = v.get(f"cpu_x_{label}_paired")
    if p:
        parts.append(f"paired per run x{fmt(p['min'])}-{fmt(p['max'])}: "
                     f"**{v[f'goal_cpu_x_{label}_paired']}**")


def markdown(data):
    p, m = data["parameters"], data["machine"]
    rows = data["rows"]
    if p.get("lossy_only"):
        return "\n".join(["## TFTP servers over a lossy link (bench/tftp/compare.py "
                          "--lossy-only)"] + lossy_markdown(data)) + "\n"
    loads = [x for r in rows for pair in r["loadavg"] for x in pair]
    lines = ["## TFTP servers side by side (bench/tftp/compare.py)", ""]
    if p.get("smoke"):
        lines += ["**Smoke sizes: proves the pipeline, not a measurement.**", ""]
    lines += [
        f"Machine: {m.get('cpu_model', '?')}, {m.get('nproc')} cores, "
        f"{m.get('memory_mib', '?')} MiB, kernel {m.get('kernel')}. Load average (1 min) "
        f"before and after each server's run: {min(loads, default=0):.2f} to "
        f"{max(loads, default=0):.2f} (per row below; the kernel updates it every 5 s). Server "
        "CPU from "
        f"{data['cpu_source']} accounting: the daemon and every process it forks.", "",
        f"{p['runs']} runs"
        + (f" (of {p['runs_planned']} planned: --max-minutes reached)"
           if p.get("runs_planned", p["runs"]) > p["runs"] else "")
        + "; in each, every server in turn (order rotated per run) on every "
        "case, each after the same warm-up. Figures are median (min-max) over the runs. "
        "**CPU ms/MB** = server CPU per 10^6 bytes of file data (the headline: wall-time "
        "figures on a shared machine measure its other jobs too); **x floor** = that over the "
        "floor server's (bench/tftp/floor_server.cpp: receive ACK, send the next block from "
        "memory, nothing else), i.e. against the kernel's own UDP cost; MB/s = file data / wall "
        "time; RRQ p99 = request to first answer; re-sent/MB = server datagrams beyond those the "
        "Pis needed (0 expected without loss); loadgen = the generator's largest share of one "
        "core in any run (near 1: it set the pace) and its own CPU per MB. "
        f"Blksize {BLKSIZE}; loopback in a network namespace"
        + (f"; the load generator pinned to CPU {p['pin'][0]}, the server to CPU {p['pin'][1]}."
           if p.get("pin") else "; neither the server nor the generator pinned to a CPU."), ""]
    for w, text in p["workloads"].items():
        lines.append(f"- **{w}**: {text}.")
    lines.append("")
    lines += ["| workload | Pis | server | CPU ms/MB | x floor | MB/s | RRQ p99 ms | "
              "re-sent/MB | failed | loadgen share (ms/MB) | load avg |",
              "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        floor = next((f for f in rows if f["server"] == "floor" and
                      f["workload"] == r["workload"] and f["pis"] == r["pis"]), None)
        xf = (r["cpu_ms_per_mb"] / floor["cpu_ms_per_mb"]
              if floor and floor["cpu_ms_per_mb"] and r["cpu_ms_per_mb"] else None)
        load = [x for pair in r["loadavg"] for x in pair]
        lines.append(
            f"| {r['workload']} | {r['pis']} | {r['server']} | "
            f"**{fmt_range(r['cpu_ms_per_mb_range'])}** | {fmt(xf)} | "
            f"{fmt_range(r['mb_per_s_range'], 0)} | {fmt_range(r['rrq_p99_ms_range'])} | "
            f"{fmt(r['server_resent_per_mb'])} | {r['failures']} | "
            f"{fmt(r['loadgen_cpu_share_range']['max'] if r['loadgen_cpu_share_range'] else None)}"
            f" ({fmt(r.get('loadgen_cpu_ms_per_mb'))}) | {min(load):.1f}-{max(load):.1f} |")
    for k, why in data.get("skipped", {}).items():
        lines.append(f"- Not measured: {k} ({why}).")
    soft = [r["softirq_ms_per_mb_range"]["max"] for r in rows if r.get("softirq_ms_per_mb_range")]
    ksoft = [r["ksoftirqd_ms_per_mb_range"]["max"] for r in rows
             if r.get("ksoftirqd_ms_per_mb_range")]
    irqtime = m.get("irq_time_accounting")
    lines.append(
        "- Kernel packet work, at most per MB in any run (machine-wide, other jobs "
        f"included): softirq {fmt(max(soft, default=None))} ms (/proc/stat), of which the "
        f"ksoftirqd threads {fmt(max(ksoft, default=None))} ms (in no server's figure). "
        + ("This kernel accounts IRQ time apart (CONFIG_IRQ_TIME_ACCOUNTING=y): softirq work "
           "done in a server's context is not in its cgroup figure." if irqtime == "y" else
           "This kernel charges softirq work done in a server's context to that server "
           "(no CONFIG_IRQ_TIME_ACCOUNTING): on loopback, delivering a server's DATA to the "
           "Pis is in its figure; work deferred to ksoftirqd is not." if irqtime == "n" else
           "Whether softirq work is in the cgroup figures depends on "
           "CONFIG_IRQ_TIME_ACCOUNTING, which could not be read."))
    limited = [f"{r['server']} ({r['workload']}, {r['pis']} Pis)" for r in rows
               if r["loadgen_cpu_share_range"] and
               r["loadgen_cpu_share_range"]["max"] >= LOADGEN_LIMIT_SHARE]
    if limited:
        lines.append(f"- The load generator used >= {LOADGEN_LIMIT_SHARE:g} of a core in some "
                     f"run of {'; '.join(limited)}: there MB/s is a lower bound for the server.")
    else:
        lines.append(f"- The load generator stayed under {LOADGEN_LIMIT_SHARE:g} of a core in "
                     "every run: it did not set the pace.")
    vs = data.get("verdicts") or []
    if vs:
        lines += ["", "Verdicts on CPU per MB (from the min-max ranges: overlapping ranges are "
                  "**inconclusive**, whatever the medians say; then the same goal judged on the "
                  "ratio within each run, whose servers ran back to back, so that a slow spell "
                  "of the machine moves both sides: met only if every run's ratio is within "
                  "it):", ""]
        for v in vs:
            parts = []
            if "cpu_vs_dnsmasq" in v:
                parts.append(f"against dnsmasq x{fmt(v['cpu_x_dnsmasq'])} (medians): "
                             f"**{v['cpu_vs_dnsmasq']}**; goal <= x{GOAL_CPU_X_DNSMASQ}: "
                             f"**{v['goal_cpu_x_dnsmasq']}**")
            paired_part(v, "dnsmasq", parts)
            if "cpu_vs_floor" in v:
                parts.append(f"against the floor x{fmt(v['cpu_x_floor'])}; goal <= "
                             f"x{GOAL_CPU_X_FLOOR}: **{v['goal_cpu_x_floor']}**")
            paired_part(v, "floor", parts)
            if "mb_s_vs_dnsmasq" in v:
                parts.append(f"MB/s x{fmt(v['mb_s_x_dnsmasq'])} dnsmasq "
                             f"({v['mb_s_vs_dnsmasq']})")
            if "goal_p99" in v and v["pis"] >= 128:
                parts.append(f"RRQ p99 < {GOAL_P99_MS:g} ms: **{v['goal_p99']}**")
            lines.append(f"- rpi-tftpd, {v['workload']}, {v['pis']} Pis: " + "; ".join(parts)
                         + ".")
    gig = [r for r in rows if r["cpu_ms_per_mb"] and r["pis"] == max(x["pis"] for x in rows)
           and r["workload"] == rows[-1]["workload"]]
    if gig:
        slow = [r["server"] for r in gig if (r["mb_per_s"] or 0) < GIGABIT_PAYLOAD_MB_S]
        if not slow:
            pace = ("every server above moves more than that over loopback, so on the wire "
                    "the link, not the server, sets the boot time")
        elif len(slow) == len(gig):
            pace = ("no server moved that much here (this machine, at its load average); on "
                    "a quiet server faster than the link, the link sets the boot time")
        else:
            pace = (f"{', '.join(slow)} moved less than that here (this machine, at its load "
                    "average), the others more; where a server is faster than the link, the "
                    "link sets the boot time")
        lines += ["", f"What this means on a real 1 GbE link (about {GIGABIT_PAYLOAD_MB_S} MB/s "
                  f"of TFTP payload at blksize {BLKSIZE}): {pace}. What differs is the CPU a "
                  "full link costs, i.e. what is left for everything else on a small server "
                  "(CPU per MB is what matters there). At the measured CPU per MB "
                  f"({gig[0]['workload']}, {gig[0]['pis']} Pis), filling the link takes "
                  + ", ".join(f"{r['server']} {r['cpu_ms_per_mb'] * GIGABIT_PAYLOAD_MB_S / 10:.0f}%"
                              for r in gig)
                  + " of one of these cores (server CPU includes the kernel's delivery of its "
                  "packets on loopback; a NIC adds interrupt work the floor shares)."]
    return "\n".join(lines + lossy_markdown(data)) + "\n"


def lossy_verdict(rows):
    """rpi-tftpd's time to the last boot against dnsmasq's over the lossy link, from the min-max
    ranges: "faster than dnsmasq", "slower than dnsmasq", "inconclusive against dnsmasq", or
    None when either is missing."""
    ours = next((r for r in rows if r["server"] == "rpi-tftpd"), None)
    dnsmasq = next((r for r in rows if r["server"] == "dnsmasq"), None)
    if not (ours and dnsmasq and ours["seconds_range"] and dnsmasq["seconds_range"]):
        return None
    c = compare(ours["seconds_range"], dnsmasq["seconds_range"])
    return {"lower": "faster than dnsmasq", "higher": "slower than dnsmasq"}.get(
        c, "inconclusive against dnsmasq")


def lossy_markdown(data):
    """The lossy link's section: its table, what the link was, the verdict."""
    lines = []
    lossy = data.get("lossy")
    if lossy and lossy.get("rows"):
        lp = lossy["parameters"]
        how = {
            "netem": "a netem qdisc on both ends of the veth (" + " ".join(NETEM) + " each way)",
            "nft": "loss in the kernel (this kernel has no netem qdisc): an nftables rule on "
                   "each end's input from the veth drops a UDP datagram with probability "
                   f"{LOSS_PER_MILLE / 10:g}% (numgen random mod 1000 < {LOSS_PER_MILLE}), "
                   "each way; the 2 ms round trip is held inside the load generator (no qdisc "
                   "can delay here)",
        }.get(lossy["link"], "emulated inside the load generator (this kernel has neither "
                             "netem nor nft): each datagram either way lost with probability "
                             "0.5%, a 2 ms round trip")
        lines += ["", "### Loss and delay", ""]
        if lossy.get("host"):
            h = lossy["host"]
            lines += [f"Where: {h.get('guest') or 'this machine'}; kernel {h['kernel']}, "
                      f"{h['cpus']} CPUs, load average (1 min) {h['loadavg_before']:.2f} before "
                      f"the lossy runs and {h['loadavg_after']:.2f} after"
                      + (" (the guest's own)." if h.get("guest") else "."),
                      ""]
        if lossy.get("rtt_ms"):
            t = lossy["rtt_ms"]
            lines += [f"Round trip over the link (ping, before the runs): min {t['min']:.2f}, "
                      f"avg {t['avg']:.2f}, max {t['max']:.2f} ms.", ""]
        lines += [f"{lp['pis']} Pis boot once each ({lp['workload']}) from the server in "
                  f"another namespace over a veth pair with {how}; {lp['runs']} run(s), median "
                  "(min-max). The Pis re-send their last packet after "
                  f"{lp['timeout_ms']} ms. Re-sent/MB: server datagrams beyond those the Pis "
                  "needed, per MB; timeouts/MB: the Pis' own re-sends.", "",
                  "| server | boots completed | time to the last boot s | boot p50 s | "
                  "re-sent/MB | Pi timeouts/MB | CPU ms/MB | load avg |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in lossy["rows"]:
            load = [x for pair in r["loadavg"] for x in pair]
            lines.append(
                f"| {r['server']} | {r['boots_ok']}/{r['runs'] * lp['pis']} | "
                f"**{fmt_range(r['seconds_range'], 1)}** | {fmt_range(r['boot_p50_s_range'], 1)} | "
                f"{fmt_range(r['server_resent_per_mb_range'])} | "
                f"{fmt_range(r['client_timeouts_per_mb_range'])} | "
                f"{fmt_range(r['cpu_ms_per_mb_range'])} | {min(load):.1f}-{max(load):.1f} |")
        lines.append("")
        lines += [f"- {r['server']}'s transfer I/O: {r['io_engine']}." for r in lossy["rows"]
                  if r.get("io_engine")]
        if lossy["link"] in ("nft", "netem"):
            lines += [f"- {r['server']}: the kernel dropped "
                      + ", ".join(str(x) for x in r.get("kernel_drops_per_run", []))
                      + " datagrams (per run; both directions"
                      + (f"; the netem qdiscs passed on "
                         f"{', '.join(str(x) for x in r.get('qdisc_sent_per_run', []))}"
                         if lossy["link"] == "netem" else "")
                      + ")." for r in lossy["rows"]]
        word = lossy_verdict(lossy["rows"])
        if word:
            lines.append(f"- rpi-tftpd's time to the last boot: **{word}** (goal: as fast or "
                         "faster; overlapping min-max ranges are inconclusive).")
    return lines


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--runs", type=int, help="runs per case (default 5; smoke 2)")
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="start no further run after this many minutes (0: no limit; the "
                         "lossy runs count their own); the report gives the runs completed")
    ap.add_argument("--servers", default="rpi-tftpd,dnsmasq,floor,tftpd-hpa,atftpd")
    ap.add_argument("--workloads", default="1mb,bootset")
    ap.add_argument("--pis", default="32,128", help="simulated Pis per case")
    ap.add_argument("--initramfs-mb", type=float, default=boot_sets.DEFAULT_INITRAMFS_MB,
                    help="initramfs size of the boot set (10-30 in practice)")
    ap.add_argument("--lossy-runs", type=int, help="runs over the lossy link (default 2; 0: none)")
    ap.add_argument("--lossy-servers", default="rpi-tftpd,dnsmasq,floor")
    ap.add_argument("--lossy-pis", type=int, default=128)
    ap.add_argument("--lossy-initramfs-mb", type=float, default=0,
                    help="initramfs of the lossy boots (each lost block costs a timeout)")
    ap.add_argument("--lossy-scale", type=float, default=None,
                    help="file sizes of the lossy boots, a fraction of the real ones (default 1; "
                         "smoke 0.002)")
    ap.add_argument("--lossy-only", action="store_true",
                    help="only the lossy link (bench/tftp/guest_run.py runs it in a guest whose "
                         "kernel has netem)")
    ap.add_argument("--timeout-ms", type=int, default=1000, help="the Pis' re-send timeout")
    ap.add_argument("--pin", choices=("apart", "none"), default="apart",
                    help="apart: the load generator and the server each on a CPU of its own "
                         "(the default; none: wherever the scheduler puts them)")
    ap.add_argument("--base-tftpd", default=None,
                    help="another rpi-tftpd binary, the server rpi-tftpd-base (A/B runs)")
    args = ap.parse_args()

    if os.geteuid() != 0:
        netlab.skip_or_fail("needs root (network namespace, port 69)")
    build = benchlib.build_dir(args.build)
    os.environ["RPI_NETBOOT_BUILD"] = build  # boot_sets reads core's plans from it
    gen = benchlib.find_binary(build, "bench/tftp/rpi-tftp-loadgen")
    if not gen:
        benchlib.fail("rpi-tftp-loadgen not built (target rpi-tftp-loadgen)")
    benchlib.require(["ss", "ip", "tc"])
    if args.smoke:
        runs = args.runs or 2
        pis_list = [4]
        chosen = ["rpi-tftpd", "dnsmasq", "floor"]
        lossy_runs = 1 if args.lossy_runs is None else args.lossy_runs
        lossy_pis = 4
        lossy_servers = ["rpi-tftpd", "floor"]
        max_seconds = 30
    else:
        runs = args.runs or 5
        pis_list = [int(p) for p in args.pis.split(",")]
        chosen = [s for s in args.servers.split(",") if s]
        lossy_runs = 2 if args.lossy_runs is None else args.lossy_runs
        lossy_pis = args.lossy_pis
        lossy_servers = [s for s in args.lossy_servers.split(",") if s]
        max_seconds = 600
    if runs < 1:
        benchlib.fail("--runs must be at least 1")

    base = tempfile.mkdtemp(prefix="rpinb-tftp-bench-")
    os.chmod(base, 0o755)  # the anchors drop to nobody
    netlab._cleanups.append(lambda: shutil.rmtree(base, ignore_errors=True))
    tree = os.path.join(base, "tree")
    for serial in SERIALS:
        os.makedirs(os.path.join(tree, serial))
        with open(os.path.join(tree, serial, "warm.bin"), "wb") as f:
            f.write(os.urandom(WARM_SIZE))
    workloads = [Workload(w, base, tree, args.smoke, args.initramfs_mb)
                 for w in args.workloads.split(",") if w and not args.lossy_only]
    for dirpath, dirnames, filenames in os.walk(base):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)

    ns = netlab.Netns("tftpbench")
    # tftpd-hpa resolves its address with AI_ADDRCONFIG, which fails (exit 66) in a namespace
    # holding nothing but loopback: give the namespace a TEST-NET address on an idle veth link.
    peer = netlab.Netns("tftpbench-peer")
    netlab.link(ns, "198.51.100.1/24", peer, "198.51.100.2/24")
    log = os.path.join(base, "server.log")
    table = servers(build, tree, log, LOOP_SERVER, fetch="atftpd" in chosen and not args.smoke,
                    base_tftpd=args.base_tftpd)
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

    machine = benchlib.machine()
    machine["cpu_model"] = cpu_model() or machine.get("Model name")
    machine["irq_time_accounting"] = kernel_option("CONFIG_IRQ_TIME_ACCOUNTING")
    bench = Bench(args, build, gen, base, tree)
    results = {}
    t0 = time.monotonic()
    planned = runs
    for run in range(0 if args.lossy_only else planned):
        if args.max_minutes and run > 0 and time.monotonic() - t0 > args.max_minutes * 60:
            # A busy machine: report the runs that completed, and say so.
            print(f"--max-minutes {args.max_minutes} reached: {run} of {planned} runs done",
                  flush=True)
            runs = run
            break
        order = available[run % len(available):] + available[:run % len(available)]
        for w in workloads:
            for pis in pis_list:
                for name in order:
                    r = bench.one_run(ns, ns, LOOP_SERVER, LOOP_SOURCES, name, table[name][0],
                                      w, pis, max_seconds)
                    r["run"] = run
                    results.setdefault((w.name, pis, name), []).append(r)
                    print(f"run {run + 1}/{runs} {w.name:7} {pis:3} Pis {name:9}: "
                          f"{r['cpu_ms_per_mb'] or 0:6.2f} ms/MB, {r['mb_per_s'] or 0:7.1f} MB/s, "
                          f"p99 {r['rrq_p99_ms']:.2f} ms, {r['failures']} failed, re-sent "
                          f"{r['server_resent']}, loadgen {r['loadgen_cpu_share'] or 0:.2f} "
                          f"of a core, load {r['loadavg_before']:.2f}->{r['loadavg_after']:.2f}",
                          flush=True)
    rows = [summarise((w.name, pis, name), results[(w.name, pis, name)])
            for w in workloads for pis in pis_list for name in available]

    lossy = None
    lossy_available = [s for s in lossy_servers if s in available]
    if lossy_runs > 0 and lossy_available:
        srv = netlab.Netns("tftploss-srv")
        cli = netlab.Netns("tftploss-pis")
        ends = []
        link = lossy_link(srv, cli, lossy_pis, ends)
        # netem's delay, as the Pis meet it: 1 ms each way should give a round trip >= 2 ms
        # (a tick-based timer would round it up to the tick).
        rtt = ping_rtt_ms(srv, LOSSY_PEER) if link == "netem" else None
        host = {"kernel": platform.release(), "cpus": os.cpu_count(),
                "guest": os.environ.get("RPI_NETBOOT_GUEST"), "loadavg_before": loadavg()}
        extra = (["--timeout-ms", str(args.timeout_ms)]
                 + {"emulated": EMULATED, "nft": DELAY_ONLY}.get(link, []))
        lossy_table = servers(build, tree, log, LOSSY_SERVER, fetch=False,
                              base_tftpd=args.base_tftpd)
        # Smoke: 0.2% sizes, so that a Pi rarely meets a loss (each costs a timeout or more).
        scale = args.lossy_scale or (0.002 if args.smoke else 1.0)
        wl = Workload("bootset", base, tree, scale < 1,
                      args.initramfs_mb if args.smoke else args.lossy_initramfs_mb, scale)
        lossy_results = {}
        t_lossy = time.monotonic()
        for run in range(lossy_runs):
            if args.max_minutes and run > 0 and \
                    time.monotonic() - t_lossy > args.max_minutes * 60:
                print(f"--max-minutes {args.max_minutes} reached: {run} of {lossy_runs} lossy "
                      "runs done", flush=True)
                lossy_runs = run
                break
            order = lossy_available[run % len(lossy_available):] + \
                lossy_available[:run % len(lossy_available)]
            for name in order:
                drops0 = nft_dropped(srv, cli) if link == "nft" else 0
                qdisc0 = netem_counters(ends) if link == "netem" else None
                r = bench.one_run(srv, cli, LOSSY_SERVER, LOSSY_SOURCES, name,
                                  lossy_table[name][0], wl, lossy_pis, max_seconds,
                                  extra + ["--seed", str(run + 1)])
                r["kernel_drops"] = (nft_dropped(srv, cli) - drops0) if link == "nft" else 0
                r["io_engine"] = io_engine_line(os.path.join(bench.base, f"{name}.log.out"))
                if qdisc0:  # warm-up included: it crosses the same link
                    qdisc1 = netem_counters(ends)
                    r["kernel_drops"] = qdisc1["dropped"] - qdisc0["dropped"]
                    r["qdisc_sent"] = qdisc1["sent"] - qdisc0["sent"]
                lossy_results.setdefault(name, []).append(r)
                print(f"lossy run {run + 1}/{lossy_runs} {name:9}: {r['seconds']:.1f} s, "
                      f"{r['boots_ok']}/{lossy_pis} booted, re-sent {r['server_resent']}, "
                      f"Pi timeouts {r['client_timeouts']}, {r['failures']} failed, "
                      f"kernel drops {r['kernel_drops']}", flush=True)
        # The tree was rewritten with the lossy initramfs: the files are the same otherwise.
        host["loadavg_after"] = loadavg()
        lossy = {"link": link, "rtt_ms": rtt, "host": host,
                 "parameters": {"runs": lossy_runs, "pis": lossy_pis,
                                "workload": wl.describe, "timeout_ms": args.timeout_ms,
                                "netem": NETEM if link == "netem" else None},
                 "rows": [summarise(("bootset-lossy", lossy_pis, n), lossy_results[n])
                          for n in lossy_available]}
        for row in lossy["rows"]:
            row["kernel_drops_per_run"] = [r["kernel_drops"] for r in lossy_results[row["server"]]]
            row["qdisc_sent_per_run"] = [r.get("qdisc_sent") for r in
                                         lossy_results[row["server"]]]
            row["io_engine"] = lossy_results[row["server"]][-1].get("io_engine")
        lossy["verdict"] = lossy_verdict(lossy["rows"])
        srv.close()
        cli.close()

    data = {
        "format": 2,
        "parameters": {"runs": runs, "runs_planned": planned, "smoke": args.smoke,
                       "lossy_only": args.lossy_only, "pis": pis_list, "blksize": BLKSIZE,
                       "servers": available,
                       "workloads": {w.name: w.describe for w in workloads},
                       "initramfs_mb": args.initramfs_mb,
                       "pin": list(bench.pin) if bench.pin else None},
        "rows": rows,
        "verdicts": verdicts(rows),
        "lossy": lossy,
        "skipped": skipped,
        "cpu_source": (rows or (lossy or {}).get("rows") or [{}])[0].get("cpu_source"),
        "elapsed_s": round(time.monotonic() - t0, 1),
        "machine": machine,
    }
    os.makedirs(args.out, exist_ok=True)
    path = benchlib.write_result(args.out, "tftp_compare", data)
    md = os.path.join(args.out, "tftp_compare.md")
    with open(md, "w") as f:
        f.write(markdown(data))
    print(open(md).read())
    print(f"wrote {path} and {md}")
    all_rows = rows + ((lossy or {}).get("rows") or [])
    failed = sum(r["failures"] for r in all_rows if r["server"] == "rpi-tftpd")
    if failed:
        print(f"FAIL: rpi-tftpd failed {failed} requests", file=sys.stderr)
        return 1
    if args.smoke:
        # The smoke run proves the pipeline: every part of the table must have been measured.
        problems = [f"{r['server']} ({r['workload']}): {r['failures']} failed" for r in all_rows
                    if r["failures"]]
        problems += [f"{r['server']} ({r['workload']}): no CPU figure" for r in rows
                     if r["cpu_ms_per_mb"] is None]
        if "floor" not in available:
            problems.append(f"floor server: {skipped.get('floor')}")
        if (cgroup2_root() or os.path.isdir(CpuMeter.V1_ROOT)) and \
                data["cpu_source"] not in ("cgroup2", "cpuacct"):
            problems.append(f"server CPU read from {data['cpu_source']}, not a cgroup")
        if lossy_runs and not (lossy and len(lossy["rows"]) == len(lossy_available)):
            problems.append("no lossy-link rows")
        if not data["verdicts"] and not args.lossy_only:
            problems.append("no verdicts")
        if problems:
            print("FAIL: " + "; ".join(problems), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
