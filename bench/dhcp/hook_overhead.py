#!/usr/bin/python3
"""Hook overhead: real kea-dhcp4 driven by Kea's perfdhcp, three configurations.

Topology (namespaces made here, TEST-NET addresses only):

    [cli] 192.0.2.2..7 (one address per perfdhcp, each its giaddr) --- 192.0.2.1 [srv: kea-dhcp4]

perfdhcp acts as a relay agent, so each instance sends its template verbatim (template mode,
docs/kea.md) with hops 1 and its own address as giaddr; the server has one subnet with those
relay addresses. The traffic is a mix of instances, one per template: Pi shapes A, B and C (from
core's exact DISCOVER builders, through rpinetboot-bench-templates) and non-Pi clients (a Linux
dhclient and an x86 PXE ROM that sends the Pi's vendor class). Pi 4/5 and non-Pi clients do full
DORA; the Pi 3 ROM and bootcode.bin never send REQUEST, so their instances do DISCOVER/OFFER only.

Per configuration and run: a fresh kea-dhcp4, one OFFER check per template (does the server do
what the configuration claims?), then two phases with all perfdhcp instances at once:
- saturation (--rate, far above what one Kea thread answers): DORA-equivalent exchanges per
  second (answered queries / 2; a DISCOVER/OFFER-only exchange counts half) and the drop ratio;
- fixed load (--load-rate, below saturation): kea-dhcp4 CPU microseconds per answered query
  (utime+stime from /proc), the cost measure that stays meaningful on a busy machine.
Configurations are interleaved within each run (their order rotating), kea-dhcp4 and perfdhcp
pinned to different CPUs (--pin); the report takes the median of --runs, the ratios paired by run
and the spread. On a shared VM that spread is wider than a few percent, so beside it:
- instructions (callgrind_counts.py): per configuration, one kea-dhcp4 under callgrind at a low
  fixed rate; user-space instructions per DORA exchange for the mix and its Pi and non-Pi parts,
  which do not depend on the machine's load, and the Kea and hook functions they go to.
  These phases also run a fourth configuration, empty-hook (--instr-configs): a library whose
  pkt4_receive/pkt4_send callouts do nothing. empty-hook/none is Kea's own floor for calling any
  library at those points; with the growth of Kea's packing of the reply (Pkt4::pack) that the
  three options a Pi needs cause, it splits hook/none into what Kea costs and what is ours.
  The instruction phases count returning clients (a warm-up leases every simulated client
  first, --instr-clients-scale of the throughput phase's clients) and new clients (each
  DISCOVER from a MAC Kea has not seen, --instr-new-discovers per class), each with and without
  host names (the Linux client's option 12; Kea sanitizes a host name only when a query has
  one, and Pis send none), in one kea-dhcp4 per host-name variant.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib  # noqa: E402
from benchlib import netlab  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import callgrind_counts  # noqa: E402
import kea_configs  # noqa: E402

SERVER = "192.0.2.1"
CLIENT_BASE = 2  # 192.0.2.2, .3, ... one per perfdhcp instance

# Share of the offered load per template and the number of simulated clients (MACs) of each.
# Pis are 30% of the traffic; the rest is ordinary hosts and one x86 PXE ROM population.
MIX = [
    # name,     weight, clients
    ("linux", 0.55, 80),
    ("x86pxe", 0.15, 30),
    ("pi4", 0.15, 50),
    ("pi5", 0.05, 30),
    ("bootcode", 0.05, 20),
    ("rom3", 0.05, 20),
]
PI_TEMPLATES = {"pi4", "pi5", "bootcode", "rom3"}
# hook-events: the hook with its boot events on (a JSON-lines file sink, README.md "Boot events
# and bootloader logs"), to price the events against hook.
CONFIGS = ("none", "empty-hook", "config-only", "hook", "hook-events")
# The callgrind hotspot that grows with the options the hook adds (callgrind_counts.HOTSPOTS).
PACK_HOTSPOT = "pack reply (Pkt4::pack)"
DISPATCH_HOTSPOT = "hook dispatch + callouts (HooksManager::callCallouts)"
# Kea creates every lease through this function: its calls per phase count the new leases.
LEASE_ADD_FUNCTION = "Memfile_LeaseMgr::addLease(boost::shared_ptr<isc::dhcp::Lease4>"


def phase_key(cls, new=False, hostnames=True):
    """Instruction phase names: "mix", "pi", "non-pi" (returning clients, with host names, as
    before), "mix new", "mix no-hostname", "mix new no-hostname", ..."""
    return cls + (" new" if new else "") + ("" if hostnames else " no-hostname")
MENU_TEXT = b"Raspberry Pi Boot"


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", help="build directory (default: $RPI_NETBOOT_BUILD or ./build)")
    ap.add_argument("--out", required=True, help="directory for hook_overhead.json and logs")
    ap.add_argument("--runs", type=int, default=8,
                    help="runs per configuration, interleaved (more, shorter runs: the load "
                         "of the machine changes within seconds)")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    ap.add_argument("--rate", type=int, default=18000,
                    help="saturation phase: offered DISCOVERs per second over all instances (far "
                         "above what one pinned Kea thread answers; see kea_cpu_busy)")
    ap.add_argument("--load-rate", type=int, default=1000,
                    help="fixed-load phase (CPU per answer): offered DISCOVERs per second")
    ap.add_argument("--configs", default="none,config-only,hook",
                    help="throughput phases: configurations, of " + ",".join(CONFIGS))
    ap.add_argument("--instr-configs", default="none,empty-hook,config-only,hook,hook-events",
                    help="instruction phases: configurations (empty-hook: the control whose "
                         "callouts do nothing, i.e. Kea's floor)")
    ap.add_argument("--hook", help="path of libdhcp_rpi_netboot.so (default: found in --build)")
    ap.add_argument("--hook-parameters", default="{}", help="JSON for the hook's parameters")
    ap.add_argument("--log-severity", default="WARN",
                    help="kea-dhcp4 log severity (INFO logs every lease: it measures the logger)")
    ap.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True,
                    help="taskset: kea-dhcp4 on the last CPU, perfdhcp on the others "
                         "(throughput phases)")
    ap.add_argument("--instr-rate", type=int, default=25,
                    help="instruction phases: DISCOVERs per second (low: kea-dhcp4 runs under "
                         "callgrind, some 50 times slower)")
    ap.add_argument("--instr-warmup", type=int, default=150,
                    help="instruction phases: warm-up DISCOVERs (leases created) before counting")
    ap.add_argument("--instr-discovers", type=int, default=300,
                    help="instruction phases: DISCOVERs per counted phase (0: no instruction "
                         "counts)")
    ap.add_argument("--instr-classes", default="mix,pi,non-pi",
                    help="instruction phases: traffic classes counted, of mix,pi,non-pi")
    ap.add_argument("--instr-clients-scale", type=float, default=0.2,
                    help="instruction phases: simulated clients per template, as a share of the "
                         "throughput phase's (few enough that the warm-up leases them all)")
    ap.add_argument("--instr-new-discovers", type=int, default=80,
                    help="instruction phases: DISCOVERs from new clients per class (mix, Pi); "
                         "all of them get addresses from the one /24 pool (0: none)")
    ap.add_argument("--instr-hostnames", default="with,without",
                    help="instruction phases: host-name variants, of with,without (without: the "
                         "Linux client sends no option 12)")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes: one 1-second run per configuration at a low rate")
    args = ap.parse_args()
    if args.smoke:
        args.runs, args.duration, args.rate, args.load_rate = 1, 1.0, 1200, 300
        args.instr_warmup, args.instr_discovers, args.instr_classes = 20, 40, "mix"
        args.instr_new_discovers, args.instr_hostnames = 10, "with"
        args.instr_clients_scale, args.instr_rate = 0.05, 40  # the warm-up leases every client
    if args.runs < 0 or args.duration <= 0 or min(args.rate, args.load_rate) < len(MIX):
        ap.error("--runs must be >= 0, --duration and --rate positive (rate >= number of templates)")
    for opt in ("configs", "instr_configs"):
        names = config_list(getattr(args, opt))
        unknown = [c for c in names if c not in CONFIGS]
        if unknown or len(set(names)) != len(names):
            ap.error(f"--{opt.replace('_', '-')}: {getattr(args, opt)!r}: each of "
                     f"{','.join(CONFIGS)} at most once")
    return args


def config_list(text):
    return [c.strip() for c in text.split(",") if c.strip()]


def find_hook(build, explicit):
    if explicit:
        return os.path.abspath(explicit) if os.path.exists(explicit) else None
    return benchlib.find_binary(build, "kea-hook/libdhcp_rpi_netboot.so",
                                "kea-hook/src/libdhcp_rpi_netboot.so", "libdhcp_rpi_netboot.so")


def find_empty_hook(build):
    return benchlib.find_binary(build, "bench/libdhcp_rpinb_empty_hook.so")


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = benchlib.build_dir(args.build)
        self.out = os.path.abspath(args.out)
        os.makedirs(self.out, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="rpinb-hookbench-")
        self.templates_tool = benchlib.find_binary(self.build, "bench/rpinetboot-bench-templates")
        if not self.templates_tool:
            benchlib.fail(f"rpinetboot-bench-templates not built in {self.build}")
        self.srv = netlab.Netns("hsrv")
        self.cli = netlab.Netns("hcli")
        self.addresses = [f"192.0.2.{CLIENT_BASE + i}" for i in range(len(MIX))]
        self.if_srv, self.if_cli = netlab.link(self.srv, SERVER + "/24", self.cli,
                                               self.addresses[0] + "/24")
        for addr in self.addresses[1:]:
            netlab.check_address(addr)
            self.cli.exec(["ip", "addr", "add", addr + "/24", "dev", self.if_cli])
        self.instances = self._make_templates()
        self.instances_no_hostname = self._make_templates(hostnames=False)
        n = os.cpu_count() or 1
        self.cpus = ({"kea": str(n - 1), "clients": f"0-{n - 2}" if n > 2 else "0"}
                     if args.pin and n >= 2 else None)

    def _make_templates(self, hostnames=True):
        """One template set per instance address (giaddr is in the template)."""
        instances = []
        for (name, weight, clients), addr in zip(MIX, self.addresses):
            d = os.path.join(self.work, f"tpl-{addr}" + ("" if hostnames else "-no-hostname"))
            os.makedirs(d)
            netlab.run([self.templates_tool, "--giaddr", addr, "--out", d]
                       + ([] if hostnames else ["--no-hostname"]))
            with open(os.path.join(d, "templates.json")) as f:
                index = json.load(f)
            tpl = next(t for t in index["templates"] if t["name"] == name)
            tpl.update(addr=addr, weight=weight, clients=clients,
                       xid_offset=index["xid_offset"], random_offset=index["random_offset"])
            instances.append(tpl)
        return instances

    def pinned(self, role, argv):
        """With --pin: kea-dhcp4 on the last CPU, the perfdhcp instances on the others, so the
        load generator does not take the server's CPU away in the middle of a run."""
        if not self.cpus:
            return list(argv)
        cpus = self.cpus["kea"] if role == "kea" else self.cpus["clients"]
        return ["taskset", "-c", cpus] + list(argv)

    def start_kea(self, kind, tag, wrapper=(), start_timeout=15):
        run_dir = os.path.join(self.work, f"kea-{tag}")
        os.makedirs(run_dir)
        hook_params = json.loads(self.args.hook_parameters)
        if kind == "hook-events":
            hook_params["events"] = "json:" + os.path.join(run_dir, "events.jsonl")
        cfg = kea_configs.make(kind, self.if_srv, self.addresses,
                               os.path.join(run_dir, "kea.log"), self.args.log_severity,
                               self.hook, hook_params, self.empty_hook)
        path = os.path.join(run_dir, "kea-dhcp4.conf")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        env = dict(os.environ, KEA_PIDFILE_DIR=run_dir, KEA_LOCKFILE_DIR=run_dir)
        argv = list(wrapper) + ["kea-dhcp4", "-c", path]
        proc = self.srv.start(self.pinned("kea", argv) if not wrapper else argv, env=env,
                              log=os.path.join(run_dir, "kea.out"), name="kea-dhcp4")
        self.srv.wait_udp(proc, SERVER, 67, timeout=start_timeout, label=f"kea-dhcp4 ({kind})")
        return proc

    def decode43(self, hex_payload):
        """Core's option 43 decoder (through rpinetboot-bench-templates), as the probe uses it."""
        res = netlab.run([self.templates_tool, "--decode-option43", hex_payload])
        return json.loads(res.stdout)

    def check_offers(self, kind):
        """One exchange per template: the configuration must do what it claims. A Pi template's
        OFFER must be one a Pi boots from (docs/protocol/dhcp.md): option 43 decoding to
        discovery control 3, menu prompt {0, "PXE"} and a boot menu holding "Raspberry Pi Boot",
        and option 60 "PXEClient". Whether the menu carries the three spaces the Pi 3B ROM needs
        is recorded (the hook pads it; the published config-only class cannot tell a ROM apart)."""
        # Every template from the first instance's set: its giaddr is the address we bind.
        first_dir = os.path.dirname(self.instances[0]["discover"])
        specs = [f"{t['name']}={os.path.join(first_dir, t['name'] + '-discover.hex')}"
                 for t in self.instances]
        out = self.cli.exec([sys.executable, os.path.join(os.path.dirname(__file__),
                                                           "offer_check.py"),
                             "--giaddr", self.addresses[0], "--server", SERVER] + specs,
                            timeout=60).stdout
        offers = json.loads(out)
        verdict = {}
        problems = []
        for name, o in offers.items():
            if not o.get("offer"):
                problems.append(f"{kind}: no OFFER for template {name}")
                continue
            opt43 = o["options"].get("43", "")
            d = self.decode43(opt43) if opt43 else {"ok": False}
            menu = d.get("menu_text") or ""
            bootable = bool(d.get("ok") and d.get("discovery_control") == 3 and
                            MENU_TEXT.decode() in menu and
                            d.get("suboptions", {}).get("10") == "00505845" and
                            bytes.fromhex(o["options"].get("60", "")) == b"PXEClient")
            verdict[name] = {"option43": opt43 or None, "pi_boot_menu": bootable,
                             "menu_text": d.get("menu_text"),
                             "rom_padded": menu.endswith("   ") if menu else None,
                             "option60": bytes.fromhex(o["options"].get("60", "")).decode(
                                 "latin-1") or None,
                             "option66": bytes.fromhex(o["options"].get("66", "")).decode(
                                 "latin-1") or None}
            pi = name in PI_TEMPLATES
            pi_support = kind not in ("none", "empty-hook")
            if not pi_support and opt43:
                problems.append(f"{kind}: template {name} got option 43")
            if pi_support and pi and not bootable:
                problems.append(f"{kind}: Pi template {name} got an OFFER no Pi boots from: "
                                f"43={opt43 or 'none'} decoded {d}")
            if kind.startswith("hook") and name == "rom3" and not verdict[name]["rom_padded"]:
                problems.append(f"{kind}: the Pi 3B ROM got the unpadded menu it miscounts")
            if name == "linux" and opt43:
                problems.append(f"{kind}: the Linux client got option 43")
            if kind.startswith("hook") and name == "x86pxe" and opt43:
                problems.append(f"{kind}: the x86 PXE client got the Pi's option 43")
        return verdict, problems

    def perfdhcp_argv(self, inst, rate, duration=None, count=None, clients=None, base_mac=None):
        """Runs for `duration` seconds, or sends `count` DISCOVERs and waits for the last answers
        (-W 0.5 s for DORA; perfdhcp rejects -W with -i, where its drop time of 1 s applies).
        `clients` and `base_mac` override the template's client count and base MAC."""
        if count is None:
            limit = ["-p", str(duration)]
        else:
            limit = ["-n", str(count)] + (["-W", "500000"] if "request" in inst else [])
        argv = ["perfdhcp", "-4", "-l", inst["addr"], "-r", str(rate)] + limit + [
                "-R", str(clients or inst["clients"]), "-b", "mac=" + (base_mac or inst["base_mac"]),
                "-g", "single",
                "-T", inst["discover"], "-X", str(inst["xid_offset"]),
                "-O", str(inst["random_offset"])]
        if "request" in inst:
            argv += ["-T", inst["request"], "-X", str(inst["xid_offset"]),
                     "-O", str(inst["random_offset"]), "-S", str(inst["srvid_offset"]),
                     "-I", str(inst["reqip_offset"])]
        else:
            argv += ["-i"]  # DISCOVER/OFFER only, as the ROM and bootcode.bin behave
        return argv + [SERVER]

    def measure(self, kind, run_index):
        """One configuration, one run: a fresh kea-dhcp4, the OFFER check, then two phases."""
        tag = f"{kind}-{run_index}"
        kea = self.start_kea(kind, tag)
        verdict, problems = self.check_offers(kind)
        if problems:
            kea.stop()
            benchlib.fail("; ".join(problems))
        load = self.phase(kind, f"{tag}-load", kea, self.args.load_rate)
        saturation = self.phase(kind, f"{tag}-sat", kea, self.args.rate)
        hwm = benchlib.vm_hwm_kib(kea.pid)
        kea.stop()
        return {"config": kind, "run": run_index, "load": load, "saturation": saturation,
                "kea_log": log_counts(os.path.join(self.work, f"kea-{tag}", "kea.log")),
                "kea_vm_hwm_kib": hwm, "offer_check": verdict}

    def phase(self, kind, tag, kea, total_rate):
        """All perfdhcp instances at once for --duration seconds at `total_rate` DISCOVERs/s."""
        duration = max(1, int(round(self.args.duration)))
        procs = []
        cpu0 = benchlib.cpu_seconds(kea.pid)
        t0 = time.monotonic()
        for inst in self.instances:
            rate = max(1, int(round(total_rate * inst["weight"])))
            log = os.path.join(self.work, f"perfdhcp-{tag}-{inst['name']}.log")
            argv = self.pinned("clients", self.perfdhcp_argv(inst, rate, duration))
            procs.append((inst, self.cli.start(argv, log=log,
                                               name=f"perfdhcp-{inst['name']}")))
        for inst, p in procs:
            netlab.wait_for(lambda p=p: not p.alive(), timeout=duration + 30,
                            what=f"perfdhcp {inst['name']}")
        elapsed = time.monotonic() - t0
        cpu1 = benchlib.cpu_seconds(kea.pid)
        if not kea.alive():
            benchlib.fail(f"kea-dhcp4 ({kind}) died during the run:\n{kea.output()[-2000:]}")
        answered, sent, exchanges, per_template = tally(procs, kind, need_answers=True)
        period = float(duration)
        cpu = (cpu1 - cpu0) if (cpu0 is not None and cpu1 is not None) else None
        return {
            "offered_rate": total_rate, "period_s": period, "elapsed_s": round(elapsed, 3),
            "answered_per_s": answered / period,
            "exchanges_per_s": exchanges / period,
            "drop_ratio": (1.0 - answered / sent) if sent else None,
            "kea_cpu_s": cpu,
            "kea_cpu_us_per_answer": (cpu * 1e6 / answered) if (cpu and answered) else None,
            # Near 1.0 in the saturation phase: Kea, not perfdhcp, was the bottleneck.
            "kea_cpu_busy": (cpu / elapsed) if (cpu is not None and elapsed) else None,
            "templates": per_template,
        }

    # --- instructions per DORA (callgrind) --------------------------------------------------

    # Traffic classes of the instruction phases: the whole mix, and its Pi and non-Pi parts.
    CLASSES = [("mix", None), ("pi", PI_TEMPLATES),
               ("non-pi", {name for name, _, _ in MIX} - PI_TEMPLATES)]

    def instructions(self, kind):
        """One kea-dhcp4 under callgrind per host-name variant (instructions_variant); the
        phases of all variants in one dict, keyed by phase_key."""
        phases, warm = {}, {}
        for variant in config_list(self.args.instr_hostnames):
            w, ph = self.instructions_variant(kind, variant == "with")
            warm[variant] = w
            phases.update(ph)
        return {"config": kind, "warmup": warm, "phases": phases}

    def instructions_variant(self, kind, hostnames):
        """kea-dhcp4 under callgrind at a low fixed rate: a warm-up that leases every simulated
        client, then N DISCOVERs per traffic class from those returning clients, then M per class
        from new clients, the counts dumped after each phase. The warm-up's dump holds startup
        and configuration; each later dump holds exactly one phase, i.e. I(N2) - I(N1) for the
        cumulative count I, so per exchange it is (I(N2) - I(N1)) / (N2 - N1) with startup
        cancelled. An exchange is a DORA (a DISCOVER/OFFER-only exchange of the ROM and
        bootcode.bin counts half, as in the throughput phase). Without host names only the mix
        is counted: Pi queries carry no option 12 or 81 either way."""
        tag = f"{kind}-instr" + ("" if hostnames else "-no-hostname")
        instances = self.instances if hostnames else self.instances_no_hostname
        scale = self.args.instr_clients_scale
        returning = {i["name"]: max(2, int(round(i["clients"] * scale))) for i in instances}
        out_file = os.path.join(self.work, f"callgrind-{tag}.out")
        kea = self.start_kea(kind, tag, wrapper=callgrind_counts.wrapper(out_file),
                             start_timeout=120)
        phases = {}
        try:
            callgrind_counts.dump(kea.pid, out_file)  # startup and configuration
            # At least 5 DISCOVERs per client of each template: every client leased (or, for the
            # ROM and bootcode.bin, offered and held) before the returning phases.
            warm = self.counted_phase(kind, f"{tag}-warmup", instances, self.args.instr_warmup,
                                      clients=returning, min_per_client=5)
            wait_idle(kea.pid)
            callgrind_counts.dump(kea.pid, out_file)
            classes = [c.strip() for c in self.args.instr_classes.split(",")]
            if not hostnames:
                classes = [c for c in classes if c == "mix"]
            plan = [(cls, False, self.args.instr_discovers) for cls in classes]
            if self.args.instr_new_discovers > 0:
                plan += [(cls, True, self.args.instr_new_discovers) for cls in classes
                         if cls in ("mix", "pi")]
            for n, (cls, new, discovers) in enumerate(plan):
                names = dict(self.CLASSES)[cls]
                insts = [i for i in instances if names is None or i["name"] in names]
                key = phase_key(cls, new, hostnames)
                if new:
                    # A base MAC of its own per phase (fourth octet) and far more possible MACs
                    # than DISCOVERs: each DISCOVER comes from a client Kea has not seen.
                    ph = self.counted_phase(kind, f"{tag}-{cls}-new", insts, discovers,
                                            clients={i["name"]: 65536 for i in insts},
                                            mac_octet=0x80 + n)
                else:
                    ph = self.counted_phase(kind, f"{tag}-{cls}", insts, discovers,
                                            clients=returning)
                ph["settle_s"] = wait_idle(kea.pid)
                path = callgrind_counts.dump(kea.pid, out_file)
                ph["instructions"] = callgrind_counts.total_instructions(path)
                # Replies counted where Kea sends them (calls of IfaceMgr::send in the dump):
                # exact even when perfdhcp gave up on a late answer.
                ph["kea_replies"] = callgrind_counts.call_count(path)
                # Leases Kea created in the phase: ~0 for returning clients (the ROM's held
                # OFFERs aside), one per DORA for new ones.
                ph["leases_added"] = callgrind_counts.call_count(path, LEASE_ADD_FUNCTION)
                ph["clients"] = "new" if new else "returning"
                ph["hostnames"] = hostnames
                if not ph["kea_replies"] or not ph["instructions"]:
                    benchlib.fail(f"kea-dhcp4 ({kind}) under callgrind sent no reply in the "
                                  f"{key} phase (or its dump {path} has no totals)")
                ph["exchanges_kea"] = ph["kea_replies"] / 2.0
                ph["instructions_per_exchange"] = (ph["instructions"] / ph["exchanges_kea"]
                                                   if ph["exchanges_kea"] else None)
                ph["dump"] = os.path.basename(path)
                # Where they go: inclusive counts of named Kea and hook functions; the dump is
                # kept for callgrind_annotate.
                if ph["exchanges_kea"]:
                    ph["hotspots_per_exchange"] = {
                        k: v / ph["exchanges_kea"]
                        for k, v in callgrind_counts.hotspots(path).items()}
                # A library configuration whose callouts Kea never called would pass for Kea's
                # floor (empty-hook equal to none): the dispatch must show in the counts.
                dispatch = ph.get("hotspots_per_exchange", {}).get(DISPATCH_HOTSPOT, 0)
                if kind in ("hook", "hook-events", "empty-hook") and not dispatch:
                    benchlib.fail(f"kea-dhcp4 ({kind}) under callgrind never dispatched to the "
                                  f"library in the {key} phase (no {DISPATCH_HOTSPOT} in {path})")
                shutil.copyfile(path, os.path.join(
                    self.out, f"callgrind-{kind}-{key.replace(' ', '-')}.out"))
                phases[key] = ph
                print(f"hook_overhead: instructions {kind:12s} {key:24s} "
                      f"{fmt(ph['instructions_per_exchange'], 0)} per DORA "
                      f"({ph['exchanges_kea']:.1f} exchanges by Kea's replies, "
                      f"{ph['exchanges']:.1f} by perfdhcp's, {ph['leases_added']} leases added)",
                      flush=True)
        except (subprocess.SubprocessError, RuntimeError) as e:
            benchlib.fail(f"callgrind counts of kea-dhcp4 ({kind}) failed: {e}")
        finally:
            kea.stop(timeout=30)
        return warm, phases

    def counted_phase(self, kind, tag, instances, discovers, clients=None, mac_octet=None,
                      min_per_client=0):
        """Instances at their mix weights (renormalised over `instances`) send `discovers`
        DISCOVERs in all at --instr-rate (each at least min_per_client times its clients);
        waits for every perfdhcp to finish. `clients` ({template: count}) overrides the
        templates' client counts, `mac_octet` the fourth octet of their base MACs."""
        total_w = sum(i["weight"] for i in instances)
        procs = []
        total = 0
        for inst in instances:
            share = inst["weight"] / total_w
            n_clients = (clients or {}).get(inst["name"], inst["clients"])
            count = max(1, int(round(discovers * share)), min_per_client * n_clients)
            total += count
            rate = max(1, int(round(self.args.instr_rate * share)))
            base_mac = None
            if mac_octet is not None:
                octets = inst["base_mac"].split(":")
                octets[3] = f"{mac_octet:02x}"
                base_mac = ":".join(octets)
            log = os.path.join(self.work, f"perfdhcp-{tag}-{inst['name']}.log")
            procs.append((inst, self.cli.start(
                self.perfdhcp_argv(inst, rate, count=count, clients=n_clients,
                                   base_mac=base_mac),
                log=log, name=f"perfdhcp-{inst['name']}")))
        limit = total / max(1, self.args.instr_rate) + 60
        for inst, p in procs:
            netlab.wait_for(lambda p=p: not p.alive(), timeout=limit,
                            what=f"perfdhcp {inst['name']} ({kind}, {tag})")
        answered, sent, exchanges, per_template = tally(procs, f"{kind}, {tag}")
        return {"answered": answered, "sent": sent, "drops": sent - answered,
                "exchanges": exchanges, "templates": per_template}

    def ours_by_function(self, instr, top=14):
        """Where hook - empty-hook goes, per DORA: the self cost of each function in the hook's
        dump minus the empty hook's, for the mix and for Pi traffic with new clients. It holds
        our callouts and the Kea work they cause (the options packed, class look-ups, holds,
        statistics); the functions that grew most, and the sum of all."""
        runs = {r["config"]: r for r in instr}
        if "hook" not in runs or "empty-hook" not in runs:
            return {}
        out = {}
        for key in ("mix", "pi new", "mix new no-hostname"):
            ph_h, ph_e = runs["hook"]["phases"].get(key), runs["empty-hook"]["phases"].get(key)
            if not ph_h or not ph_e:
                continue
            name = f"-{key.replace(' ', '-')}.out"
            h = callgrind_counts.self_costs(os.path.join(self.out, "callgrind-hook" + name))
            e = callgrind_counts.self_costs(os.path.join(self.out, "callgrind-empty-hook" + name))
            diff = {}
            for fn in set(h) | set(e):
                v = h.get(fn, 0) / ph_h["exchanges_kea"] - e.get(fn, 0) / ph_e["exchanges_kea"]
                short = short_function(fn)
                diff[short] = diff.get(short, 0) + v
            ranked = sorted(diff.items(), key=lambda kv: -kv[1])
            out[key] = {"total": sum(diff.values()),
                        "top": [[fn, v] for fn, v in ranked[:top] if v > 0]}
        return out

    def run(self):
        configs = config_list(self.args.configs)
        instr_configs = config_list(self.args.instr_configs) if self.args.instr_discovers > 0 \
            else []
        used = set(configs) | set(instr_configs)
        self.hook = find_hook(self.build, self.args.hook)
        self.empty_hook = find_empty_hook(self.build)
        skipped = {}
        if used & {"hook", "hook-events"} and not self.hook:
            # Without the hook there is no comparison to make: skip (fail under CI=true).
            netlab.skip_or_fail(f"libdhcp_rpi_netboot.so not built in {self.build}")
        if "empty-hook" in used and not self.empty_hook:
            # Without the control, Kea's floor cannot be told from the hook's own cost.
            netlab.skip_or_fail(f"libdhcp_rpinb_empty_hook.so (Kea's floor, the empty-hook "
                                f"configuration) not built in {self.build}")
        results = []
        # Configurations interleaved within each run, so that a noisy minute hits all of them;
        # the order rotates from run to run so that none is always first after a pause.
        for r in range(1, self.args.runs + 1):
            shift = (r - 1) % len(configs)
            for kind in configs[shift:] + configs[:shift]:
                res = self.measure(kind, r)
                sat, load = res["saturation"], res["load"]
                print(f"hook_overhead: run {r} {kind:12s} {sat['exchanges_per_s']:8.1f} DORA/s "
                      f"(drops {100 * (sat['drop_ratio'] or 0):.1f}%, kea busy "
                      f"{100 * (sat['kea_cpu_busy'] or 0):.0f}%); at "
                      f"{load['offered_rate']}/s: kea {fmt(load['kea_cpu_us_per_answer'])} "
                      f"us/answer (drops {100 * (load['drop_ratio'] or 0):.1f}%)", flush=True)
                results.append(res)
        instr = []
        if instr_configs:
            if not callgrind_counts.available():
                netlab.skip_or_fail("valgrind (callgrind_control) not installed: no instruction "
                                    "counts (deps/bench.txt)")
            else:
                instr = [self.instructions(kind) for kind in instr_configs]
        summary = summarize(results, configs)
        summary["instructions"] = summarize_instructions(instr)
        summary["instructions"]["ours_by_function"] = self.ours_by_function(instr)
        data = {"parameters": {"runs": self.args.runs, "duration_s": self.args.duration,
                               "offered_rate": self.args.rate,
                               "load_rate": self.args.load_rate, "mix": MIX,
                               "log_severity": self.args.log_severity, "pin": self.cpus,
                               "kea_version": kea_version(),
                               "configs": configs, "instr_configs": instr_configs,
                               "hook": self.hook, "hook_parameters": self.args.hook_parameters,
                               "empty_hook": self.empty_hook,
                               "smoke": self.args.smoke,
                               "instr_rate": self.args.instr_rate,
                               "instr_warmup": self.args.instr_warmup,
                               "instr_discovers": self.args.instr_discovers,
                               "instr_classes": self.args.instr_classes,
                               "instr_clients_scale": self.args.instr_clients_scale,
                               "instr_new_discovers": self.args.instr_new_discovers,
                               "instr_hostnames": self.args.instr_hostnames},
                "skipped": skipped, "runs": results, "instruction_runs": instr,
                "summary": summary}
        path = benchlib.write_result(self.out, "hook_overhead", data)
        print(f"hook_overhead: wrote {path}")
        for kind, s in summary["configs"].items():
            if s["exchanges_per_s"] is None:
                continue
            print(f"hook_overhead: {kind:12s} median {s['exchanges_per_s']:9.1f} DORA/s, "
                  f"kea {fmt(s['kea_cpu_us_per_answer'])} us/answer")
        for name, value in summary["ratios"].items():
            print(f"hook_overhead: {name} = {fmt(value, 3)}")
        for name, value in summary["instructions"].get("ratios", {}).items():
            print(f"hook_overhead: instructions per DORA {name} = {fmt(value, 4)}")
        for cls, d in summary["instructions"].get("decomposition", {}).items():
            print(f"hook_overhead: {cls}: hook/none {fmt(d['hook/none'], 4)} = Kea floor "
                  f"{pct_of_none(d.get('kea floor'))} + Pi options pack "
                  f"{pct_share(d.get('pi options pack'))} + ours {pct_share(d.get('ours'))}")
        shutil.rmtree(self.work, ignore_errors=True)  # kept only when something failed
        return 0


