#!/usr/bin/python3
"""A Pi's NFSv4.1 root mount, seen end to end: one NFS_MOUNT boot event from watch-mounts.

An NFSv4 mount never reaches rpc.mountd (RFC 7530 has no MOUNT protocol), so watch-mounts polls
the kernel NFS server's /proc/fs/nfsd/clients (docs/nfs.md, "NFSv4 mounts"). Here the server is
knfsd in a QEMU guest (tests/lib/knfsd_guest.py), exporting a Pi root with `rpi-nfs-exports add`
to the Pi's address, and watch-mounts runs in that guest (`--input none --poll-interval 1`, its
JSON events on the guest's console). The "Pi" is the tiny kernel in a second QEMU guest with the
Pi's MAC and address that mounts that root with `nfsroot=...,vers=4.1` and runs its init from it
(an open file on the root, which is what watch-mounts waits for); the test namespace routes
between the Pi's subnet and the server's.

Asserted: no event before the Pi boots; the Pi's root is nfs4 with vers=4.1; exactly one
NFS_MOUNT for it (serial, address, export path, text "vers=4.1" = minor version 1, a time within
the boot) though watch-mounts polled many times after it; and rpi-netboot-timeline, fed that
event after this Pi's DHCP and TFTP events as the lab recorded them (tests/timeline/data, the
same Pi's serial, MAC and address, moved in time to just before this boot), says the Pi reached
"nfs-root" with no anomaly, where without the event it does not. With RPI_NETBOOT_RECORD=DIR the
client's info and states files are written to DIR (how tests/nfs/data/nfsd_clients was
recorded). Exit 77 (skip) outside CI without root, QEMU, or the tiny kernel (tests/lib/
tiny_kernel.sh builds it). About 30 s on a quiet machine, 85 s on a loaded one (two TCG guests).
"""


import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import knfsd_guest  # noqa: E402
import netlab  # noqa: E402
import qemu_kernel  # noqa: E402

# The lab's Pi 3 (lab_demo's 1a2b3c01): its DHCP and TFTP events are in LAB_EVENTS.
SERIAL = "1a2b3c01"
PI_ADDRESS = "192.0.2.10"  # TEST-NET-1, the Pi's subnet behind the test namespace
PI_GATEWAY = "192.0.2.1"
PI_MAC = "b8:27:eb:2b:3c:01"
LAB_EVENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "timeline", "data",
                          "lab-boot-events.jsonl")
# Seconds from the Pi's last boot file to its NFS mount the timeline allows: the TCG guest on a
# loaded machine may take minutes to mount (real Pis: the default 120 s).
NFS_WAIT_S = 600
MARKER = "RPI-NETBOOT-NFSV4-ROOT-UP"
POLLS_AFTER = 4  # seconds (polls at 1 s) watched after the event: no second event may come

PI_INIT = """#!/bin/busybox sh
# /sbin/init of the NFSv4 test root: runs from the root (an open file on it), then waits to be
# stopped; bounded, it powers off by itself after 300 s.
/bin/busybox mount -t proc proc /proc
echo "{marker} root=$(/bin/busybox awk '$2 == "/" {{print $1 " " $3 " " $4}}' /proc/mounts | /bin/busybox tail -n 1)"
/bin/busybox sleep 300
/bin/busybox poweroff -f
"""


