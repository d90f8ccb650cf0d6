"""Shared helpers of the benchmarks: paths, /proc readings, statistics, result files.

Namespaces, links and processes come from tests/lib/netlab.py (TEST-NET addresses only, every
process stopped by PID, every wait bounded). Standard library only; run with /usr/bin/python3.
"""

import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_DIR = os.path.dirname(BENCH_DIR)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "lib"))
import netlab  # noqa: E402,F401  (re-exported for the benchmark scripts)

CLK_TCK = os.sysconf("SC_CLK_TCK")


def build_dir(arg=None):
    path = arg or os.environ.get("RPI_NETBOOT_BUILD") or os.path.join(SOURCE_DIR, "build")
    return os.path.abspath(path)


def find_binary(build, *relative):
    """The first existing path among build/<relative...>, or None."""
    for rel in relative:
        path = os.path.join(build, rel)
        if os.path.exists(path):
            return path
    return None


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields after the command name start at field 3 (state); utime and stime are 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def vm_hwm_kib(pid):
    """Peak resident set size (VmHWM) in KiB; None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(round(p / 100.0 * len(ordered) + 0.4999)))
    return ordered[min(rank, len(ordered)) - 1]


def machine():
    """What the numbers were measured on: CPU model and count, memory, kernel."""
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU MHz", "Thread(s) per core", "Hypervisor vendor"):
                info[key.strip()] = value.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        out = subprocess.run(["free", "-m"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Mem:"):
                info["memory_mib"] = int(line.split()[1])
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    try:
        with open("/proc/loadavg") as f:
            info["loadavg_at_start"] = f.read().split()[0]
    except OSError:
        pass
    return info


def write_result(out_dir, name, data):
    """Writes out_dir/name.json with a timestamp and the machine description."""
    os.makedirs(out_dir, exist_ok=True)
    data = dict(data)
    data.setdefault("benchmark", name)
    data["finished_utc"] = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S")
    data.setdefault("machine", machine())
    path = os.path.join(out_dir, name + ".json")
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    return path


def require(tools):
    """Skips (or fails under CI=true) when a tool is missing."""
    missing = [t for t in tools if shutil.which(t) is None and not os.path.exists(t)]
    if missing:
        netlab.skip_or_fail("missing tools: " + ", ".join(missing) +
                            " (scripts/install-deps.sh deps/bench.txt)")


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)
