"""User-space instruction counts of a process running under valgrind's callgrind, for the hook
overhead benchmark (instructions per DORA).

Why instructions: on a shared, paravirtualised VM wall-clock throughput and CPU time move by tens
of percent from run to run, and hardware counters are not available; the number of instructions a
program executes for the same work is the same from run to run. Callgrind counts the instructions
of kea-dhcp4 and of every library it runs (the hook included), not the kernel's.

The process is started under `valgrind --tool=callgrind` (WRAPPER); `dump()` asks callgrind (via
callgrind_control, which talks to valgrind's gdbserver) to write the counts since the previous
dump into a numbered file and zero them, so one server yields one count per traffic phase.
"""

import glob
import os
import re
import subprocess
import time


def wrapper(out_file):
    """argv prefix that runs a program under callgrind, its dumps written to out_file.N."""
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
            "--dump-instr=no", "--compress-strings=no", "--compress-pos=no"]


def dump_files(out_file):
    """Dump files written so far, in order (out_file.1, out_file.2, ...)."""
    found = []
    for path in glob.glob(out_file + ".*"):
        suffix = path[len(out_file) + 1:]
        # callgrind names a dump <file>.<n>; an optional "-<thread>" suffix is not used here
        # (kea-dhcp4 runs its packet loop in one thread unless multi-threading is configured).
        if suffix.isdigit():
            found.append((int(suffix), path))
    return [p for _, p in sorted(found)]


def dump(pid, out_file, timeout=60):
    """Writes the counts since the last dump to a new file and returns its path."""
    before = len(dump_files(out_file))
    subprocess.run(["callgrind_control", "--dump", str(pid)], check=True, timeout=timeout,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = dump_files(out_file)
        if len(files) > before and total_instructions(files[-1]) is not None:
            return files[-1]
        time.sleep(0.1)
    raise RuntimeError(f"callgrind wrote no dump for pid {pid} within {timeout} s")


_TOTALS = re.compile(r"^(?:totals|summary):\s+(\d+)", re.M)


def total_instructions(path):
    """The Ir total of one dump file (its "totals:" line), None while it is being written."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    m = _TOTALS.search(text)
    return int(m.group(1)) if m else None


# Functions whose inclusive cost tells where a configuration's instructions go: matched against
# callgrind_annotate's "file:function [object]" by substring, first match in this order wins.
# Debian's kea-dhcp4 binary is stripped, so Dhcpv4Srv's own functions have no names; these live in
# Kea's libraries (which export their symbols) or in the hook.
HOTSPOTS = [
    ("parse query (Pkt4::unpack)", "isc::dhcp::Pkt4::unpack()"),
    ("pack reply (Pkt4::pack)", "isc::dhcp::Pkt4::pack()"),
    ("hostname sanitizer regex (DdnsParams::getHostnameSanitizer)",
     "DdnsParams::getHostnameSanitizer()"),
    ("hook dispatch + callouts (HooksManager::callCallouts)", "HooksManager::callCallouts("),
    ("rpi-netboot pkt4_receive", "callouts.cpp:pkt4_receive"),
    ("rpi-netboot pkt4_send", "callouts.cpp:pkt4_send"),
    ("rpi-netboot ROM OFFER hold (holdRomOffer)", "holdRomOffer("),
    # The identity's lease hook points: Kea runs them for every client once a library registers
    # them (arguments, state reset, a Stopwatch per callout), whatever the callout then does.
    ("rpi-netboot lease4_select", "identity_callouts.cpp:lease4_select"),
    ("rpi-netboot lease4_renew", "identity_callouts.cpp:lease4_renew"),
    ("callout handle state reset (ScopedCalloutHandleState::resetState)",
     "ScopedCalloutHandleState::resetState()"),
    ("class expressions (evaluateBool)", "isc::dhcp::evaluateBool("),
    ("lease allocation (AllocEngine::allocateLease4)", "AllocEngine::allocateLease4("),
    ("lease add (Memfile_LeaseMgr::addLease)", "Memfile_LeaseMgr::addLease("),
    ("lease update (Memfile_LeaseMgr::updateLease4)", "Memfile_LeaseMgr::updateLease4("),
    ("statistics (StatsMgr::addValue)", "StatsMgr::addValue("),
    # The identity record's callouts, which Kea calls around its own lease writes.
    ("rpi-netboot lease4_select", "identity_callouts.cpp:lease4_select"),
    ("rpi-netboot lease4_renew", "identity_callouts.cpp:lease4_renew"),
]

_ANNOTATE_LINE = re.compile(r"^\s*([\d,]+)\s+\([\s\d.]+%\)\s+\*?\s*(.+)$")


def hotspots(path):
    """{label: inclusive Ir} for HOTSPOTS in one dump (callgrind_annotate --inclusive=yes)."""
    proc = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                          capture_output=True, text=True, timeout=120)
    out = {label: 0 for label, _ in HOTSPOTS}
    if proc.returncode != 0:
        return out
    seen = set()
    for line in proc.stdout.splitlines():
        m = _ANNOTATE_LINE.match(line)
        if not m:
            continue
        ir, name = int(m.group(1).replace(",", "")), m.group(2)
        for label, needle in HOTSPOTS:
            # A function listed twice (e.g. once per object) counts once: the first, largest.
            if needle in name and label not in seen:
                out[label] = ir
                seen.add(label)
                break
    return out


def self_costs(path):
    """{function: exclusive Ir} for every function in one dump (callgrind_annotate's default,
    self cost), so that two configurations' dumps can be subtracted function by function."""
    proc = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", path],
                          capture_output=True, text=True, timeout=120)
    out = {}
    if proc.returncode != 0:
        return out
    total = None
    for line in proc.stdout.splitlines():
        m = _ANNOTATE_LINE.match(line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        # callgrind_annotate appends " (Nx)" to a name it met N times: not part of the name.
        name = re.sub(r" \(\d+x\)", "", m.group(2))
        if name.strip() == "PROGRAM TOTALS":
            total = ir
        elif name.strip() != "events annotated" and (total is None or ir < total):
            # A frame on the stack at the dump (main, the server loop) shows the whole total:
            # not a self cost.
            out[name] = out.get(name, 0) + ir
    return out


# Kea sends every reply through this one function: its call count is the number of replies.
SEND_FUNCTION = "IfaceMgr::send(boost::shared_ptr<isc::dhcp::Pkt4> const&)"


def call_count(path, callee=SEND_FUNCTION):
    """How many times `callee` was called in one dump (sum of its "calls=" lines)."""
    total = 0
    current = None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("cfn="):
                current = line[4:]
            elif line.startswith("calls=") and current is not None and callee in current:
                total += int(line[6:].split()[0])
            elif not line.startswith("calls="):
                if line.startswith(("fn=", "fl=", "fi=", "fe=", "ob=")):
                    current = None
    return total


def available():
    return all(any(os.access(os.path.join(d, tool), os.X_OK)
                   for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep))
               for tool in ("valgrind", "callgrind_control", "callgrind_annotate"))
