#!/usr/bin/python3
"""Turns the benchmark JSON files of one `make bench` into a Markdown report and PNG plots.

Usage: report.py --raw DIR --md FILE.md [--plots-prefix PREFIX] [--elapsed S] [--readme README.md]
Reads whichever of micro.json, hook_overhead.json, events.json, boot_storm.json exist in DIR, and the TFTP
comparison that bench/tftp/compare.py wrote into DIR/tftp: from its JSON format 2 on, its own
Markdown (ranges, verdicts, floor, lossy link) is included as it is and the JSON rows are
plotted; older JSON with the rows this report knows (server, pis, blksize, mb_per_s,
cpu_ms_per_mb, rrq_p50_ms, rrq_p99_ms) gets the table below. With --readme, replaces the text between the README's bench section markers with the
summary tables (nothing else in the README is touched).
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

README_INTRO = """\
`make bench` (root: network namespaces) runs every benchmark side by side and prints
how long it took; `bench/run.sh --only micro,hook,tftp,storm` runs a subset. Results go to
`bench/results/<date>.md` with PNG plots (gnuplot), the raw JSON to `bench/results/raw/<date>/`,
and the tables below are rewritten by `bench/report.py`. The benchmarks are not part of
`make test`; a smoke run of each with tiny sizes is (`ctest -L bench-smoke`:
`bench_smoke_hook_overhead`, `bench_smoke_micro`, `bench_smoke_tftp`, `bench_smoke_storm`),
so they cannot rot.

- **Hook overhead** (`bench/dhcp/hook_overhead.py`): Kea's `perfdhcp` in template mode sends
  core's exact Pi DISCOVERs/REQUESTs mixed with Linux and x86 PXE clients to a real `kea-dhcp4`
  in three configurations, interleaved in the same run: no hook; our hook; and the config-only
  class that Pi-on-Kea guides publish (option 60 test, `vendor-encapsulated-options-space`
  option-defs 6/9/10). Before every run each configuration's OFFERs are decoded with core's
  option 43 decoder, so a configuration that would not boot a Pi is never measured. Beside the
  throughput, which this shared VM cannot resolve to a few percent, kea-dhcp4 runs once per
  configuration under valgrind's callgrind at a low fixed rate: user-space instructions per DORA
  exchange (mix, Pi and non-Pi traffic), a count that does not depend on the machine's load, and
  which Kea and hook functions they go to. There a fourth configuration, a library whose callouts
  do nothing (`bench/dhcp/empty_hook.cpp`), measures Kea's own floor for calling any library at
  pkt4_receive/pkt4_send, so that hook/none splits into that floor, Kea packing the options a Pi
  needs, and our callouts' own cost.
- **Per-packet cost** (`bench/micro/`, Google Benchmark): the hook's logic class on Kea `Pkt4`
  objects, classification (pkt4_receive) + injection (pkt4_send).