def make_root(root):
    for d in ("bin", "sbin", "proc", "dev", "etc"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    subprocess.run(["cp", qemu_kernel.BUSYBOX, os.path.join(root, "bin", "busybox")], check=True)
    init = os.path.join(root, "sbin", "init")
    with open(init, "w") as f:
        f.write(PI_INIT.format(marker=MARKER))
    os.chmod(init, 0o755)


def lab_events(boot_us):
    """The Pi's DHCP and TFTP events as lab_demo recorded them (not its NFSv3 mount), moved in
    time so that the last is a second before `boot_us`."""
    with open(LAB_EVENTS) as f:
        recorded = [json.loads(line) for line in f if line.strip()]
    mine = [x for x in recorded if x["step"] != "NFS_MOUNT" and (
        x.get("serial") == SERIAL or x.get("mac") == PI_MAC or x.get("address") == PI_ADDRESS)]
    if not mine or any(x.get("serial", SERIAL) != SERIAL for x in mine):
        raise AssertionError(f"{LAB_EVENTS} has no boot of {SERIAL} at {PI_ADDRESS} alone")
    shift = boot_us - 1_000_000 - max(x["timestamp_us"] for x in mine)
    for x in mine:
        x["timestamp_us"] += shift
    return mine


def timeline_pi(timeline, events_path):
    """rpi-netboot-timeline's JSON for SERIAL (an empty dict when it is not in the fleet)."""
    r = netlab.run([timeline, "--input", events_path, "--nfs-wait", str(NFS_WAIT_S), "--json"],
                   check=False, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"rpi-netboot-timeline failed ({r.returncode}): {r.stderr}")
    return {p["serial"]: p for p in json.loads(r.stdout)["pis"]}.get(SERIAL, {})


def tool(*parts):
    return os.path.join(netlab.build_dir(), *parts)


def main():
    netlab.require_root()
    timeline = tool("timeline", "rpi-netboot-timeline")
    netlab.require_tools(timeline)
    missing = knfsd_guest.missing_tools()
    if missing:
        netlab.skip_or_fail("missing tools: " + ", ".join(missing))
    kernel = qemu_kernel.kernel_image()
    if not kernel:
        netlab.skip_or_fail("the tiny kernel is not built (tests/lib/tiny_kernel.sh)")
    with open(os.path.join(os.path.dirname(kernel), "config")) as f:
        config = f.read()
    for option in ("CONFIG_NFSD_V4=y", "CONFIG_NFS_V4_1=y"):
        if option not in config.splitlines():
            raise AssertionError(f"{kernel} has no {option}: tests/lib/tiny_kernel.config")

    started = time.monotonic()
    ns = netlab.Netns("nfsv4")
    server = pi_proc = None
    tap = f"v4p{os.getpid() % 100000}"[:15]
    try:
        server = knfsd_guest.Server(ns, kernel)
        print(f"knfsd guest up in {server.boot_seconds:.1f}s", file=sys.stderr)
        root = server.root_dir(SERIAL)
        make_root(root)
        path = f"{knfsd_guest.BASE}/{SERIAL}"
        server.export(SERIAL, PI_ADDRESS, path, root)
        server.start_watch()
        try:
            netlab.wait_for(lambda: "watching NFSv4 clients in /proc/fs/nfsd/clients"
                            in server.console(), timeout=120, interval=0.5,
                            what="watch-mounts in the guest")
        except TimeoutError:
            raise AssertionError("watch-mounts did not start in the guest:\n"
                                 + server.console()[-3000:])
        time.sleep(3)  # a few polls over the (empty) directory: no event without a client
        if server.console_events():
            raise AssertionError(f"events before any NFSv4 client: {server.console_events()}")

        # The Pi: its NIC on a tap in the test namespace, the namespace its router.
        ns.exec(["ip", "tuntap", "add", "dev", tap, "mode", "tap"])
        ns.exec(["ip", "addr", "add", f"{PI_GATEWAY}/24", "dev", tap])
        ns.exec(["ip", "link", "set", tap, "up"])
        console_path = os.path.join(server.dir, "pi-console.log")
        open(console_path, "w").close()
        append = (f"console=ttyS0 root=/dev/nfs nfsroot={knfsd_guest.ADDRESS}:{path},vers=4.1 "
                  f"ip={PI_ADDRESS}::{PI_GATEWAY}:255.255.255.0:pi:eth0:off panic=-1")
        boot_us = time.time_ns() // 1000
        pi_proc = ns.start([qemu_kernel.QEMU, "-accel", "tcg", "-m", "96M", "-smp", "1",
                            "-display", "none", "-monitor", "none", "-no-reboot",
                            "-serial", f"file:{console_path}", "-kernel", kernel,
                            "-append", append,
                            "-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no",
                            "-device", f"virtio-net-pci,netdev=n0,mac={PI_MAC}"],
                           name="qemu-pi", log=console_path + ".stdout")

        def pi_console():
            with open(console_path, errors="replace") as f:
                return f.read()

        try:
            netlab.wait_for(lambda: MARKER in pi_console() or "Kernel panic" in pi_console()
                            or not pi_proc.alive(), timeout=300, interval=0.5,
                            what="the Pi's NFSv4 root")
        except TimeoutError:
            raise AssertionError("the Pi did not run its init from NFSv4 in 300 s:\n"
                                 + pi_console()[-4000:] + server.console()[-3000:])
        m = re.search(MARKER + r" root=(.*)", pi_console())
        if not m:
            raise AssertionError("the Pi did not run its init:\n" + pi_console()[-4000:])
        mounted = m.group(1).strip()
        print(f"the Pi mounted: {mounted}", file=sys.stderr)
        if " nfs4 " not in f" {mounted} " or "vers=4.1" not in mounted:
            raise AssertionError(f"the Pi's root is not NFSv4.1: {mounted}")

        def mounts():
            return [e for e in server.console_events() if e.get("step") == "NFS_MOUNT"]
        try:
            netlab.wait_for(lambda: mounts(), timeout=60, interval=0.5,
                            what="watch-mounts' NFS_MOUNT event")
        except TimeoutError:
            raise AssertionError("no NFS_MOUNT event in 60 s:\n" + server.console()[-4000:])
        time.sleep(POLLS_AFTER)
        events = mounts()
        print(f"events: {events}", file=sys.stderr)
        if len(events) != 1:
            raise AssertionError(f"{len(events)} NFS_MOUNT events for one client: {events}")
        e = events[0]
        expect = {"serial": SERIAL, "address": PI_ADDRESS, "file": path, "outcome": "ok",
                  "text": "vers=4.1", "source": "rpi-nfs-exports"}
        wrong = {k: (e.get(k), v) for k, v in expect.items() if e.get(k) != v}
        if wrong:
            raise AssertionError(f"event fields (got, expected): {wrong}")
        # The time is the client's creation in the guest (its clock is the host's, from QEMU's
        # RTC, to the second).
        now_us = time.time_ns() // 1000
        if not boot_us - 5_000_000 <= e["timestamp_us"] <= now_us + 5_000_000:
            raise AssertionError(f"event time {e['timestamp_us']} outside the boot "
                                 f"[{boot_us}, {now_us}]")

        files = server.nfsd_clients()
        record = os.environ.get("RPI_NETBOOT_RECORD")
        if record:
            os.makedirs(record, exist_ok=True)
            for name, text in files.items():
                dest = os.path.join(record, "v4.1-" + name.rstrip("/").split("/")[-1])
                with open(dest, "w") as f:
                    f.write(text.replace("\r\n", "\n"))
            print(f"recorded {sorted(files)} in {record}", file=sys.stderr)

        lab = lab_events(boot_us)
        events_path = os.path.join(server.dir, "events.jsonl")
        with open(events_path, "w") as f:
            f.writelines(json.dumps(x) + "\n" for x in lab)
        before = timeline_pi(timeline, events_path)
        if before.get("reached") == "nfs-root":
            raise AssertionError(f"without the NFSv4 event the timeline already says nfs-root: "
                                 f"{before}")
        with open(events_path, "a") as f:
            f.write(json.dumps(e) + "\n")
        pi = timeline_pi(timeline, events_path)
        expect = {"reached": "nfs-root", "anomaly": None, "state": "ok", "mac": PI_MAC,
                  "address": PI_ADDRESS, "boots": 1}
        wrong = {k: (pi.get(k), v) for k, v in expect.items() if pi.get(k) != v}
        if wrong:
            raise AssertionError(f"the timeline's {SERIAL} (got, expected): {wrong}")
        print(netlab.run([timeline, "--input", events_path, "--nfs-wait", str(NFS_WAIT_S),
                          "--pi", SERIAL], check=False, timeout=30).stdout, file=sys.stderr)
    finally:
        if pi_proc:
            pi_proc.stop(timeout=10)
        ns.exec(["ip", "link", "del", tap], check=False)
        if server:
            server.close()
        ns.close()
    print(f"ok: one NFS_MOUNT for the NFSv4.1 root ({time.monotonic() - started:.1f}s)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
