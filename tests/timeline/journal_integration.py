#!/usr/bin/python3
"""rpi-netboot-timeline reading the real systemd journal (sd-journal).

One Pi's boot is written to the journal as the daemons write it (the events library's journal
sink, through tests/events/boot_event_emit), plus one entry with the boot events' MESSAGE_ID and a
step no component writes (sent by util-linux's `logger --journald`). The timeline must find the Pi
by serial, place it at nfs-root, and name the bad entry on stderr; a journal directory that does not
exist is exit 2 with a message. Against the system journal when it runs, otherwise in a private
mount namespace with a systemd-journald of its own (tests/lib/private_journal.py), so nothing of
the host's logs is touched.
"""

import json
import os
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402
import private_journal  # noqa: E402

MESSAGE_ID = "4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5"


def emit(*fields):
    tool = os.path.join(netlab.build_dir(), "tests", "events", "boot_event_emit")
    out = netlab.run([tool, "journal"] + list(fields), timeout=30).stdout
    if "journal" not in out:
        raise AssertionError(f"boot_event_emit did not use the journal: {out!r}")


def timeline(*args, check=False):
    tool = os.path.join(netlab.build_dir(), "timeline", "rpi-netboot-timeline")
    return netlab.run([tool] + list(args), check=check, timeout=30)


def one_boot(serial, mac, address):
    pi = [f"serial={serial}", f"mac={mac}", "model=pi4", "source=kea-hook"]
    emit("step=DISCOVER", *pi)
    emit("step=OFFER_SENT", f"address={address}", *pi)
    emit("step=REQUEST", *pi)
    emit("step=ACK", f"address={address}", *pi)
    tftp = [f"serial={serial}", f"address={address}", "source=rpi-tftpd", "outcome=ok"]
    emit("step=TFTP_FILE", f"file={serial}/start4.elf", "bytes=2250000", "duration_us=120000",
         *tftp)
    emit("step=TFTP_FILE", f"file={serial}/kernel8.img", "bytes=8000000", "duration_us=900000",
         *tftp)
    emit("step=NFS_MOUNT", f"serial={serial}", f"address={address}", "file=/srv/nfs/pi/x",
         "outcome=ok", "source=rpi-nfs-exports")
    # An entry a future or broken writer might leave: the boot events' MESSAGE_ID, unknown step.
    subprocess.run(["logger", "--journald"], input=f"MESSAGE_ID={MESSAGE_ID}\nRPI_STEP=REBOOTED\n"
                   f"RPI_SERIAL={serial}\nMESSAGE=not a boot step\n", text=True, check=True,
                   timeout=30)


def check(journal_dir):
    serial = secrets.token_hex(4)
    mac = "dc:a6:32:" + ":".join(secrets.token_hex(1) for _ in range(3))
    one_boot(serial, mac, "192.0.2.10")
    extra = ["--journal-directory", journal_dir] if journal_dir else []

    def found():
        r = timeline("--json", *extra)
        if r.returncode != 0:
            raise AssertionError(f"exit {r.returncode}: {r.stderr}")
        fleet = json.loads(r.stdout)
        rows = [p for p in fleet["pis"] if p["serial"] == serial]
        return (rows[0], r.stderr) if rows and rows[0]["reached"] == "nfs-root" else None

    row, stderr = netlab.wait_for(found, timeout=15, interval=0.3, what=f"Pi {serial} at nfs-root")
    if row["mac"] != mac or row["address"] != "192.0.2.10" or row["state"] != "ok":
        raise AssertionError(f"row: {row}")
    if "unknown RPI_STEP \"REBOOTED\"" not in stderr:
        raise AssertionError(f"the bad entry was not named: {stderr!r}")
    text = timeline("--pi", serial, *extra)
    if text.returncode != 0 or "BOOT_FILES_DONE" not in text.stdout or \
            "Verdict: booted to its NFS root" not in text.stdout:
        raise AssertionError(f"--pi {serial}: exit {text.returncode}\n{text.stdout}{text.stderr}")
    missing = timeline("--pi", "0badc0de", *extra)
    if missing.returncode != 1 or "no Pi 0badc0de" not in missing.stderr:
        raise AssertionError(f"unknown Pi: exit {missing.returncode}, {missing.stderr!r}")
    print(f"ok: Pi {serial} read from the journal" + (f" in {journal_dir}" if journal_dir else "")
          + ": nfs-root, the bad entry named, an unknown Pi exit 1")


def no_journal():
    r = timeline("--journal-directory", "/nonexistent/journal")
    if r.returncode != 2 or "cannot open the journal in /nonexistent/journal" not in r.stderr:
        raise AssertionError(f"missing journal: exit {r.returncode}, {r.stderr!r}")
    print("ok: a journal directory that does not exist: exit 2, said plainly")


def on_system():
    check(None)
    no_journal()


def in_private(journald):
    check(None)                          # the local journal, as an admin runs it
    check(private_journal.JOURNAL_DIR)  # the same files named by directory
    no_journal()


def main():
    return private_journal.run(__file__, on_system, in_private, tools=["logger"], timeout=120)


if __name__ == "__main__":
    sys.exit(main())
