#!/usr/bin/python3
"""Boot storm: many emulated Pis boot at once against kea-dhcp4 + hook and rpi-tftpd.

Topology (namespaces made here, TEST-NET addresses only):

    [pis] 192.0.2.254   --- DHCP link ---  192.0.2.1    [srv: kea-dhcp4 + libdhcp_rpi_netboot.so]
    [pis] 198.51.100.2  --- TFTP link ---  198.51.100.1 [srv: rpi-tftpd]

rpinetboot-bench-storm (C++, one thread per Pi, probe/dhcp + probe/tftp) sends every Pi's exact
DISCOVER within --spread-ms, REQUESTs for Pi 4/5 (ROM3 and bootcode.bin never do), checks each
OFFER carries the boot menu, then walks each Pi's TFTP boot against the server option 66 names.
The hook's tftp-server points the Pis at the second link: an admin's separate boot server address,
and it keeps the emulator's raw DHCP sockets (which copy every frame on their link) out of the TFTP
stream. All emulated Pis share one TFTP source address, so rpi-tftpd's per-client cap (16 by
default, against one host hogging the server) is raised for the run; a real storm has one address
per Pi.

Asserted: every Pi leased (OFFER for ROM3/bootcode, ACK for Pi 4/5), all addresses distinct,
every walk complete under its serial prefix. Reported: time from the first DISCOVER to the last
Pi's last file, DISCOVER spread, and the daemons' peak RSS (VmHWM from /proc/PID/status).
"""

import argparse
import collections
import json
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib  # noqa: E402
from benchlib import netlab  # noqa: E402
import kea_control  # noqa: E402  (tests/lib, on the path through benchlib)

DHCP_SERVER, DHCP_CLIENT = "192.0.2.1", "192.0.2.254"
TFTP_SERVER, TFTP_CLIENT = "198.51.100.1", "198.51.100.2"
POOL = "192.0.2.10 - 192.0.2.250"  # 241 addresses

# File sizes (bytes) by name, close to a Raspberry Pi OS boot partition. Which files each model
# needs comes from the fleet (core's boot plans, `rpinetboot-bench-storm fleet`).
FULL_SIZES = {
    "bootcode.bin": 52_456, "start.elf": 2_975_744, "fixup.dat": 7_314,
    "start4.elf": 2_252_736, "fixup4.dat": 5_400, "config.txt": 2_048, "cmdline.txt": 120,
    "bcm2710-rpi-3-b.dtb": 32_598, "bcm2710-rpi-3-b-plus.dtb": 33_198,
    "bcm2711-rpi-4-b.dtb": 53_947, "bcm2712-rpi-5-b.dtb": 79_040,
    "kernel8.img": 8_000_000, "kernel_2712.img": 8_000_000,
}
# The whole emulated fleet (200 lock-step TFTP clients) runs on the same machine as the daemons.
# At full sizes (2.5 GB in all) a shared 2-core box cannot move the data before the Pis' 30-second
# per-file limit (docs/protocol/tftp.md) and the run measures the box, not the daemons; so the run
# scales every file to a quarter by default (--scale 1 for the real sizes). Smoke: 2%.
DEFAULT_SCALE = 0.25
SMOKE_SCALE = 0.02


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", help="build directory (default: $RPI_NETBOOT_BUILD or ./build)")
    ap.add_argument("--out", required=True, help="directory for boot_storm.json and logs")
    ap.add_argument("--pis", type=int, default=200)
    ap.add_argument("--spread-ms", type=int, default=1000,
                    help="all DISCOVERs leave within this many milliseconds")
    ap.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                    help="file sizes as a fraction of a Raspberry Pi OS boot partition's")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--timeout", type=int, default=600, help="bound on the whole storm, seconds")
    ap.add_argument("--smoke", action="store_true", help="12 Pis, files at 2%% of their size")
    args = ap.parse_args()
    if args.smoke:
        args.pis, args.scale = 12, SMOKE_SCALE
    if not 1 <= args.pis <= 240 or args.spread_ms < 0 or args.timeout < 10 or \
            not 0 < args.scale <= 4:
        ap.error("--pis must be 1..240 (the pool has 241 addresses), --timeout >= 10, "
                 "--scale in (0, 4]")
    return args