- **TFTP** (`bench/tftp/compare.py`): rpi-tftpd against dnsmasq, tftpd-hpa, atftpd and a floor
  server (the least a lock-step sender can do: the kernel's own cost), on a 1 MB file and on Pi 4
  and Pi 5 boot sets at real sizes, at 32 and 128 Pis. The headline is each server's CPU per MB
  from a cgroup of its own (not wall time, which on a shared machine measures the other jobs);
  servers interleaved in each of 5 runs, min-max shown with the load average, and a verdict of
  "inconclusive" where the ranges overlap. Then 128 Pis boot over a lossy, delayed veth link
  (1 ms, 0.5% loss): time to the last boot and each server's re-sends per MB.
- **Boot storm** (`bench/storm/`): emulated Pis of all four boot stages (C++ load generator on
  probe/dhcp and probe/tftp) DHCP against kea-dhcp4 + hook and walk their TFTP boots against
  rpi-tftpd. Its files are scaled to a quarter of a Raspberry Pi OS boot partition's by default
  (`boot_storm.py --scale 1` for full size): the 200 emulated lock-step clients run on the same
  machine as the daemons, and at full size (2.5 GB in all) a trial on 2026-11-23 had 0 of 200 Pis
  booted, every one stopped by the Pi's 30-second per-file limit at about 17 MB/s aggregate.

The machine these numbers come from is a shared 2-core VM on which up to seven other agents were
building and testing at the same time (the load average is printed below): absolute numbers are
pessimistic and noisy, the side-by-side ratios within one run are what to read.
"""

README_BEGIN = "<!-- section: bench -->"
README_END = "<!-- end: bench -->"


def load(raw, name):
    path = os.path.join(raw, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


CONFIG_ORDER = ["none", "empty-hook", "config-only", "hook", "hook-events"]
GOAL_OVER_NONE = 0.03  # goal: the hook costs under 3% versus no hook


def ordered_configs(summary):
    configs = summary["configs"]
    keys = [k for k in CONFIG_ORDER if k in configs] + [k for k in configs if k not in CONFIG_ORDER]
    return [(k, configs[k]) for k in keys]


def num(value, digits=1, unit=""):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def pct(ratio):
    return "n/a" if ratio is None else f"{(ratio - 1) * 100:+.1f}%"


def share(part):
    """A {"share_of_none": x} part of the instruction decomposition, as a signed percentage."""
    return "n/a" if not part or part.get("share_of_none") is None else \
        f"{part['share_of_none'] * 100:+.1f}%"


def kea_name(p):
    return f"Kea {p['kea_version']}" if p.get("kea_version") else "Kea 2.2"


def machine_line(data):
    m = (data or {}).get("machine", {})
    parts = [m.get("Model name", "unknown CPU"), f"{m.get('nproc', '?')} CPUs"]
    if m.get("Hypervisor vendor"):
        parts.append(f"{m['Hypervisor vendor']} VM")
    if m.get("memory_mib"):
        parts.append(f"{m['memory_mib'] / 1024:.1f} GiB RAM")
    parts.append(f"Linux {m.get('kernel', '?')}")
    if m.get("loadavg_at_start"):
        end = ""
        try:
            with open("/proc/loadavg") as f:
                end = f", {f.read().split()[0]} when the report was written"
        except OSError:
            pass
        parts.append(f"load average {m['loadavg_at_start']} at the first benchmark's start{end}")
    return ", ".join(parts)


def hook_section(d):
    s = d["summary"]
    p = d["parameters"]
    lines = ["## Hook overhead inside kea-dhcp4", ""]
    lines.append(f"perfdhcp (template mode) against kea-dhcp4 {p.get('kea_version') or '2.2'} in network namespaces"
                 + (f"; {p['runs']} runs of {p['duration_s']:g} s per phase, median"
                    if d.get("runs") else "")
                 + ". Traffic mix: "
                 + ", ".join(f"{n} {w * 100:.0f}%" for n, w, _ in p["mix"])
                 + f" (Pis {sum(w for n, w, _ in p['mix'] if n in ('pi4', 'pi5', 'bootcode', 'rom3')) * 100:.0f}%)."
                 + (f" Throughput at an offered {p['offered_rate']} DISCOVERs/s (saturation); "
                    f"server CPU per answered query at {p['load_rate']}/s." if d.get("runs") else ""))
    lines.append("")
    if d.get("runs"):
        lines.append("| configuration | DORA exchanges/s | drops | vs none | kea-dhcp4 CPU per answer | vs none | peak RSS |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
    else:
        lines.append("No throughput runs (`--runs 0`): instruction counts only.")
    base = s["configs"].get("none", {})
    for kind, c in ordered_configs(s) if d.get("runs") else []:
        tp = (c["exchanges_per_s"] / base["exchanges_per_s"]) if base.get("exchanges_per_s") else None
        cpu = (c["kea_cpu_us_per_answer"] / base["kea_cpu_us_per_answer"]) \
            if base.get("kea_cpu_us_per_answer") and c["kea_cpu_us_per_answer"] else None
        lines.append(f"| {kind} | {num(c['exchanges_per_s'])} | "
                     f"{num((c['drop_ratio'] or 0) * 100, 1, '%')} | {pct(tp)} | "
                     f"{num(c['kea_cpu_us_per_answer'], 1, ' µs')} | {pct(cpu)} | "
                     f"{num((c['kea_vm_hwm_kib'] or 0) / 1024, 1, ' MiB')} |")
    runs = d.get("runs", [])
    if len(runs) > 1:
        spread = []
        for kind, c in ordered_configs(s):
            tp = [x["saturation"]["exchanges_per_s"] for x in runs if x["config"] == kind]
            cpu = [x["load"]["kea_cpu_us_per_answer"] for x in runs
                   if x["config"] == kind and x["load"]["kea_cpu_us_per_answer"]]
            if tp and cpu:
                spread.append(f"{kind} {num(min(tp), 0)}-{num(max(tp), 0)} DORA/s "
                              f"({num((max(tp) - min(tp)) / c['exchanges_per_s'] * 100, 0)}% of "
                              f"the median), {num(min(cpu), 0)}-{num(max(cpu), 0)} µs")
        busy = []
        for kind, _ in ordered_configs(s):
            b = [x["saturation"].get("kea_cpu_busy") for x in runs if x["config"] == kind]
            b = [v for v in b if v is not None]
            if b:
                busy.append(f"{kind} {num(min(b) * 100, 0)}-{num(max(b) * 100, 0)}%")
        busy_text = ("kea-dhcp4's CPU busy share during the saturation phases (near 100%: Kea, "
                     "not perfdhcp, set the pace): " + ", ".join(busy) + ". ") if busy else ""
        lines.append("")
        pin = p.get("pin")
        lines.append("Run-to-run range (min-max over the runs): " + "; ".join(spread) + ". When "
                     "these ranges are wider than the differences between configurations, the "
                     "machine's load, not the configuration, decided the ratios below. "
                     + busy_text
                     + (f"kea-dhcp4 was pinned to CPU {pin['kea']} and perfdhcp to CPU "
                        f"{pin['clients']} (taskset); " if pin else "")
                     + "the configurations ran interleaved, their order rotating from run to run.")
        paired = s.get("paired_ratios", {})
        if paired:
            lines.append("")
            lines.append("Ratios paired by run (each run's configurations ran within a minute "
                         "of each other), median and min-max over the runs: " + "; ".join(
                             f"{k} {num(v['median'], 3)} ({num(v['min'], 3)}-{num(v['max'], 3)})"
                             for k, v in paired.items()) + ".")
        logs = {k: c.get("kea_log_lines_max") for k, c in ordered_configs(s)
                if c.get("kea_log_lines_max") is not None}
        if logs:
            lines.append("")
            lines.append(f"kea-dhcp4 logged at severity {p.get('log_severity', '?')} in every "
                         "configuration; most log lines in one run: " + ", ".join(
                             f"{k} {v}" for k, v in logs.items())
                         + (" (none per packet: no configuration measured its logger)."
                            if max(logs.values()) < 20 else
                            ": **a configuration logs per packet, its numbers measure its "
                            "logger**."))
    lines.append("")
    r = s["ratios"]
    goals = []

    paired = s.get("paired_ratios", {})

    def verdict(value, limit, higher_is_better, paired_key=None):
        if value is None:
            return "n/a"
        # Throughput and CPU time move with the machine's load: when the ratios of single runs
        # fall on both sides of the goal, the median says nothing about the configuration.
        pr = paired.get(paired_key) if paired_key else None
        if pr and pr["n"] > 1 and pr["min"] < limit < pr["max"]:
            return (f"inconclusive (median {value:.3f}, but single runs gave "
                    f"{pr['min']:.3f}-{pr['max']:.3f}, on both sides of the goal)")
        ok = value >= limit if higher_is_better else value <= limit
        return "met" if ok else "not met"

    if r.get("throughput hook/none") is not None:
        goals.append(f"- Goal: the hook costs under 3% versus no hook. Throughput ratio "
                     f"{num(r['throughput hook/none'], 3)} (goal >= 0.970): "
                     f"**{verdict(r['throughput hook/none'], 0.97, True, 'throughput hook/none')}**; "
                     f"kea-dhcp4 CPU per "
                     f"answer ratio {num(r['cpu per answer hook/none'], 3)} (goal <= 1.030): "
                     f"**{verdict(r['cpu per answer hook/none'], 1.03, False, 'cpu per answer hook/none')}**.")
    if r.get("throughput hook/config-only") is not None:
        goals.append(f"- Goal: the hook no slower than config-only. Throughput ratio "
                     f"{num(r['throughput hook/config-only'], 3)} (goal >= 1.000): "
                     f"**{verdict(r['throughput hook/config-only'], 1.0, True, 'throughput hook/config-only')}**; "
                     f"CPU per "
                     f"answer ratio {num(r['cpu per answer hook/config-only'], 3)} (goal <= 1.000):"
                     f" **{verdict(r['cpu per answer hook/config-only'], 1.0, False, 'cpu per answer hook/config-only')}**.")
    instr = s.get("instructions", {})
    ir = instr.get("ratios", {})
    if ir.get("hook/none mix") is not None:
        decomposition = instr.get("decomposition", {})
        classes = [c for c in ("mix", "pi", "non-pi") if ir.get(f"hook/none {c}") is not None]
        goals.append("- Goal: the hook costs under 3% versus no hook, in instructions per DORA "
                     "(callgrind, deterministic; tables below; goal hook/none <= 1.030): "
                     + "; ".join(floor_verdict(c, ir[f"hook/none {c}"], decomposition.get(c),
                                               kea_name(p)) for c in classes) + ".")
        goals.append(f"- Goal: the hook no slower than config-only, in instructions per DORA: "
                     f"hook/config-only {num(ir.get('hook/config-only mix'), 3)} (goal <= 1.000): "
                     f"**{verdict(ir.get('hook/config-only mix'), 1.0, False)}**."
                     + (f" By traffic: Pi {num(ir.get('hook/config-only pi'), 3)}, non-Pi "
                        f"{num(ir.get('hook/config-only non-pi'), 3)}."
                        if ir.get("hook/config-only pi") is not None else ""))
    if ir.get("hook-events/hook mix") is not None:
        per = instr.get("per_exchange", {})
        classes = [c for c in ("mix", "pi", "non-pi") if ir.get(f"hook-events/hook {c}")]
        parts = []
        for c in classes:
            extra = per["hook-events"][c] - per["hook"][c]
            parts.append(f"{c} {num(ir[f'hook-events/hook {c}'], 3)} ({extra:+,.0f} per DORA; "
                         f"hook-events/none {num(ir.get(f'hook-events/none {c}'), 3)})")
        goals.append("- Boot events on (`events` to a JSON-lines file) vs off, instructions per "
                     "DORA, hook-events/hook: " + "; ".join(parts) + ". Within the 3% budget "
                     "only if hook-events/none <= 1.030, which hook/none alone does not meet: "
                     "the line gives what the events add.")
    if d.get("skipped"):
        for k, why in d["skipped"].items():
            goals.append(f"- Not measured: {k} ({why}).")
    lines += goals
    lines += instructions_lines(d)
    # What each configuration actually answered (from the OFFER check before every run).
    checks = {}
    for run in d.get("runs", []):
        checks.setdefault(run["config"], run.get("offer_check", {}))
    if checks:
        lines.append("")
        lines.append("What each configuration OFFERs per client template, checked before every "
                     "run with core's option 43 decoder (\"boots a Pi\": discovery control 3, "
                     "prompt {0, PXE}, a boot menu holding \"Raspberry Pi Boot\", option 60 "
                     "PXEClient; the Pi 3B ROM needs the menu padded with three spaces, "
                     "docs/protocol/dhcp.md \"The reply a Pi needs\"). A non-Pi that gets it is "
                     "misclassified:")
        lines.append("")
        names = sorted({n for c in checks.values() for n in c})
        lines.append("| configuration | " + " | ".join(names) + " |")
        lines.append("|---|" + "---|" * len(names))
        for kind in [k for k in CONFIG_ORDER if k in checks]:
            c = checks[kind]
            cells = []
            for n in names:
                v = c.get(n, {})
                if v.get("pi_boot_menu") and n == "rom3" and not v.get("rom_padded"):
                    cells.append("Pi menu unpadded: the 3B ROM miscounts it")
                elif v.get("pi_boot_menu"):
                    cells.append("boots a Pi" + (" (ROM padding)" if v.get("rom_padded") else ""))
                else:
                    cells.append("other 43" if v.get("option43") else "-")
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return lines


CLASS_NAMES = {"mix": "mix", "pi": "Pi traffic", "non-pi": "non-Pi traffic"}


def floor_verdict(cls, ratio, dec, kea):
    """The 3% goal on one traffic class, in instructions. When it is not met, says whether the
    floor alone (Kea calling any library at the two hook points, plus Kea packing the options a
    Pi needs) already exceeds 3%, i.e. whether any library there could meet it."""
    met = ratio <= 1 + GOAL_OVER_NONE
    text = f"{CLASS_NAMES[cls]} hook/none {ratio:.3f}: **{'met' if met else 'not met'}**"
    if met:
        return text
    floor = (dec or {}).get("floor share of none")
    if floor is None:
        return text + " (no empty-hook count: Kea's floor is not measured)"
    parts = (f"Kea floor {pct(dec['kea floor'])} + Pi option packing "
             f"{share(dec['pi options pack'])} = {floor * 100:+.1f}%")
    if floor > GOAL_OVER_NONE:
        return (text + f", and the floor alone ({parts}) already exceeds 3%: no library that "
                f"adds the Pi's options at pkt4_receive/pkt4_send can meet it on this traffic "
                f"under {kea}")
    return (text + f"; the floor alone ({parts}) is within 3%: ours "
            f"({share(dec['ours'])}) takes it over")


def decomposition_lines(d):
    """hook/none split into Kea's floor, Kea's packing of the Pi options, and ours."""
    dec = d["summary"].get("instructions", {}).get("decomposition", {})
    rows = [(c, dec[c]) for c in ("mix", "pi", "non-pi") if dec.get(c)]
    if not rows or all(r.get("kea floor") is None for _, r in rows):
        return []
    kea = kea_name(d["parameters"])
    lines = ["", f"Where hook/none comes from, as shares of none's instructions per DORA: "
             f"**Kea floor** = empty-hook/none, what {kea} costs for calling any library at "
             "pkt4_receive and pkt4_send (a library whose callouts do nothing: "
             "`bench/dhcp/empty_hook.cpp`); **Pi option packing** = the growth of Kea's "
             "Pkt4::pack, hook minus none, i.e. Kea packing the options a Pi needs into its "
             "replies; **ours** = the rest, our callouts' own work. Floor = Kea floor + Pi option "
             "packing: what any library adding these options there costs.", "",
             "| traffic | hook/none | Kea floor (empty-hook/none) | Pi option packing | "
             "ours = the rest | floor (goal: 3% in all) |",
             "|---|---:|---:|---:|---:|---:|"]
    for cls, r in rows:
        floor = r.get("floor share of none")
        lines.append(f"| {CLASS_NAMES[cls]} | {pct(r['hook/none'])} | {pct(r.get('kea floor'))} | "
                     f"{share(r.get('pi options pack'))} | {share(r.get('ours'))} | "
                     f"{'n/a' if floor is None else f'{floor * 100:+.1f}%'} |")
    return lines


# Our share of instructions per DORA (hook - empty-hook - Kea packing the Pi options), in absolute
# terms so that Kea's baseline cannot flatter it: on the mix, and per Pi DORA with new clients.
GOAL_OURS_MIX = 2750
GOAL_OURS_PI_NEW = 5350


def phase_label(key):
    """ "mix new no-hostname" -> ("mix", "new", "no") as table cells."""
    words = key.split()
    return (CLASS_NAMES.get(words[0], words[0]), "new" if "new" in words else "returning",
            "no" if "no-hostname" in words else "yes")


def ours_lines(d):
    """Per DORA, for every counted phase (traffic, new or returning clients, host names or
    not): none, Kea's floor, Kea packing the Pi options, and ours, with the absolute goals."""
    instr = d["summary"].get("instructions", {})
    dec, per = instr.get("decomposition", {}), instr.get("per_exchange", {})
    leases = instr.get("leases_added", {})
    def rank(key):  # mix, Pi, non-Pi; returning before new; with host names first
        w = key.split()
        return (["mix", "pi", "non-pi"].index(w[0]) if w[0] in ("mix", "pi", "non-pi") else 9,
                "new" in w, "no-hostname" in w)

    keys = sorted((k for k in dec if dec[k] and dec[k].get("ours")), key=rank)
    if not keys:
        return [], []
    lines = ["", "Our share per DORA exchange by traffic, clients and host names (instructions; "
             "**ours** = hook - empty-hook - Pi option packing). Returning clients were all "
             "leased (or, ROM and bootcode.bin, offered) in the warm-up; new clients' DISCOVERs "
             "each come from a MAC Kea has not seen (leases added per phase, by the hook's Kea, "
             "beside). Host names: the Linux client's option 12 (Pi queries carry none, so Pi "
             "traffic is counted with them only).", "",
             "| traffic | clients | host names | none | Kea floor | Pi option packing | ours "
             "| ours vs none | leases added (hook) |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for k in keys:
        r, none, empty = dec[k], per.get("none", {}).get(k), per.get("empty-hook", {}).get(k)
        traffic, clients, hn = phase_label(k)
        lines.append(f"| {traffic} | {clients} | {hn} | {num(none, 0)} | "
                     f"{num(empty - none if empty and none else None, 0)} | "
                     f"{num((r.get('pi options pack') or {}).get('per_exchange'), 0)} | "
                     f"**{num(r['ours']['per_exchange'], 0)}** | {share(r['ours'])} | "
                     f"{leases.get('hook', {}).get(k, 'n/a')} |")
    goals = []
    mix = [k for k in keys if k.split()[0] == "mix"]
    if mix:
        worst = max(mix, key=lambda k: dec[k]["ours"]["per_exchange"])
        v = dec[worst]["ours"]["per_exchange"]
        goals.append(f"- Goal: our share at most {GOAL_OURS_MIX:,} instructions per DORA on the "
                     f"mix (every client and host-name variant): worst {num(v, 0)} ({worst}): "
                     f"**{'met' if v <= GOAL_OURS_MIX else 'not met'}**.")
    if dec.get("pi new", {}).get("ours"):
        v = dec["pi new"]["ours"]["per_exchange"]
        goals.append(f"- Goal: our share at most {GOAL_OURS_PI_NEW:,} instructions per Pi DORA "
                     f"with new clients: {num(v, 0)}: "
                     f"**{'met' if v <= GOAL_OURS_PI_NEW else 'not met'}**.")
    byfn = instr.get("ours_by_function", {})
    for key, r in byfn.items():
        h, e = per.get("hook", {}).get(key), per.get("empty-hook", {}).get(key)
        lines += ["", f"Where hook - empty-hook ({num(h - e if h and e else None, 0)} per DORA) "
                  f"goes ({' / '.join(phase_label(key))} host names): each function's count in "
                  f"callgrind_annotate --inclusive=no of the hook's dump minus the empty hook's, "
                  f"per DORA, the {len(r['top'])} that grew most. Kea's work caused by the hook "
                  "(options packed, classes, held leases) is included; the counts overlap (a "
                  "header-inlined Kea function counts in its caller too), so they do not add up "
                  "to the difference.", "",
                  "| function (object) | instructions per DORA |", "|---|---:|"]
        lines += [f"| `{fn}` | {num(v, 0)} |" for fn, v in r["top"]]
    return lines, goals


def pi_path_lines(d):
    """Hook cost on the Pi path: our share per Pi DORA (returning and new clients) split into
    our callouts (inclusive callgrind counts) and what Kea does around them because of us, with
    the floor no library adding the Pi's options and holding ROM OFFERs avoids: Kea packing the
    options (already outside ours) and Kea's lease write of each hold."""
    instr = d["summary"].get("instructions", {})
    dec, per = instr.get("decomposition", {}), instr.get("per_exchange", {})
    hot = {r["config"]: {k: ph.get("hotspots_per_exchange") or {}
                         for k, ph in r.get("phases", {}).items()}
           for r in d.get("instruction_runs") or []}
    keys = [k for k in ("pi", "pi new") if (dec.get(k) or {}).get("ours")]
    if not keys or "hook" not in hot or "empty-hook" not in hot:
        return []

    def h(cfg, key, label):
        return hot.get(cfg, {}).get(key, {}).get(label, 0) or 0

    writes = ("lease add (Memfile_LeaseMgr::addLease)",)
    lines = ["", "#### Hook cost: Pi path", "",
             "Our share per Pi DORA (instructions, as above: hook - empty-hook - Pi option "
             "packing) split by where it is spent: our pkt4_receive and pkt4_send (the ROM hold, "
             "its lease write and the identity record it carries included), the identity "
             "record's lease4_select / lease4_renew callouts (inclusive callgrind counts), and "
             "Kea's own work around them caused by the hook (classes looked up, larger lease "
             "user contexts copied, statistics). Floor: Kea adding the holds' leases (growth of "
             "Memfile addLease from empty-hook to hook), which no library holding ROM OFFERs "
             "avoids; it is part of pkt4_send here.", "",
             "| clients | ours | pkt4_receive | pkt4_send | of which holdRomOffer | "
             "lease4_select + lease4_renew | Kea, caused | hold lease adds (floor) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for k in keys:
        ours = dec[k]["ours"]["per_exchange"]
        recv = h("hook", k, "rpi-netboot pkt4_receive")
        send = h("hook", k, "rpi-netboot pkt4_send")
        hold = h("hook", k, "rpi-netboot ROM OFFER hold (holdRomOffer)")
        ident = h("hook", k, "rpi-netboot lease4_select") + h("hook", k, "rpi-netboot lease4_renew")
        lw = sum(h("hook", k, w) - h("empty-hook", k, w) for w in writes)
        lines.append(f"| {'new' if 'new' in k else 'returning'} | **{num(ours, 0)}** | "
                     f"{num(recv, 0)} | {num(send, 0)} | {num(hold, 0)} | {num(ident, 0)} | "
                     f"{num(ours - recv - send - ident, 0)} | {num(lw, 0)} |")
    v = dec.get("pi new", {}).get("ours", {}).get("per_exchange")
    if v is not None:
        lw = sum(h("hook", "pi new", w) - h("empty-hook", "pi new", w) for w in writes)
        lines += ["", f"- Pi DORA with new clients: ours {num(v, 0)}, of which Kea adding "
                  f"the holds' leases {num(lw, 0)}; without it {num(v - lw, 0)} against the goal of "
                  f"{GOAL_OURS_PI_NEW:,}: **{'met' if v - lw <= GOAL_OURS_PI_NEW else 'not met'}"
                  f"** (with it: **{'met' if v <= GOAL_OURS_PI_NEW else 'not met'}**)."]
    return lines


def instructions_lines(d):
    """The callgrind phase: user-space instructions kea-dhcp4 executes per DORA exchange."""
    runs = d.get("instruction_runs") or []
    per = d["summary"].get("instructions", {}).get("per_exchange", {})
    if not runs or not per:
        return []
    p = d["parameters"]
    lines = ["", "### Instructions per DORA exchange (callgrind)", ""]
    lines.append(f"kea-dhcp4 under valgrind's callgrind, at {p['instr_rate']} DISCOVERs/s: a "
                 f"warm-up of {p['instr_warmup']} DISCOVERs (at least 5 per simulated client), "
                 f"then {p['instr_discovers']} per traffic class (the whole mix; its Pi part; its "
                 "non-Pi part) from those returning clients"
                 + (f", then {p['instr_new_discovers']} per class from new clients"
                    if p.get("instr_new_discovers") else "")
                 + ", the counts dumped "
                 "after each phase so that startup cancels ((I(N2) - I(N1)) / (N2 - N1)). "
                 "User-space instructions of kea-dhcp4 and all its libraries (the hook included), "
                 "divided by the replies Kea sent / 2 (a ROM/bootcode DISCOVER/OFFER counts "
                 "half). Unlike the throughput above, this does not depend on the machine's load.")
    lines.append("")
    lines.append("| configuration | mix | vs none | vs config-only | Pi traffic | vs none | "
                 "non-Pi traffic | vs none |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    base, co = per.get("none", {}), per.get("config-only", {})

    def rel(x, y):
        return pct(x / y) if x and y else "n/a"

    for kind in [k for k in CONFIG_ORDER if k in per]:
        c = per[kind]
        lines.append(f"| {kind} | {num(c.get('mix'), 0)} | {rel(c.get('mix'), base.get('mix'))} "
                     f"| {rel(c.get('mix'), co.get('mix'))} | {num(c.get('pi'), 0)} | "
                     f"{rel(c.get('pi'), base.get('pi'))} | {num(c.get('non-pi'), 0)} | "
                     f"{rel(c.get('non-pi'), base.get('non-pi'))} |")
    lines += decomposition_lines(d)
    ours, ours_goals = ours_lines(d)
    lines += ours
    if ours_goals:
        lines.append("")
        lines += ours_goals
    lines += pi_path_lines(d)
    hot = {r["config"]: r["phases"].get("mix", {}).get("hotspots_per_exchange") for r in runs}
    kinds = [k for k in CONFIG_ORDER if hot.get(k)]
    if kinds:
        lines.append("")
        lines.append("Where the instructions go (mix, per DORA, inclusive: a function's count "
                     "holds its callees'; Debian's kea-dhcp4 binary is stripped, so only Kea's "
                     "libraries and the hook have names). Dumps: `callgrind-<config>-<class>.out` "
                     "beside the raw JSON, for `callgrind_annotate`.")
        lines.append("")
        lines.append("| function | " + " | ".join(kinds) + " |")
        lines.append("|---|" + "---:|" * len(kinds))
        lines.append("| all of kea-dhcp4 | "
                     + " | ".join(num(per.get(k, {}).get("mix"), 0) for k in kinds) + " |")
        for label in hot[kinds[0]]:
            values = [hot[k].get(label, 0) for k in kinds]
            if any(values):
                lines.append(f"| {label} | " + " | ".join(num(v, 0) for v in values) + " |")
    return lines


GOAL_PI_NS = 250  # classify + inject per Pi packet
GOAL_NON_PI_NS = 30  # a non-Pi packet's time in pkt4_receive


def events_section(d):
    """Instructions per boot event on each events path (bench/micro/events.py, callgrind)."""
    lines = ["## Boot events: instructions per event (callgrind)", ""]
    lines.append("`bench/micro/events.py`: rpinetboot-bench-events runs a few thousand events "
                 "through one path under callgrind, counting only inside the function that "
                 "measures it. The JSON-lines sink is what the hook's writer thread pays per "
                 "event to format and write; rpi-tftpd's loop figure is what its event loop "
                 "pays per transfer that ends (the TFTP_FILE event built and queued).")
    lines.append("")
    lines.append("| path | events | instructions per event |")
    lines.append("|---|---:|---:|")
    for r in d.get("rows", []):
        lines.append(f"| {r['what']} | {r['events']:,} | **{num(r['per_event'], 0)}** |")
    for m in d.get("missing", []):
        lines.append(f"| {m['case']}: not measured ({m['why']}) | | |")
    return lines


def micro_section(d):
    lines = ["## Per-packet cost (Google Benchmark)", ""]
    cost = d.get("per_packet_cost", [])
    hook = [c for c in cost if "kea_only_ns" in c]
    if hook:
        lines.append("CPU time of the hook's logic class on Kea 2.2 `Pkt4` objects, per query: "
                     "classification (`onReceive`, pkt4_receive) + injection of options 43/60/66 "
                     "(`onSend`, pkt4_send), timed directly on batches of fresh packets. Kea's own "
                     "per-query work (parse the DISCOVER, build and pack the OFFER) is beside it, "
                     "and the difference (Kea + hook) - (Kea alone) as a cross-check; "
                     "\"+ StatsMgr counters\" adds the three Kea statistics the callouts update "
                     "per Pi query.")
        lines.append("")
        lines.append("| client | hook: classify + inject ns | classify ns | inject ns | "
                     "+ StatsMgr counters ns | Kea alone ns | Kea + hook ns | difference ns |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for c in hook:
            lines.append(f"| {c['label']} | **{num(c['cpu_ns'])}** | {num(c.get('receive_ns'))} | "
                         f"{num(c.get('send_ns'))} | {num(c.get('with_stats_ns'))} | "
                         f"{num(c['kea_only_ns'])} | "
                         f"{num(c['with_hook_ns'])} | {num(c.get('difference_ns'))} |")
        lines.append("")
    core = d["results"].get("core", {}).get("rows", [])
    if core:
        lines.append("Core alone (no Kea objects): classify, and for a Pi encode option 43; "
                     "\"parse\" adds core's own BOOTP parser.")
        lines.append("")
        lines.append("| benchmark | client | CPU ns per packet |")
        lines.append("|---|---|---:|")
        for row in core:
            lines.append(f"| {row['benchmark'].split('/')[0]} | {row['label']} | {num(row['cpu_ns'])} |")
        lines.append("")
    if cost:
        worst = max(c["cpu_ns"] for c in cost)
        lines.append(f"- Goal: classification + injection under {d['goal_ns'] / 1000:g} µs per "
                     f"packet ({cost[0]['source']}): worst {num(worst)} ns: "
                     f"**{'met' if worst < d['goal_ns'] else 'not met'}**.")
    pi = [c for c in hook if c["label"] in ("pi4", "pi5", "bootcode", "rom3")]
    other = [c for c in hook if c not in pi and c.get("receive_ns") is not None]
    if pi:
        worst = max(pi, key=lambda c: c["cpu_ns"])
        lines.append(f"- Goal: classify + inject under {GOAL_PI_NS} ns per Pi packet: worst "
                     f"{num(worst['cpu_ns'])} ns ({worst['label']}): "
                     f"**{'met' if worst['cpu_ns'] < GOAL_PI_NS else 'not met'}**.")
    if other:
        worst = max(other, key=lambda c: c["receive_ns"])
        lines.append(f"- Goal: a non-Pi packet leaves the first callout (classify, pkt4_receive) "
                     f"in under {GOAL_NON_PI_NS} ns: worst {num(worst['receive_ns'])} ns "
                     f"({worst['label']}): "
                     f"**{'met' if worst['receive_ns'] < GOAL_NON_PI_NS else 'not met'}**.")
    for m in d.get("missing", []):
        lines.append(f"- Not built: {m}.")
    return lines


TFTP_ROW_KEYS = ("server", "pis", "blksize", "mb_per_s")


def load_tftp(raw):
    """compare.py's results: {"json": data or None, "md": text or None}; None when absent."""
    d = os.path.join(raw, "tftp")
    data = md = None
    for path in sorted(glob.glob(os.path.join(d, "*.json"))) + \
            [os.path.join(raw, "tftp_compare.json")]:
        if not os.path.exists(path):
            continue
        try:
            with open(path) as f:
                candidate = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(candidate, dict) and isinstance(candidate.get("rows"), list):
            data = candidate
            break
    mds = sorted(glob.glob(os.path.join(d, "*.md")))
    if mds:
        with open(mds[0]) as f:
            md = f.read()
    # The lossy link under netem in a QEMU guest (bench/tftp/guest_run.py), beside it.
    netem = None
    path = os.path.join(raw, "tftp-netem", "tftp_compare.md")
    if os.path.exists(path):
        with open(path) as f:
            netem = f.read()
    if data is None and md is None and netem is None:
        return None
    return {"json": data, "md": md, "netem_md": netem}


def tftp_rows_known(t):
    rows = (t.get("json") or {}).get("rows") or []
    return rows and all(all(k in r for k in TFTP_ROW_KEYS) for r in rows)


def tftp_section(t):
    lines = tftp_compare_section(t)
    if t.get("netem_md"):
        # Its own heading is "TFTP servers over a lossy link": one level down, as compare.py's.
        lines += [""] + ["#" + line if line.startswith("#") else line
                         for line in t["netem_md"].splitlines()]
    return lines


def tftp_compare_section(t):
    lines = ["## TFTP servers side by side", ""]
    if (t.get("json") or {}).get("format", 1) >= 2 and t.get("md"):
        # compare.py renders its own table (ranges, verdicts, floor, lossy link): included as
        # it is, its headings moved under this section.
        md = t["md"].splitlines()
        if md and md[0].startswith("## TFTP servers side by side"):
            md = md[1:]
        while md and not md[0].strip():
            md = md[1:]
        lines += ["##" + line if line.startswith("#") else line for line in md]
        return lines
    if not tftp_rows_known(t):
        # compare.py's own Markdown, its headings moved under this section.
        for line in (t.get("md") or "compare.py wrote no table.").splitlines():
            lines.append("##" + line if line.startswith("#") else line)
        return lines
    d = t["json"]
    p = d.get("parameters", {})
    if p:
        lines.append("Pi-pattern clients, " + ", ".join(f"{k} {v}" for k, v in p.items()
                                                        if not isinstance(v, (dict, list))) + ".")
        lines.append("")
    lines.append("| server | Pis | blksize | MB/s | CPU ms/MB | RRQ p50 ms | RRQ p99 ms | failed transfers |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in d["rows"]:
        lines.append(f"| {r['server']} | {r['pis']} | {r['blksize']} | {num(r['mb_per_s'])} | "
                     f"{num(r.get('cpu_ms_per_mb'), 2)} | {num(r.get('rrq_p50_ms'), 2)} | "
                     f"{num(r.get('rrq_p99_ms'), 2)} | {r.get('failures', 0)} |")
    t = d.get("targets") or {}
    if t:
        lines.append("")
        lines.append("rpi-tftpd against dnsmasq at 128 Pis, blksize 1468 (the daemon's design targets): "
                     f"throughput x{num(t.get('throughput_x_dnsmasq'), 2)} "
                     f"(goal >= x1.5: **{'met' if t.get('throughput_met') else 'not met'}**), "
                     f"CPU per MB x{num(t.get('cpu_x_dnsmasq'), 2)} "
                     f"(goal <= x0.5: **{'met' if t.get('cpu_met') else 'not met'}**), "
                     f"RRQ p99 {num(t.get('rrq_p99_ms'), 2)} ms "
                     f"(goal < 10 ms: **{'met' if t.get('p99_met') else 'not met'}**).")
    for k, why in d.get("skipped", {}).items():
        lines.append(f"- Not measured: {k} ({why}).")
    return lines


def storm_section(d):
    s = d["summary"]
    p = d.get("parameters", {})
    lines = ["## Boot storm", ""]
    models = ", ".join(f"{n} {m}" for m, n in sorted(s["models"].items()))
    lines.append(f"{s['pis']} emulated Pis ({models}; distinct MACs and serials) send their exact "
                 f"DISCOVERs within {num(s['discover_spread_s'], 2)} s to kea-dhcp4 + hook; Pi 4/5 "
                 "REQUEST, ROM3 and bootcode.bin use the OFFER as it is. Each then walks its TFTP "
                 "boot (probes, early terminates, re-fetches) against rpi-tftpd under its serial "
                 f"prefix. Files at {num(p.get('scale', 1) * 100, 0)}% of a Raspberry Pi OS boot "
                 f"partition's sizes ({num(s.get('bytes_served', 0) / 1e6, 0)} MB served in all).")
    lines.append("")
    lines.append("| Pis | leased | distinct addresses | booted | time to last Pi's last file | "
                 "OFFER p50 / p99 | kea-dhcp4 peak RSS | rpi-tftpd peak RSS |")
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines.append(f"| {s['pis']} | {s['leased']} | {s['distinct_addresses']} | {s['booted']} | "
                 f"**{num(s['time_to_last_file_s'], 2, ' s')}** | "
                 f"{num(s.get('offer_latency_p50_ms'), 1)} / "
                 f"{num(s.get('offer_latency_p99_ms'), 1)} ms | "
                 f"{num((s.get('kea_vm_hwm_kib') or 0) / 1024, 1, ' MiB')} | "
                 f"{num((s.get('tftpd_vm_hwm_kib') or 0) / 1024, 1, ' MiB')} |")
    ok = s["booted"] == s["pis"] and s["distinct_addresses"] == s["pis"] == s["leased"]
    lines.append("")
    lines.append(f"- All Pis leased distinct addresses and completed their boots (ROM3 included: "
                 f"{s.get('rom3_distinct', '?')} distinct ROM3 addresses): "
                 f"**{'yes' if ok else 'no'}**.")
    cpu = s.get("cpu_s") or {}
    if cpu:
        lines.append("- CPU seconds during the storm: " + ", ".join(
            f"{k} {num(v, 1)}" for k, v in cpu.items() if v is not None) +
            (f"; aggregate {num(s.get('aggregate_mb_per_s'), 1)} MB/s." if
             s.get("aggregate_mb_per_s") else "."))
    stats = s.get("kea_statistics") or {}
    if stats:
        lines.append(f"- Kea counted {stats.get('pkt4-discover-received', 0)} DISCOVERs, "
                     f"{stats.get('pkt4-offer-sent', 0)} OFFERs, "
                     f"{stats.get('pkt4-request-received', 0)} REQUESTs, "
                     f"{stats.get('pkt4-ack-sent', 0)} ACKs, "
                     f"{stats.get('pkt4-receive-drop', 0)} dropped; the hook held "
                     f"{stats.get('pkt4-rpi-netboot-rom-offers-held', 0)} OFFERs to the "
                     "Pi 3B ROM and bootcode.bin (they never send REQUEST).")
    for problem in s.get("problems", [])[:10]:
        lines.append(f"- Problem: {problem}")
    return lines


def failover_section(d):
    """bench/failover/failover_storm.py: one row per HA variant."""
    p = d.get("parameters", {})
    lines = ["## HA failover storm", "",
             f"{p.get('pis')} emulated Pis (ROM3, bootcode.bin, Pi 4, Pi 5 in turn, each with its "
             f"loader's DHCP retry pattern) and {p.get('plain')} plain clients boot over "
             f"{num(p.get('spread_s'), 0)} s against a Kea {p.get('kea', '')} HA pair (heartbeat "
             "1 s, max-response-delay 3 s) and two rpi-tftpd nodes (tftp-groups); at half of it "
             "a server is hit and node B stops; B's Pis boot again from A after B is drained. "
             "Checked from a capture of both servers' replies on the clients' side, the Pis' "
             "boots, and lease4-get-all on both servers after the dead one returns "
             "(tests/hook/hastorm.py).", "",
             "| mode | event | takeover | longest wait of a client asking after it | "
             "time to last Pi's last file | booted at once | failed on B, then booted from A | "
             "problems |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for v in d.get("variants", []):
        lines.append(f"| {v['mode']} | {v['event']} | {num(v['takeover_s'], 1, ' s')} | "
                     f"{num(v['longest_wait_s'], 1, ' s')} | {num(v['last_file_s'], 1, ' s')} | "
                     f"{v['booted_first_time']}/{v['pis']} | {v['failed_on_b']} / "
                     f"{v['failed_on_b_then_booted_from_a']} | {len(v['problems'])} |")
    lines.append("")
    lines.append("Takeover: the event to the survivor's partner-down (kill-agent: to the standby "
                 "logging that it cannot reach the primary, which keeps serving). A Pi 3B ROM "
                 "asks again only every 5 s, so a Pi that asks just after the event waits up to "
                 "the takeover rounded up to its next retry.")
    for v in d.get("variants", []):
        for problem in v["problems"][:5]:
            lines.append(f"- Problem ({v['mode']}, {v['event']}): {problem}")
    return lines


def gnuplot(script):
    try:
        proc = subprocess.run(["gnuplot"], input=script.encode(), timeout=60,
                              capture_output=True)
    except (OSError, subprocess.SubprocessError) as e:
        print(f"report: gnuplot failed: {e}", file=sys.stderr)
        return False
    if proc.returncode != 0 or proc.stderr.strip():
        print("report: gnuplot: " + proc.stderr.decode(errors="replace")[-500:], file=sys.stderr)
        return False
    return True


def plots(prefix, hook, tftp, storm):
    made = []
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="rpinb-plots-")
    head = "set terminal pngcairo size 900,500 font 'DejaVu Sans,10'\nset grid ytics\n"
    if hook and hook.get("runs"):  # throughput plots; none with --runs 0 (instructions only)
        dat = os.path.join(tmp, "hook.dat")
        with open(dat, "w") as f:
            for kind, c in ordered_configs(hook["summary"]):
                f.write(f"\"{kind}\" {c['exchanges_per_s'] or 0} {c['kea_cpu_us_per_answer'] or 0}\n")
        out = prefix + "-hook.png"
        if gnuplot(head + f"set output '{out}'\nset multiplot layout 1,2\n"
                   "set style fill solid 0.6\nset boxwidth 0.6\nset yrange [0:*]\n"
                   "set title 'DORA exchanges/s (higher is better)'\n"
                   f"plot '{dat}' using 2:xtic(1) with boxes notitle\n"
                   "set title 'kea-dhcp4 CPU µs per answer (lower is better)'\n"
                   f"plot '{dat}' using 3:xtic(1) with boxes notitle\nunset multiplot\n"):
            made.append(out)
    if tftp and tftp_rows_known(tftp):
        tftp = tftp["json"]
        servers = sorted({r["server"] for r in tftp["rows"]})
        for metric, title, suffix in (("mb_per_s", "aggregate MB/s", "tftp-throughput"),
                                      ("rrq_p99_ms", "RRQ latency p99 (ms)", "tftp-latency"),
                                      ("cpu_ms_per_mb", "server CPU ms per MB", "tftp-cpu")):
            dat = os.path.join(tmp, suffix + ".dat")
            cases = sorted({(r.get("workload", ""), r["pis"], r["blksize"])
                            for r in tftp["rows"]})
            with open(dat, "w") as f:
                f.write("case " + " ".join(f'"{s}"' for s in servers) + "\n")
                for workload, pis, blk in cases:
                    vals = []
                    for s in servers:
                        row = next((r for r in tftp["rows"] if r["server"] == s and
                                    r.get("workload", "") == workload and r["pis"] == pis and
                                    r["blksize"] == blk), None)
                        v = row.get(metric) if row else None
                        vals.append("?" if v is None else str(v))
                    label = f"{workload} {pis} Pis" if workload else f"{pis} Pis/{blk}"
                    f.write(f'"{label}" ' + " ".join(vals) + "\n")
            out = f"{prefix}-{suffix}.png"
            cols = " , ".join(f"'{dat}' using {i + 2}:xtic(1) title columnhead"
                              for i in range(len(servers)))
            # Bars from 0 (a cut axis exaggerates differences), but for the latency's log scale.
            logscale = "set logscale y\n" if metric == "rrq_p99_ms" else "set yrange [0:*]\n"
            if gnuplot(head + f"set output '{out}'\nset title '{title}'\nset style data histograms\n"
                       "set style histogram clustered gap 1\nset style fill solid 0.7\n"
                       f"set key top left\nset datafile missing '?'\n{logscale}plot {cols}\n"):
                made.append(out)
    if storm and storm.get("pis"):
        models = sorted({p["model"] for p in storm["pis"]})
        plots_ = []
        for m in ["all"] + models:
            done = sorted(p["done_s"] for p in storm["pis"] if p.get("done_s") is not None
                          and m in ("all", p["model"]))
            if not done:
                continue
            dat = os.path.join(tmp, f"storm-{m}.dat")
            with open(dat, "w") as f:
                f.write("0 0\n")
                for i, t in enumerate(done, 1):
                    f.write(f"{t} {i}\n")
            plots_.append(f"'{dat}' using 1:2 with steps lw {3 if m == 'all' else 2} "
                          f"title '{m}'")
        out = prefix + "-storm.png"
        if plots_ and gnuplot(head + f"set output '{out}'\n"
                              "set title 'Boot storm: Pis fully booted over time'\n"
                              "set xlabel 'seconds since the first DISCOVER'\n"
                              "set ylabel 'Pis booted'\nset key top left\n"
                              "plot " + ", ".join(plots_) + "\n"):
            made.append(out)
    shutil.rmtree(tmp, ignore_errors=True)
    return made


def update_readme(readme, body):
    with open(readme) as f:
        text = f.read()
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        print(f"report: no bench section markers in {readme}; not updated", file=sys.stderr)
        return False
    new = text[:start + len(README_BEGIN)] + "\n" + body.rstrip() + "\n" + text[end:]
    with open(readme, "w") as f:
        f.write(new)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--plots-prefix")
    ap.add_argument("--elapsed", type=float)
    ap.add_argument("--readme")
    ap.add_argument("--readme-intro", default="")
    ap.add_argument("--not-run", default="", help="benchmarks run.sh could not run, and why")
    args = ap.parse_args()

    micro, hook = load(args.raw, "micro"), load(args.raw, "hook_overhead")
    tftp, storm = load_tftp(args.raw), load(args.raw, "boot_storm")
    failover = load(args.raw, "failover_storm")
    events = load(args.raw, "events")
    first = next((d for d in (micro, hook, (tftp or {}).get("json"), storm, failover, events)
                  if d), None)
    if first is None:
        print(f"report: no results in {args.raw}", file=sys.stderr)
        return 1
    date = first.get("finished_utc", "")[:10]
    smoke = any((d or {}).get("smoke") or (d or {}).get("parameters", {}).get("smoke")
                for d in (micro, hook, (tftp or {}).get("json"), storm, failover, events))
    body = []
    body.append(f"Measured {date} on: {machine_line(first)}."
                + (f" `make bench` took {args.elapsed / 60:.1f} minutes." if args.elapsed else "")
                + (" **Smoke sizes: not a measurement.**" if smoke else ""))
    body.append("")
    for data, section in ((hook, hook_section), (micro, micro_section), (events, events_section),
                          (tftp, tftp_section),
                          (storm, storm_section), (failover, failover_section)):
        if data:
            body += section(data)
            body.append("")
    if "tftp" in args.not_run.split() and not tftp:
        body += ["## TFTP servers side by side", "",
                 "Not run: bench/tftp/compare.py (written with rpi-tftpd) is not in this tree yet.",
                 ""]
    made = plots(args.plots_prefix, hook, tftp, storm) if args.plots_prefix else []
    md = [f"# rpi-netboot benchmarks, {date}", ""] + body
    if made:
        md.append("## Plots")
        md.append("")
        for path in made:
            md.append(f"![{os.path.basename(path)}]({os.path.relpath(path, os.path.dirname(os.path.abspath(args.md)))})")
        md.append("")
    os.makedirs(os.path.dirname(os.path.abspath(args.md)), exist_ok=True)
    with open(args.md, "w") as f:
        f.write("\n".join(md))
    print(f"report: wrote {args.md}" + (f" and {len(made)} plots" if made else ""))
    if args.readme:
        rel = os.path.relpath(os.path.abspath(args.md), os.path.dirname(os.path.abspath(args.readme)))
        intro = [README_INTRO] + ([args.readme_intro, ""] if args.readme_intro else [])
        readme_body = ["## Benchmarks", ""] + intro + [f"Latest run: [{rel}]({rel}).", ""] + \
            [line.replace("## ", "### ", 1) if line.startswith("## ") else line for line in body]
        if update_readme(args.readme, "\n".join(readme_body)):
            print(f"report: updated the bench section of {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
