#!/usr/bin/python3
"""Instructions per boot event on each of the events' paths, under callgrind; writes events.json.

rpinetboot-bench-events (bench/micro/events_bench.cpp) runs N events through one path; callgrind
counts only inside the function that measures it (--collect-atstart=no --toggle-collect), so the
count is that path's own: the JSON renderer, the JSON-lines sink, the journal sink, and
rpi-tftpd's queue on its event loop's thread and on its writer thread. Why instructions: on this
shared VM times move by tens of percent run to run; the instructions for the same work do not.

The journal sink needs a journald: this script runs that case again in a private mount namespace
with a systemd-journald of its own on the default socket path (as tests/lib/private_journal.py
does for the journal test), so the host's journal is never written to.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import benchlib  # noqa: E402
from benchlib import netlab  # noqa: E402
import private_journal  # noqa: E402  (tests/lib, on the path through benchlib)

BINARY = "bench/rpinetboot-bench-events"
# mode, events (full run), function(s) whose inclusive count is the path's (the writer's thread
# function: QueuedSink's own before the shared queue, the queue's since), what it is
CASES = [
    ("render", 3000, "measureRender", "JSON renderer (toJson), per event"),
    ("jsonlines", 2560, "measureJsonLines", "JSON-lines sink (render + one write per 256), per event"),
    ("journal", 2000, "measureJournal", "journal sink (sd_journal_sendv), per event"),
    ("tftpd-loop", 2000, "measureTftpdLoop",
     "rpi-tftpd event loop: TFTP_FILE event built and queued, per event"),
    ("tftpd-writer", 2000, ["rpinetboot::QueuedSink::run", "rpinetboot::EventQueue<rpinetboot::BootEvent>::run"],
     "rpi-tftpd writer thread: taken from the queue (sink discards), per event"),
]
SMOKE_EVENTS = 60
INNER = "RPINB_EVENTS_BENCH_JOURNAL"
JOURNALD = private_journal.JOURNALD


def count(binary, mode, events, function, workdir):
    """Instructions inside `function` (every call, inclusive) while `binary MODE events` runs."""
    out_file = os.path.join(workdir, f"callgrind-{mode}.out")
    functions = function if isinstance(function, list) else [function]
    argv = (["valgrind", "--tool=callgrind", "--collect-atstart=no"] +
            [f"--toggle-collect=*{f}*" for f in functions] +
            [f"--callgrind-out-file={out_file}", binary, mode, str(events)])
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        benchlib.fail(f"{mode}: exited {proc.returncode}:\n{proc.stdout[-1000:]}{proc.stderr[-2000:]}")
    with open(out_file) as f:
        for line in f:
            m = re.match(r"^(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    benchlib.fail(f"{mode}: no total in {out_file}")
    return None


def journal_in_namespace(binary, events, workdir):
    """The journal case's count, from a re-run of this script in a private mount namespace."""
    if os.geteuid() != 0 or not os.path.exists(JOURNALD) or not shutil.which("unshare"):
        return None, "needs root, unshare and systemd-journald"
    result = os.path.join(workdir, "journal-count")
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                        os.path.abspath(__file__), "--binary", binary, "--events", str(events),
                        "--out", workdir],
                       env=dict(os.environ, **{INNER: result}), timeout=600,
                       capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(result):
        return None, f"private journald run failed ({r.returncode}): {r.stderr[-500:]}"
    with open(result) as f:
        return int(f.read()), None


def inner_journal(args):
    """In the private namespace: a journald of our own on the default socket, then the count."""
    journald = private_journal.start_journald()
    try:
        n = count(args.binary, "journal", args.events, "measureJournal", args.out)
    finally:
        journald.stop()
    with open(os.environ[INNER], "w") as f:
        f.write(str(n))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build")
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--binary", help=argparse.SUPPRESS)
    ap.add_argument("--events", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if os.environ.get(INNER):
        return inner_journal(args)
    build = benchlib.build_dir(args.build)
    os.makedirs(args.out, exist_ok=True)
    binary = os.path.join(build, BINARY)
    if not os.path.exists(binary):
        netlab.skip_or_fail(f"{BINARY} not built")
    benchlib.require(["valgrind"])
    rows, missing = [], []
    with tempfile.TemporaryDirectory(prefix="rpinb-events-bench.") as workdir:
        for mode, events, function, what in CASES:
            if args.smoke:
                events = SMOKE_EVENTS
            if mode == "journal":
                total, why = journal_in_namespace(binary, events, workdir)
                if total is None:
                    if netlab.in_ci():
                        benchlib.fail(f"journal: {why}")
                    missing.append({"case": mode, "why": why})
                    print(f"events: {mode}: not measured: {why}")
                    continue
            else:
                total = count(binary, mode, events, function, workdir)
            per = total / events
            rows.append({"case": mode, "what": what, "events": events, "instructions": total,
                         "per_event": per})
            print(f"events: {mode:13s} {per:9.0f} instructions per event ({what})")
    data = {"rows": rows, "missing": missing, "smoke": args.smoke,
            "method": "callgrind, collection toggled on inside the measuring function only"}
    path = benchlib.write_result(args.out, "events", data)
    print(f"events: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
