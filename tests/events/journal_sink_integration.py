#!/usr/bin/python3
"""The journal sink against a real systemd-journald, read back with journalctl.

When the system journal runs (its socket /run/systemd/journal/socket exists), the event goes to it
and `journalctl RPI_SERIAL=<serial> -o json` must return it. Otherwise the test re-runs itself in a
private mount namespace with a systemd-journald of its own on the same socket path
(tests/lib/private_journal.py): the sink's code path (sd_journal_sendv to the default socket) is
the real one, and nothing of the host's logs is touched. In the namespace it also checks the
fallback: with the socket gone, `auto` writes JSON lines to stderr and `journal` is refused with
a message.
"""

import json
import os
import secrets
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402
import private_journal  # noqa: E402



def emit(*args, check=True):
    tool = os.path.join(netlab.build_dir(), "tests", "events", "boot_event_emit")
    return netlab.run([tool] + list(args), check=check, timeout=30)


def read_back(journal_dir, serial):
    cmd = ["journalctl", "--no-pager", "-o", "json", f"RPI_SERIAL={serial}"]
    if journal_dir:
        cmd[1:1] = ["-D", journal_dir]

    def found():
        out = netlab.run(cmd, check=False).stdout
        entries = [json.loads(line) for line in out.splitlines() if line.strip()]
        return entries or None

    return netlab.wait_for(found, timeout=10, interval=0.2, what=f"journal entries of {serial}")


def check_entry(entry, serial, source):
    expect = {
        "RPI_STEP": "TFTP_FILE", "RPI_SERIAL": serial, "RPI_MAC": "dc:a6:32:01:36:c2",
        "RPI_ADDRESS": "192.0.2.10", "RPI_MODEL": "pi4", "RPI_FILE": f"{serial}/start4.elf",
        "RPI_BYTES": "2250000", "RPI_DURATION_US": "120500", "RPI_OUTCOME": "failed",
        "RPI_ERROR": "timeout", "RPI_TEXT": "two\nlines", "RPI_SOURCE": source,
        "SYSLOG_IDENTIFIER": source, "PRIORITY": "4",
        "MESSAGE_ID": "4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5", "_TRANSPORT": "journal",
    }
    for k, v in expect.items():
        if entry.get(k) != v:
            raise AssertionError(f"{k}: expected {v!r}, journal has {entry.get(k)!r}\n{entry}")
    if not entry["MESSAGE"].startswith(f"TFTP_FILE {serial} dc:a6:32:01:36:c2 192.0.2.10"):
        raise AssertionError(f"MESSAGE: {entry['MESSAGE']!r}")
    if "CODE_FILE" in entry:
        raise AssertionError("CODE_FILE names the library, not the caller: it must be suppressed")


def fields(serial, source):
    return ["step=TFTP_FILE", f"serial={serial}", "mac=dc:a6:32:01:36:c2", "address=192.0.2.10",
            "model=pi4", f"file={serial}/start4.elf", "bytes=2250000", "duration_us=120500",
            "outcome=failed", "error=timeout", "text=two\nlines", f"source={source}"]


def round_trip(journal_dir):
    for spec, extra in (("journal", []), ("auto", []), ("journal", ["--queued"])):
        serial = secrets.token_hex(4)
        source = "events-journal-test"
        out = emit(spec, *extra, *fields(serial, source)).stdout
        if "journal" not in out:
            raise AssertionError(f"{spec} {extra} did not choose the journal: {out!r}")
        entries = read_back(journal_dir, serial)
        if len(entries) != 1:
            raise AssertionError(f"{len(entries)} entries for one event")
        check_entry(entries[0], serial, source)
        print(f"ok: {spec} {' '.join(extra)} -> journalctl RPI_SERIAL={serial}")


def without_journal(journald):
    """In the private namespace, after the round trip: our journald gone, the fallback."""
    round_trip(private_journal.JOURNAL_DIR)
    journald.stop()
    os.unlink(private_journal.SOCKET)

    # No journal: auto falls back to JSON lines on stderr, journal reports the failure.
    r = emit("auto", "step=NETCONSOLE_LINE", "mac=dc:a6:32:01:36:c2", "text=Stopping network\n")
    if r.stdout.strip() != "stderr":
        raise AssertionError(f"auto without a journal chose {r.stdout!r}")
    line = json.loads(r.stderr.strip())
    if line["step"] != "NETCONSOLE_LINE" or line["text"] != "Stopping network\n":
        raise AssertionError(f"fallback line: {line}")
    r = emit("journal", "step=DISCOVER", check=False)
    if r.returncode != 1 or "the systemd journal is not running" not in r.stderr:
        raise AssertionError(f"journal sink without a journal: exit {r.returncode}, {r.stderr}")
    print("ok: without a journal, auto writes JSON to stderr and journal is refused clearly")


def main():
    return private_journal.run(__file__, lambda: round_trip(None), without_journal,
                               tools=["journalctl"], timeout=90)


if __name__ == "__main__":
    sys.exit(main())