def build_tree(base, fleet, scale):
    """root/bootcode.bin, root/<model>/... and root/<serial> -> <model> (relative symlinks, which
    rpi-tftpd serves: a shared tree per model, as admins set them up)."""
    root = os.path.join(base, "root")
    rnd = random.Random(1234)
    sizes = {}

    def put(rel, name):
        if name not in FULL_SIZES:
            benchlib.fail(f"the fleet's walks need {name}, which FULL_SIZES lacks")
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = max(1, int(FULL_SIZES[name] * scale))
        with open(path, "wb") as f:
            f.write(rnd.randbytes(size))
        sizes[rel] = size

    for pi in fleet:
        tree = pi["model"]
        for f in pi["files"]:
            rel = f[1:] if f.startswith("/") else f"{tree}/{f}"
            if rel not in sizes:
                put(rel, os.path.basename(rel))
        os.symlink(tree, os.path.join(root, pi["serial"]))
    return root, sizes


class Storm:
    def __init__(self, args):
        self.args = args
        self.build = benchlib.build_dir(args.build)
        self.out = os.path.abspath(args.out)
        os.makedirs(self.out, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="rpinb-storm-")
        os.chmod(self.work, 0o755)
        self.tool = benchlib.find_binary(self.build, "bench/rpinetboot-bench-storm")
        self.hook = benchlib.find_binary(self.build, "kea-hook/libdhcp_rpi_netboot.so")
        self.tftpd = benchlib.find_binary(self.build, "tftpd/rpi-tftpd")
        missing = [n for n, p in (("bench/rpinetboot-bench-storm", self.tool),
                                  ("kea-hook/libdhcp_rpi_netboot.so", self.hook),
                                  ("tftpd/rpi-tftpd", self.tftpd)) if not p]
        if missing:
            netlab.skip_or_fail(f"not built in {self.build}: " + ", ".join(missing))

    def fleet(self):
        res = netlab.run([self.tool, "fleet", "--pis", str(self.args.pis),
                          "--seed", str(self.args.seed)])
        return [json.loads(line) for line in res.stdout.splitlines()]

    def start_kea(self, interface):
        cfg = {"Dhcp4": {
            "interfaces-config": {"interfaces": [interface]},
            "lease-database": {"type": "memfile", "persist": False, "lfc-interval": 0},
            "valid-lifetime": 3600,
            "control-socket": {"socket-type": "unix",
                               "socket-name": os.path.join(self.work, "kea.sock")},
            "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": POOL}]}],
            "hooks-libraries": [{"library": self.hook,
                                 "parameters": {"tftp-server": TFTP_SERVER}}],
            "loggers": [{"name": "kea-dhcp4", "severity": "WARN",
                         "output_options": [{"output": os.path.join(self.work, "kea.log")}]}],
        }}
        path = os.path.join(self.work, "kea-dhcp4.conf")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        env = dict(os.environ, KEA_PIDFILE_DIR=self.work, KEA_LOCKFILE_DIR=self.work)
        kea = self.srv.start(["kea-dhcp4", "-c", path], env=env, name="kea-dhcp4",
                             log=os.path.join(self.work, "kea.out"))
        self.wait_udp(kea, DHCP_SERVER, 67)
        return kea

    def wait_udp(self, proc, addr, port):
        try:
            self.srv.wait_udp(proc, addr, port, timeout=20)
        except RuntimeError as e:
            benchlib.fail(str(e))

    def kea_statistics(self):
        """Kea's own counters (statistic-get-all over its control socket): what it received,
        sent and dropped, and the hook's counters. None when the socket does not answer."""
        try:
            stats = kea_control.statistics(os.path.join(self.work, "kea.sock"))
        except (OSError, ValueError) as e:
            print(f"boot_storm: no Kea statistics: {e}", file=sys.stderr)
            return None
        return {k: v for k, v in stats.items()
                if k.startswith("pkt4-") and not k.startswith("subnet") and v}

    def start_tftpd(self, root):
        conf = os.path.join(self.work, "rpi-tftpd.conf")
        with open(conf, "w") as f:
            f.write(f"root = {root}\n")
        tftpd = self.srv.start([self.tftpd, "--config", conf, "--listen", f"{TFTP_SERVER}:69",
                                "--max-per-client", "1024", "--log-level", "warn"],
                               name="rpi-tftpd", log=os.path.join(self.work, "rpi-tftpd.log"))
        self.wait_udp(tftpd, TFTP_SERVER, 69)
        return tftpd

    def run(self):
        a = self.args
        fleet = self.fleet()
        root, sizes = build_tree(self.work, fleet, a.scale)
        self.srv = netlab.Netns("ssrv")
        self.cli = netlab.Netns("spis")
        if_srv, if_cli = netlab.link(self.srv, DHCP_SERVER + "/24", self.cli, DHCP_CLIENT + "/24")
        netlab.link(self.srv, TFTP_SERVER + "/24", self.cli, TFTP_CLIENT + "/24")
        for ns, ifname in ((self.srv, if_srv), (self.cli, if_cli)):
            netlab.wait_for(lambda ns=ns, ifname=ifname: "LOWER_UP" in ns.exec(
                ["ip", "-o", "link", "show", ifname]).stdout, timeout=10, what=f"carrier {ifname}")
        kea = self.start_kea(if_srv)
        tftpd = self.start_tftpd(root)

        print(f"boot_storm: {a.pis} Pis, DISCOVERs within {a.spread_ms} ms", flush=True)
        started = time.monotonic()
        gen = self.cli.start([self.tool, "run", "--interface", if_cli, "--pis", str(a.pis),
                              "--seed", str(a.seed), "--spread-ms", str(a.spread_ms)],
                             name="storm", log=os.path.join(self.work, "storm.out"))
        try:
            netlab.wait_for(lambda: not gen.alive(), timeout=a.timeout, interval=0.2,
                            what="the storm to finish")
        except TimeoutError:
            gen.stop()
            benchlib.fail(f"the storm did not finish within {a.timeout} s")
        wall = time.monotonic() - started
        kea_hwm, tftpd_hwm = benchlib.vm_hwm_kib(kea.pid), benchlib.vm_hwm_kib(tftpd.pid)
        cpu = {"kea-dhcp4": benchlib.cpu_seconds(kea.pid),
               "rpi-tftpd": benchlib.cpu_seconds(tftpd.pid)}
        kea_stats = self.kea_statistics()
        kea_alive, tftpd_alive = kea.alive(), tftpd.alive()
        kea.stop()
        tftpd.stop()

        lines = [json.loads(line) for line in gen.output().splitlines()
                 if line.startswith("{")]
        pis = [p for p in lines if not p.get("summary")]
        if len(pis) != a.pis:
            benchlib.fail(f"the generator reported {len(pis)} of {a.pis} Pis "
                          f"(exit {gen.popen.returncode}):\n{gen.output()[-3000:]}")
        data = self.summarize(pis, sizes, kea_hwm, tftpd_hwm, wall)
        gen_summary = next((p for p in lines if p.get("summary")), {})
        cpu["load generator"] = gen_summary.get("cpu_s")
        data["summary"]["cpu_s"] = cpu
        data["summary"]["kea_statistics"] = kea_stats
        # Kea's own counters must match what the Pis sent: nothing lost, and no REQUEST from a
        # ROM3 or bootcode.bin Pi (the generator counts per Pi; Kea counts what arrived).
        sent = {"pkt4-discover-received": sum(p["discovers"] for p in pis),
                "pkt4-request-received": sum(p["requests"] for p in pis)}
        for name, count in sent.items():
            got = (kea_stats or {}).get(name, 0)
            if got != count:
                data["summary"]["problems"].append(f"Kea counted {got} for {name}, the Pis "
                                                   f"sent {count}")
        if data["summary"]["time_to_last_file_s"]:
            data["summary"]["aggregate_mb_per_s"] = (data["summary"]["bytes_served"] / 1e6 /
                                                     data["summary"]["time_to_last_file_s"])
        data["parameters"] = {"pis": a.pis, "spread_ms": a.spread_ms, "seed": a.seed,
                              "smoke": a.smoke, "scale": a.scale, "file_bytes": sizes,
                              "tftpd_max_per_client": 1024}
        path = benchlib.write_result(self.out, "boot_storm", data)
        s = data["summary"]
        print(f"boot_storm: {s['booted']}/{s['pis']} booted, {s['distinct_addresses']} distinct "
              f"addresses, last file after {s['time_to_last_file_s']:.2f} s; peak RSS kea-dhcp4 "
              f"{(kea_hwm or 0) / 1024:.1f} MiB, rpi-tftpd {(tftpd_hwm or 0) / 1024:.1f} MiB; "
              f"CPU s {cpu}; wrote {path}")
        print(f"boot_storm: Kea counters {kea_stats}")
        problems = list(s["problems"])
        if not kea_alive:
            problems.append("kea-dhcp4 died during the storm")
        if not tftpd_alive:
            problems.append("rpi-tftpd died during the storm")
        if problems:
            for p in problems[:20]:
                print(f"boot_storm: {p}", file=sys.stderr)
            benchlib.fail(f"{len(problems)} problem(s) in the storm; logs in {self.work}")
        shutil.rmtree(self.work, ignore_errors=True)  # kept only when something failed
        return 0

    @staticmethod
    def summarize(pis, sizes, kea_hwm, tftpd_hwm, wall):
        problems = []
        leased = {}
        for p in pis:
            need_ack = p["sends_request"]  # core's table, via the storm tool's JSON
            got = p["yiaddr"] if (p["offer_ms"] is not None and
                                  (p["ack_ms"] is not None or not need_ack)) else None
            if got is None:
                problems.append(f"Pi {p['index']} ({p['model']} {p['mac']}) got no lease: "
                                f"{p['error']}")
            else:
                leased.setdefault(got, []).append(p)
            if not need_ack and p["requests"]:
                problems.append(f"Pi {p['index']} ({p['model']}) sent a REQUEST")
            if p["offer_ms"] is not None and not p["boot_menu"]:
                problems.append(f"Pi {p['index']} ({p['model']}) OFFER lacks the boot menu")
            if not p["booted"] and got is not None:
                problems.append(f"Pi {p['index']} ({p['model']} {p['serial']}) did not boot: "
                                f"{p['error']}")
        for addr, holders in leased.items():
            if len(holders) > 1:
                problems.append(f"{addr} given to {len(holders)} Pis: " +
                                ", ".join(f"{h['model']} {h['mac']}" for h in holders))
        discovers = [p["discover_ms"] for p in pis if p["discover_ms"] is not None]
        done = [p["done_ms"] for p in pis if p["done_ms"] is not None]
        per_model = collections.Counter(p["model"] for p in pis)
        booted_model = collections.Counter(p["model"] for p in pis if p["booted"])
        offer_lat = [p["offer_ms"] - p["discover_ms"] for p in pis if p["offer_ms"] is not None]
        boot_time = [p["done_ms"] - p["discover_ms"] for p in pis if p["booted"]]
        t_first = min(discovers) if discovers else 0.0
        summary = {
            "pis": len(pis),
            "models": dict(per_model),
            "booted_per_model": dict(booted_model),
            "leased": sum(len(h) for h in leased.values()),
            "distinct_addresses": len(leased),
            "rom3_distinct": len({p["yiaddr"] for p in pis if p["model"] == "rom3"
                                  and p["yiaddr"]}),
            "booted": sum(1 for p in pis if p["booted"]),
            "discover_spread_s": (max(discovers) - t_first) / 1000 if discovers else None,
            "offer_latency_p50_ms": benchlib.percentile(offer_lat, 50),
            "offer_latency_p99_ms": benchlib.percentile(offer_lat, 99),
            "boot_time_p50_s": (benchlib.percentile(boot_time, 50) or 0) / 1000,
            "boot_time_max_s": (max(boot_time) if boot_time else 0) / 1000,
            "time_to_last_file_s": (max(done) - t_first) / 1000 if done else None,
            "bytes_served": sum(p["bytes"] for p in pis),
            "dhcp_retries": sum(max(0, p["discovers"] - 1) for p in pis),
            "requests_from_rom3_bootcode": sum(p["requests"] for p in pis
                                               if not p["sends_request"]),
            "kea_vm_hwm_kib": kea_hwm,
            "tftpd_vm_hwm_kib": tftpd_hwm,
            "wall_s": wall,
            "problems": problems,
        }
        # For the plot: when each Pi finished, relative to the first DISCOVER.
        rows = [{"index": p["index"], "model": p["model"],
                 "done_s": (p["done_ms"] - t_first) / 1000 if p["booted"] else None}
                for p in pis]
        return {"summary": summary, "pis": rows}


def main():
    args = parse_args()
    netlab.require_root()
    benchlib.require(["kea-dhcp4", "ss"])
    return Storm(args).run()


if __name__ == "__main__":
    sys.exit(main())