def short_function(annotated):
    """callgrind_annotate's "file:function [object]" as "function (object)", no path."""
    text, obj = annotated, ""
    if text.endswith("]") and " [" in text:
        text, obj = text[:-1].rsplit(" [", 1)
        obj = os.path.basename(obj)
    m = re.match(r"^[^:]*:(?!:)(.*)$", text)
    if m:
        text = m.group(1)
    text = text[:87] + "..." if len(text) > 90 else text
    return f"{text} ({obj})" if obj else text


def fmt(value, digits=1):
    return "n/a" if value is None else f"{value:.{digits}f}"


def pct_of_none(ratio):
    return "n/a" if ratio is None else f"{(ratio - 1) * 100:+.2f}%"


def pct_share(part):
    return "n/a" if not part or part.get("share_of_none") is None else \
        f"{part['share_of_none'] * 100:+.2f}%"


def kea_version():
    """kea-dhcp4 -v (e.g. "2.2.0"): the floor measured is this Kea's."""
    try:
        out = subprocess.run(["kea-dhcp4", "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def summarize(results, configs):
    out = {"configs": {}, "ratios": {}}
    for kind in configs:
        rows = [r for r in results if r["config"] == kind]
        sat = [r["saturation"] for r in rows]
        load = [r["load"] for r in rows]
        out["configs"][kind] = {
            "exchanges_per_s": benchlib.median([p["exchanges_per_s"] for p in sat]),
            "answered_per_s": benchlib.median([p["answered_per_s"] for p in sat]),
            "drop_ratio": benchlib.median([p["drop_ratio"] for p in sat]),
            "load_drop_ratio": benchlib.median([p["drop_ratio"] for p in load]),
            "kea_cpu_us_per_answer": benchlib.median([p["kea_cpu_us_per_answer"] for p in load]),
            "kea_vm_hwm_kib": benchlib.median([r["kea_vm_hwm_kib"] for r in rows]),
            "runs": len(rows),
        }
    c = out["configs"]

    def ratio(a, b, key):
        if a in c and b in c and c[a][key] and c[b][key]:
            return c[a][key] / c[b][key]
        return None

    out["ratios"] = {
        "throughput hook/none": ratio("hook", "none", "exchanges_per_s"),
        "throughput hook/config-only": ratio("hook", "config-only", "exchanges_per_s"),
        "throughput config-only/none": ratio("config-only", "none", "exchanges_per_s"),
        "cpu per answer hook/none": ratio("hook", "none", "kea_cpu_us_per_answer"),
        "cpu per answer hook/config-only": ratio("hook", "config-only", "kea_cpu_us_per_answer"),
        "cpu per answer config-only/none": ratio("config-only", "none", "kea_cpu_us_per_answer"),
    }
    # Paired by run: configurations of one run ran within seconds of each other, so the ratio
    # within a run cancels the slow drift of the machine's load; its spread over the runs is
    # what the load's fast changes leave.
    paired = {}
    by_run = {}
    for r in results:
        by_run.setdefault(r["run"], {})[r["config"]] = r
    for a, b in (("hook", "none"), ("hook", "config-only"), ("config-only", "none")):
        for key, phase, name in (("exchanges_per_s", "saturation", "throughput"),
                                 ("kea_cpu_us_per_answer", "load", "cpu per answer")):
            values = [run[a][phase][key] / run[b][phase][key] for run in by_run.values()
                      if a in run and b in run and run[a][phase][key] and run[b][phase][key]]
            if values:
                paired[f"{name} {a}/{b}"] = {"median": benchlib.median(values),
                                             "min": min(values), "max": max(values),
                                             "n": len(values)}
    out["paired_ratios"] = paired
    # Spread of each configuration over its runs, relative to its median.
    for kind, c in out["configs"].items():
        tp = [r["saturation"]["exchanges_per_s"] for r in results if r["config"] == kind]
        if tp and c["exchanges_per_s"]:
            c["throughput_range"] = [min(tp), max(tp)]
            c["throughput_spread"] = (max(tp) - min(tp)) / c["exchanges_per_s"]
        logs = [r.get("kea_log") for r in results if r["config"] == kind and r.get("kea_log")]
        c["kea_log_lines_max"] = max((sum(x.values()) for x in logs), default=0)
    return out


_SEVERITY = re.compile(r"\b(FATAL|ERROR|WARN|INFO|DEBUG)\b")


def log_counts(path):
    """Lines per severity in one kea-dhcp4 log: every configuration must log alike (a
    configuration logging per packet would measure its logger)."""
    counts = {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = _SEVERITY.search(line)
                key = m.group(1) if m else "other"
                counts[key] = counts.get(key, 0) + 1
    except OSError:
        return None
    return counts


def wait_idle(pid, quiet_s=0.5, timeout=60):
    """Waits until a process has used no CPU for `quiet_s` (kea-dhcp4 under callgrind may still
    be answering queued queries when perfdhcp is done); returns the seconds waited."""
    t0 = time.monotonic()
    last, since = benchlib.cpu_seconds(pid), time.monotonic()
    while time.monotonic() - t0 < timeout:
        time.sleep(0.1)
        now = benchlib.cpu_seconds(pid)
        if now is None:
            break
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
    return round(time.monotonic() - t0, 2)


def summarize_instructions(instr):
    """Instructions per DORA per configuration and traffic class, the ratios, and per class the
    decomposition of hook/none (decompose)."""
    per = {r["config"]: {cls: ph["instructions_per_exchange"] for cls, ph in r["phases"].items()}
           for r in instr}
    pack = {r["config"]: {cls: (ph.get("hotspots_per_exchange") or {}).get(PACK_HOTSPOT)
                          for cls, ph in r["phases"].items()} for r in instr}
    drops = {r["config"]: sum(ph["drops"] for ph in r["phases"].values()) for r in instr}
    leases = {r["config"]: {cls: ph.get("leases_added") for cls, ph in r["phases"].items()}
              for r in instr}
    keys = []
    for r in instr:
        keys += [k for k in r["phases"] if k not in keys]
    ratios = {}
    for a, b in (("hook", "none"), ("hook", "config-only"), ("config-only", "none"),
                 ("empty-hook", "none"), ("hook", "empty-hook"), ("hook-events", "hook"),
                 ("hook-events", "none")):
        for cls in keys:
            x, y = per.get(a, {}).get(cls), per.get(b, {}).get(cls)
            if x and y:
                ratios[f"{a}/{b} {cls}"] = x / y
    decomposition = {}
    for cls in keys:
        d = decompose({k: v.get(cls) for k, v in per.items()},
                      {k: v.get(cls) for k, v in pack.items()})
        if d:
            decomposition[cls] = d
    return {"per_exchange": per, "drops": drops, "ratios": ratios,
            "decomposition": decomposition, "leases_added": leases, "phases": keys}


def decompose(per, pack):
    """Splits hook/none for one traffic class, from instructions per DORA `per` and the Pkt4::pack
    hotspot per DORA `pack` ({config: value}):
    - kea floor = empty-hook/none: Kea calling any library at pkt4_receive + pkt4_send;
    - hook over floor = hook/empty-hook: our callouts and the options they add;
    - pi options pack = hook's Pkt4::pack minus none's, per DORA and as a share of none's
      instructions per DORA: Kea packing the three options a Pi needs into the reply;
    - ours = the rest of hook - none, per DORA and as a share of none's.
    None without the hook and none; the floor parts are None without the empty hook."""
    hook, none, empty = per.get("hook"), per.get("none"), per.get("empty-hook")
    if not hook or not none:
        return None
    out = {"hook/none": hook / none, "kea floor": empty / none if empty else None,
           "hook over floor": hook / empty if empty else None}
    if pack.get("hook") is not None and pack.get("none") is not None:
        extra = pack["hook"] - pack["none"]
        out["pi options pack"] = {"per_exchange": extra, "share_of_none": extra / none}
    else:
        out["pi options pack"] = None
    if empty and out["pi options pack"]:
        ours = hook - empty - out["pi options pack"]["per_exchange"]
        out["ours"] = {"per_exchange": ours, "share_of_none": ours / none}
        # What no library at these hook points avoids under this Kea: the floor plus the packing
        # of the options a Pi needs, as a share of none's instructions per DORA.
        out["floor share of none"] = (empty - none) / none + out["pi options pack"]["share_of_none"]
    else:
        out["ours"] = out["floor share of none"] = None
    return out


_SECTION = re.compile(r"\*\*\*Statistics for: (\S+)\*\*\*")


def tally(procs, label, need_answers=False):
    """Sums the perfdhcp instances' statistics: (answered queries, sent queries, DORA-equivalent
    exchanges, per-template counts). Fails when one gave none (or, with need_answers, got no
    answer at all)."""
    answered = sent = 0
    exchanges = 0.0
    per_template = {}
    for inst, p in procs:
        stats = parse_perfdhcp(p.output())
        if stats is None:
            benchlib.fail(f"perfdhcp {inst['name']} ({label}) gave no statistics:\n"
                          f"{p.output()[-2000:]}")
        do, ra = stats.get("DISCOVER-OFFER"), stats.get("REQUEST-ACK")
        got = do["received"] + (ra["received"] if ra else 0)
        if need_answers and got == 0:
            benchlib.fail(f"perfdhcp {inst['name']} ({label}) got no answer at all")
        answered += got
        sent += do["sent"] + (ra["sent"] if ra else 0)
        # A DORA-equivalent exchange is two answered queries (OFFER and ACK).
        exchanges += got / 2.0
        per_template[inst["name"]] = {"discover_sent": do["sent"], "offers": do["received"],
                                      "acks": ra["received"] if ra else None,
                                      "rate_reported": stats.get("rate")}
    return answered, sent, exchanges, per_template


def parse_perfdhcp(text):
    """perfdhcp's final report: per exchange type sent/received/drops, and the rate line."""
    stats, current = {}, None
    for line in text.splitlines():
        m = _SECTION.search(line)
        if m:
            current = stats.setdefault(m.group(1), {})
            continue
        m = re.match(r"Rate: ([0-9.]+)", line)
        if m:
            stats["rate"] = float(m.group(1))
            continue
        if current is not None:
            m = re.match(r"(sent packets|received packets|drops): (\d+)", line)
            if m:
                current[m.group(1).split()[0]] = int(m.group(2))
    if "DISCOVER-OFFER" not in stats or "received" not in stats["DISCOVER-OFFER"]:
        return None
    return stats


def main():
    args = parse_args()
    netlab.require_root()
    benchlib.require(["perfdhcp", "kea-dhcp4", "ss"])
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
