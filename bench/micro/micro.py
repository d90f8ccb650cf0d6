#!/usr/bin/python3
"""Runs the per-packet microbenchmarks (Google Benchmark) and writes micro.json.

Binaries: rpinetboot-bench-core (core's classify + option 43 encoding) and, once the Kea hook is
built, rpinetboot-bench-hook (the hook's logic class on Kea packets). Each is run with 3
repetitions and the median is kept (goal: classification + injection under 1 us/packet).
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib  # noqa: E402
from benchlib import netlab  # noqa: E402

BINARIES = [("core", "bench/rpinetboot-bench-core"), ("hook", "bench/rpinetboot-bench-hook")]
GOAL_NS = 1000.0


def run_binary(path, json_out, smoke):
    argv = [path, f"--benchmark_out={json_out}", "--benchmark_out_format=json"]
    if smoke:
        argv += ["--benchmark_min_time=0.01"]
    else:
        argv += ["--benchmark_min_time=0.5", "--benchmark_repetitions=3",
                 "--benchmark_report_aggregates_only=true"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        benchlib.fail(f"{os.path.basename(path)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    with open(json_out) as f:
        return json.load(f)


def rows_of(report):
    """(name, label, ns per iteration): the median aggregate when repeated, else the single run."""
    rows = {}
    for b in report.get("benchmarks", []):
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        unit = b.get("time_unit", "ns")
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
        rows[name] = {"benchmark": name, "label": b.get("label", ""),
                      "cpu_ns": b["cpu_time"] * scale, "real_ns": b["real_time"] * scale}
        if "batch" in b:
            # A batched benchmark: one iteration handles `batch` packets.
            rows[name]["cpu_ns"] /= b["batch"]
            rows[name]["real_ns"] /= b["batch"]
    return list(rows.values())


def per_packet_cost(results):
    """What the goal applies to, per client template: the CPU time of the hook's two calls on Kea
    packets (BM_HookOnly: classification in onReceive + injection in onSend, timed directly),
    with Kea's own per-query work beside it (BM_KeaOnly) and the difference method
    (BM_KeaWithHook - BM_KeaOnly) as a cross-check. Without the hook binary: core's classify +
    option 43 encoding."""
    if "hook" in results:
        rows = results["hook"]["rows"]

        def by(prefix):
            return {r["label"]: r for r in rows if r["benchmark"].startswith(prefix + "/")}

        only, both, direct = by("BM_KeaOnly"), by("BM_KeaWithHook"), by("BM_HookOnly")
        recv, send, stats = by("BM_HookReceive"), by("BM_HookSend"), by("BM_HookWithStats")
        out = []
        for label, r in direct.items():
            out.append({"source": "hook on Kea packets", "label": label, "cpu_ns": r["cpu_ns"],
                        "receive_ns": recv.get(label, {}).get("cpu_ns"),
                        "send_ns": send.get(label, {}).get("cpu_ns"),
                        "with_stats_ns": stats.get(label, {}).get("cpu_ns"),
                        "kea_only_ns": only.get(label, {}).get("cpu_ns"),
                        "with_hook_ns": both.get(label, {}).get("cpu_ns"),
                        "difference_ns": (both[label]["cpu_ns"] - only[label]["cpu_ns"])
                        if label in both and label in only else None})
        return out
    return [{"source": "core classify + option 43", "label": r["label"], "cpu_ns": r["cpu_ns"]}
            for r in results["core"]["rows"] if r["benchmark"].startswith("BM_ClassifyAndEncode/")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build")
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    build = benchlib.build_dir(args.build)
    os.makedirs(args.out, exist_ok=True)

    results, missing = {}, []
    for name, rel in BINARIES:
        path = os.path.join(build, rel)
        if not os.path.exists(path):
            missing.append(rel)
            continue
        report = run_binary(path, os.path.join(args.out, f"micro-{name}-gbench.json"), args.smoke)
        rows = rows_of(report)
        if not rows:
            benchlib.fail(f"{rel} reported no benchmark")
        results[name] = {"context": report.get("context", {}), "rows": rows}
        for r in rows:
            print(f"micro: {name:5s} {r['benchmark']:36s} {r['label']:9s} {r['cpu_ns']:9.1f} ns")
    if "core" not in results:
        netlab.skip_or_fail("rpinetboot-bench-core not built (libbenchmark-dev missing?)")
    cost = per_packet_cost(results)
    for c in cost:
        print(f"micro: per-packet cost ({c['source']}) {c['label']:9s} {c['cpu_ns']:9.1f} ns")
    data = {"goal_ns": GOAL_NS, "results": results, "missing": missing, "smoke": args.smoke,
            "per_packet_cost": cost}
    path = benchlib.write_result(args.out, "micro", data)
    print(f"micro: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
