#!/usr/bin/python3
"""`make demo`: the whole product on an embedded lab, one emulated Pi of each model.

    [pia] --- 192.0.2.0/25 --- [srv] --- 192.0.2.128/30 --- [relay] --- 198.51.100.0/24 --- [pib]

srv runs the real kea-dhcp4 with the rpi-netboot hook, rpi-tftpd serving each Pi's NFS root /boot
(layout template), and rpcbind + rpc.mountd with exports written by rpi-nfs-exports, inside the NFS
sandbox (tests/lib/nfs_sandbox.py) so the host's /etc/exports and /var/lib/nfs are never touched.
rpi-netboot-probe then boots each emulated Pi: Pi 3B (boot ROM) and 3B+ on the direct subnet, Pi 4
and Pi 5 through ISC dhcrelay, plus a non-Pi (udhcpc) and two misconfigured Pis whose failures must
be diagnosed. Then the 3B+'s Linux asks for its address as its initramfs would, with klibc's real
ipconfig from the Pi's MAC: it must keep the boot's address and get the hostname and NFS root path
of the hook's templates (docs/kea.md, "Identity"); `rpi-netboot list` prints the fleet.

Every component writes its boot events to one JSON-lines file (the hook's `events`, rpi-tftpd's
--events, `rpi-nfs-exports watch-mounts` over rpc.mountd's log); while the probe boots a Pi the
lab gives the probe's interface that Pi's address, so that TFTP and the MOUNT call come from it as
from the real Pi, and a Pi whose cmdline.txt names a reachable NFS root gets its root mounted (the
MNT call the kernel makes, by libnfs's nfs-ls, answered by the real rpc.mountd). The demo ends with
rpi-netboot-timeline's fleet table over those events, and checks its verdict for every Pi: the
healthy ones reach their NFS root; the broken ones (no TFTP server reachable, start4.elf missing,
no NFS mount, no tree, not allowed) each get their own verdict.

Exit code 0 when every row behaved as expected, 1 otherwise, 2 when the lab could not be set up.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import kea_control  # noqa: E402
import netlab  # noqa: E402
import nfs_sandbox  # noqa: E402
import boot_files  # noqa: E402
import kea_config  # noqa: E402
import topology as topo  # noqa: E402


class Pi:
    def __init__(self, name, model, serial, mac, subnet, ip, expect, timeline, tree=True,
                 allowed=True, break_with=None):
        self.name, self.model, self.serial, self.mac = name, model, serial, mac
        self.subnet, self.ip, self.expect = subnet, ip, expect
        # What rpi-netboot-timeline must say: the stage reached ("nfs-root") or the anomaly code.
        self.timeline = timeline
        self.tree, self.allowed = tree, allowed
        self.break_with = break_with  # "tftp-server", "no-start4", "nfs-server" or None
        self.report = None
        self.exit_code = None


# Serials and MACs follow each model's habits: Pi 3 MACs end in the serial's low 24 bits.
PIS = [
    Pi("Pi 3B (boot ROM)", "rom3", "1a2b3c01", "b8:27:eb:2b:3c:01", "a", "192.0.2.10", "boots",
       "nfs-root"),
    # Its OS asks for an address after the NFS root (OS_PHASE_PI): the timeline's last stage.
    Pi("Pi 3B+", "bootcode", "1a2b3c02", "b8:27:eb:2b:3c:02", "a", "192.0.2.11", "boots",
       "os-dhcp"),
    Pi("Pi 4 (relayed)", "pi4", "1a2b3c04", "dc:a6:32:2b:3c:04", "b", "198.51.100.10", "boots",
       "nfs-root"),
    Pi("Pi 5 (relayed)", "pi5", "1a2b3c05", "2c:cf:67:2b:3c:05", "b", "198.51.100.11", "boots",
       "nfs-root"),
    Pi("Pi 4, no tree", "pi4", "1a2b3c06", "dc:a6:32:2b:3c:06", "a", "192.0.2.12",
       "serial-dir-missing", "boot-file-missing", tree=False),
    # The hook refuses it (allow-serials): its DISCOVER and REQUEST events fail, saying why.
    Pi("Pi 4, not allowed", "pi4", "1a2b3c07", "dc:a6:32:2b:3c:07", "a", None,
       "no-option-43", "boot-not-allowed", allowed=False),
    # Three ways to break a Pi that the fleet view must tell apart: the hook sends it a TFTP
    # server (option 66) where nothing answers; start4.elf deleted from its tree; its cmdline.txt
    # names an NFS server that does not answer, so its kernel never mounts a root.
    Pi("Pi 4, no TFTP server", "pi4", "1a2b3c08", "dc:a6:32:2b:3c:08", "a", "192.0.2.13",
       "tftp-unreachable", "boot-no-tftp", break_with="tftp-server"),
    Pi("Pi 4, no start4.elf", "pi4", "1a2b3c09", "dc:a6:32:2b:3c:09", "a", "192.0.2.14",
       "serial-dir-missing", "boot-file-missing", break_with="no-start4"),
    Pi("Pi 4, no NFS mount", "pi4", "1a2b3c0a", "dc:a6:32:2b:3c:0a", "a", "192.0.2.15",
       "nfs-unreachable", "boot-no-nfs-mount", break_with="nfs-server"),
]
# Where the broken Pis are sent: TEST-NET addresses on the Pi subnet that nothing answers.
DEAD_TFTP = "192.0.2.99"
DEAD_NFS = "192.0.2.98"
# The limits the timeline judges the lab with (the defaults suit real Pis: 30 s, 120 s).
TIMELINE_SETTLE_S = 5
TIMELINE_NFS_WAIT_S = 5
NON_PI_EXPECT = "no Pi classes"


def say(msg):
    print(msg, flush=True)


def port_open(ns, port, proto):
    flag = "-lun" if proto == "udp" else "-ltn"
    out = ns.exec(["ss", "-H", flag, f"sport = :{port}"], check=False).stdout
    return bool(out.strip())


def classes_from_log(log_text, mac):
    mac = mac.lower()
    for line in log_text.splitlines():
        if mac not in line.lower():
            continue
        if "RPI_NETBOOT_CLASSIFIED" in line:
            # "... classes RPI_NETBOOT and RPI_NETBOOT_PI4 (...)"
            part = line.split("classes ", 1)[1]
            stage = part.split(" and ", 1)[1].split(" ", 1)[0]
            return "RPI_NETBOOT+" + stage.replace("RPI_NETBOOT_", "")
        if "RPI_NETBOOT_NOT_ALLOWED" in line:
            return "(not allowed)"
    return "-"


def run_probe(args, ns, iface, pi, workdir):
    argv = [args.probe, "--interface", iface, "--model", pi.model, "--serial", pi.serial, "--mac",
            pi.mac, "--json"]
    r = ns.exec(argv, check=False, timeout=120)
    pi.exit_code = r.returncode
    with open(os.path.join(workdir, f"probe-{pi.serial}.json"), "w") as f:
        f.write(r.stdout)
    try:
        pi.report = json.loads(r.stdout)
    except json.JSONDecodeError:
        pi.report = None
        say(f"  probe for {pi.name} gave no JSON (exit {r.returncode}): {r.stderr.strip()[:300]}")


class PiAddress:
    """While the probe boots `pi`, its interface also holds the Pi's own address and the routes to
    the server take it as source: TFTP and MOUNT then come from the Pi's address, as from the real
    Pi. The routes are put back (source: the probe's own address) and the address removed after."""

    def __init__(self, ns, iface, pi):
        self.ns, self.iface, self.pi = ns, iface, pi
        if pi.subnet == "a":
            own = topo.CLIENT_A
            self.routes = [[topo.SUBNET_A, "dev", iface, "proto", "kernel", "scope", "link"],
                           [topo.SERVER_UPLINK, "via", topo.SERVER_A, "dev", iface]]
        else:
            own = topo.CLIENT_B
            self.routes = [[topo.SUBNET_B, "dev", iface, "proto", "kernel", "scope", "link"],
                           ["default", "via", topo.RELAY_B, "dev", iface]]
        self.own = own

    def _set(self, src):
        for route in self.routes:
            self.ns.exec(["ip", "route", "change"] + route + ["src", src])

    def __enter__(self):
        if self.pi.ip:
            self.ns.exec(["ip", "addr", "add", self.pi.ip + "/32", "dev", self.iface])
            self._set(self.pi.ip)
        return self

    def __exit__(self, *exc):
        if self.pi.ip:
            self._set(self.own)
            self.ns.exec(["ip", "addr", "del", self.pi.ip + "/32", "dev", self.iface])
        return False


def mount_root(ns, pi):
    """What the Pi's kernel does next: the NFSv3 MNT call for the root its cmdline.txt names
    (the probe read it: nfs_root "SERVER:/path"), by libnfs's nfs-ls from the Pi's address. The
    lab has no kernel NFS server, so mountd authenticates the call and the file handle is refused;
    the authenticated request is what rpi-nfs-exports watch-mounts reports."""
    root = (pi.report or {}).get("nfs_root")
    if not root or ":" not in root:
        return
    server, path = root.split(":", 1)
    # A server that does not answer is a hung mount: bounded here as the kernel would retry.
    ns.exec(["timeout", "5", "nfs-ls", f"nfs://{server}{path}?version=3"], check=False, timeout=15)


class MountWatch:
    """Feeds rpc.mountd's new log lines to `rpi-nfs-exports watch-mounts` after each Pi, so its
    NFS_MOUNT events carry the time of the mount (mountd's stderr lines have no time stamp)."""

    def __init__(self, mounts, nfs_common, log_path, events):
        self.mounts, self.nfs_common, self.log_path, self.events = mounts, nfs_common, log_path, events
        self.offset = 0

    def poll(self):
        with open(self.log_path, "rb") as f:
            f.seek(self.offset)
            new = f.read()
        new = new[:new.rfind(b"\n") + 1]  # whole lines only
        self.offset += len(new)
        if not new:
            return ""
        r = self.mounts.run(self.nfs_common + ["watch-mounts", "--input", "-", "--events",
                                               "json:" + self.events],
                            check=False, input=new.decode(errors="replace"), timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"watch-mounts failed ({r.returncode}): {r.stderr}")
        return r.stdout


def run_timeline(timeline, events, json_out):
    argv = [timeline, "--input", events, "--settle", str(TIMELINE_SETTLE_S), "--nfs-wait",
            str(TIMELINE_NFS_WAIT_S)] + (["--json"] if json_out else [])
    return netlab.run(argv, check=False, timeout=30)


def timeline_outcome(pi, fleet):
    """(what the timeline says for the Pi, as expected?): its stage when it has no anomaly."""
    for row in fleet.get("pis", []):
        if row.get("serial") == pi.serial or row.get("mac") == pi.mac:
            said = row["anomaly"]["code"] if row.get("anomaly") else row.get("reached")
            return said, said == pi.timeline
    return "(absent)", pi.timeline == "(absent)"


def run_non_pi(ns, iface, workdir):
    """BusyBox udhcpc: a plain client; its script records what it was given."""
    env_file = os.path.join(workdir, "udhcpc.env")
    script = os.path.join(workdir, "udhcpc.sh")
    with open(script, "w") as f:
        f.write(f'#!/bin/sh\n[ "$1" = bound ] && env > {env_file}\nexit 0\n')
    os.chmod(script, 0o755)
    ns.exec(["udhcpc", "-i", iface, "-f", "-q", "-n", "-t", "4", "-T", "1", "-s", script,
             "-O", "43", "-O", "66"], check=False, timeout=30)
    got = {}
    if os.path.exists(env_file):
        with open(env_file) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                got[k] = v
    return got


KLIBC_IPCONFIG = "/usr/lib/klibc/bin/ipconfig"
# The Pi whose OS phase the demo runs (on the direct subnet: ipconfig from the Pi's own MAC).
OS_PHASE_PI = 1  # PIS[1], the Pi 3B+


def run_os_phase(ns, iface, pi, workdir):
    """klibc ipconfig, as a Pi's initramfs runs it (`ip=dhcp`), from the Pi's MAC: the interface
    takes that MAC for the exchange and gets its own back. ipconfig writes /run/net-IF.conf: it
    runs with a private /run, and the file is read back from there."""
    own_mac = ns.exec(["cat", f"/sys/class/net/{iface}/address"]).stdout.strip()
    script = (f"mount -t tmpfs tmpfs /run && {KLIBC_IPCONFIG} -n -t 10 -c dhcp -d {iface} "
              f"&& cat /run/net-{iface}.conf")
    ns.exec(["ip", "link", "set", iface, "address", pi.mac])
    try:
        r = ns.exec(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                    check=False, timeout=60)
    finally:
        ns.exec(["ip", "link", "set", iface, "address", own_mac])
    with open(os.path.join(workdir, "klibc-ipconfig.out"), "w") as f:
        f.write(r.stdout + r.stderr)
    got = {}
    for line in r.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.isupper():
            got[key] = value.strip("'")
    return got


def os_classes_from_log(log_text, mac):
    """The classes the hook gave the OS phase of `mac` (RPI_NETBOOT_OS_PHASE, debug level)."""
    for line in log_text.splitlines():
        if "RPI_NETBOOT_OS_PHASE" in line and mac.lower() in line.lower():
            stage = line.rsplit(" and ", 1)[1].split()[0]
            return "RPI_NETBOOT+OS+" + stage.replace("RPI_NETBOOT_", "")
    return "-"


def pi_outcome(pi):
    """(address, files, bytes, nfs, diagnosis codes) from the probe's JSON."""
    r = pi.report or {}
    files = r.get("files") or []
    fetched = [f for f in files if f.get("found")]
    nbytes = sum(int(f.get("bytes") or 0) for f in fetched)
    if r.get("nfs_exported") is True:
        nfs = "exported"
    elif r.get("nfs_exported") is False:
        nfs = "NOT exported"
    else:
        nfs = "-"
    codes = [f["code"] for f in r.get("findings") or [] if f.get("verdict") == "fail"]
    return r.get("address") or "-", f"{len(fetched)}/{len(files)}", nbytes, nfs, codes


def as_expected(pi):
    if pi.report is None:
        return False
    codes = pi_outcome(pi)[4]
    if pi.expect == "boots":
        return pi.exit_code == 0 and pi.report.get("sound") is True and not codes
    return pi.exit_code == 1 and pi.expect in codes


def print_table(rows):
    headers = ["Pi", "model", "serial", "address", "classes", "TFTP files", "bytes", "NFS",
               "diagnosis", "as expected"]
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    say(line)
    say("  ".join("-" * w for w in widths))
    for r in rows:
        say("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def find_tool(build, rel, name):
    path = os.path.join(build, rel)
    if not os.access(path, os.X_OK):
        raise SystemExit(f"demo: {name} not built at {path}; run `make build` first")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="CMake build directory")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, trees)")
    ap.add_argument("--probe", help="rpi-netboot-probe to use (default: the one in --build)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    if os.geteuid() != 0 and "RPI_NETBOOT_BUILD" in os.environ:
        netlab.require_root()  # as a ctest: skip, or fail under CI=true
    if os.geteuid() != 0:
        say("demo: needs root (network namespaces, mounts, raw sockets); run it as root")
        return 2
    netlab.require_tools("kea-dhcp4", "dhcrelay", "udhcpc", "rpcbind", "rpc.mountd", "exportfs",
                         "nsenter", "unshare", "ss", "nfs-ls", "timeout", KLIBC_IPCONFIG)
    hook = find_tool(build, "kea-hook/libdhcp_rpi_netboot.so", "the Kea hook")
    tftpd = find_tool(build, "tftpd/rpi-tftpd", "rpi-tftpd")
    nfs_tool = find_tool(build, "nfs-export-helper/rpi-nfs-exports", "rpi-nfs-exports")
    args.probe = args.probe or find_tool(build, "probe/cli/rpi-netboot-probe", "rpi-netboot-probe")
    args.timeline = find_tool(build, "timeline/rpi-netboot-timeline", "rpi-netboot-timeline")
    args.fleet = find_tool(build, "kea-hook/rpi-netboot", "rpi-netboot")
    os.environ["RPI_NETBOOT_BUILD"] = build  # boot_files reads <build>/pi-facts.json
    boot_files.facts()  # exits with a clear message when the build has not written it

    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="rpi-netboot-demo-")
    os.chmod(workdir, 0o755)
    say(f"rpi-netboot demo: work directory {workdir}")
    try:
        return run_lab(args, build, hook, tftpd, nfs_tool, workdir, started)
    finally:
        netlab._cleanup_all()
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run_lab(args, build, hook, tftpd, nfs_tool, workdir, started):
    events = os.path.join(workdir, "boot-events.jsonl")
    say("[1/7] network: namespaces srv, pia, relay, pib and their veth links")
    lab = topo.Lab(relay=True)

    say("[2/7] NFS: private mounts, rpcbind, rpc.mountd; per-Pi roots provisioned and exported")
    mounts = nfs_sandbox.Sandbox(lab.srv)
    rpcbind = mounts.start_rpcbind()
    mounts.run(["exportfs", "-ra"])
    mountd_log = os.path.join(workdir, "rpc.mountd.log")
    nfs_daemons = [rpcbind, mounts.start_mountd("-N", "2", log=mountd_log)]
    nfs_base = os.path.join(workdir, "nfs")
    bases = os.path.join(workdir, "base")
    os.makedirs(nfs_base)
    nfs_common = [nfs_tool, "--base", nfs_base]
    for pi in PIS:
        if not pi.tree or not pi.allowed:
            continue
        base = os.path.join(bases, pi.model)
        if not os.path.isdir(base):
            boot_files.base_root(base, pi.model)
        r = mounts.run(nfs_common + ["provision", pi.serial, "--from", base, "--client", pi.ip,
                                     "--server", topo.SERVER_A], check=False, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"provision {pi.serial} failed ({r.returncode}):\n{r.stdout}"
                               f"{r.stderr}")
        boot = os.path.join(nfs_base, pi.serial, "boot")
        if pi.break_with == "no-start4":
            os.unlink(os.path.join(boot, "start4.elf"))
        elif pi.break_with == "nfs-server":
            with open(os.path.join(boot, "cmdline.txt")) as f:
                cmdline = f.read()
            with open(os.path.join(boot, "cmdline.txt"), "w") as f:
                f.write(cmdline.replace(f"nfsroot={topo.SERVER_A}:", f"nfsroot={DEAD_NFS}:"))
    exports = mounts.run(nfs_common + ["list"], check=False).stdout
    for line in exports.strip().splitlines():
        say("      " + line)

    say("[3/7] TFTP: rpi-tftpd serving each Pi's NFS root /boot, bootcode.bin at the root")
    tftp_root = os.path.join(workdir, "tftp")
    boot_files.rom_files(tftp_root)
    tftp = lab.srv.start([tftpd, "--root", tftp_root, "--layout",
                          os.path.join(nfs_base, "{serial}", "boot", "{path}"),
                          "--listen", "0.0.0.0:69", "--log-level", "info",
                          "--events", "json:" + events], name="rpi-tftpd")
    tftp.wait_ready(lambda: port_open(lab.srv, 69, "udp"), what="rpi-tftpd listening")

    say("[4/7] DHCP: kea-dhcp4 with libdhcp_rpi_netboot.so, dhcrelay for the second subnet")
    control = os.path.join(workdir, "kea.sock")
    allowed = [pi for pi in PIS if pi.allowed]
    config = kea_config.kea_config(
        workdir, hook, [lab.if_srv_a, lab.if_srv_up],
        [{"mac": pi.mac, "ip": pi.ip, "subnet": pi.subnet} for pi in PIS if pi.ip],
        hook_params={"allow-serials": [pi.serial for pi in allowed if pi.model != "rom3"],
                     # The Pi 3 ROM sends no serial (option 97 is constant): allow it by MAC.
                     "allow-macs": [pi.mac for pi in allowed if pi.model == "rom3"],
                     "clients": [{"serial": pi.serial, "tftp-server": DEAD_TFTP}
                                 for pi in PIS if pi.break_with == "tftp-server"],
                     "events": "json:" + events,
                     # The OS phase's identity: the layout rpi-nfs-exports provisioned above.
                     "hostname-template": "pi-{serial}",
                     "root-path-template": "{tftp-server}:" + nfs_base + "/{serial}"},
        control_socket=control)
    kea_conf = os.path.join(workdir, "kea-dhcp4.conf")
    with open(kea_conf, "w") as f:
        f.write(config)
    env = dict(os.environ, KEA_PIDFILE_DIR=workdir, KEA_LOCKFILE_DIR=workdir)
    kea = lab.srv.start(["kea-dhcp4", "-c", kea_conf], env=env, name="kea-dhcp4")
    kea_log = os.path.join(workdir, "kea-dhcp4.log")

    def kea_ready():
        if not kea.alive():
            raise RuntimeError("kea-dhcp4 exited:\n" + kea.output()[-2000:])
        return os.path.exists(control) and port_open(lab.srv, 67, "udp")
    netlab.wait_for(kea_ready, timeout=20, what="kea-dhcp4 serving")
    relay = lab.start_relay()
    # A relay that died would show up only later, as failed Pi 4 and Pi 5 rows: say it here.
    relay.wait_ready(lambda: port_open(lab.relay, 67, "udp"), what="dhcrelay listening")

    say("[5/7] booting the emulated Pis with rpi-netboot-probe, then mounting their roots")
    watch = MountWatch(mounts, nfs_common, mountd_log, events)
    for pi in PIS:
        ns, iface = (lab.pia, lab.if_pia) if pi.subnet == "a" else (lab.pib, lab.if_pib)
        t0 = time.monotonic()
        with PiAddress(ns, iface, pi):
            run_probe(args, ns, iface, pi, workdir)
            mount_root(ns, pi)
        mounted = watch.poll().strip()
        say(f"      {pi.name:<20} exit {pi.exit_code}  ({time.monotonic() - t0:.1f} s)"
            + (f"  {mounted.splitlines()[-1]}" if mounted else ""))
    last_pi_done = time.monotonic()
    t0 = time.monotonic()
    non_pi = run_non_pi(lab.pia, lab.if_pia, workdir)
    say(f"      {'non-Pi (udhcpc)':<20} {'bound' if non_pi.get('ip') else 'no lease'}"
        f"  ({time.monotonic() - t0:.1f} s)")
    os_pi = PIS[OS_PHASE_PI]
    t0 = time.monotonic()
    os_got = run_os_phase(lab.pia, lab.if_pia, os_pi, workdir)
    say(f"      {os_pi.name + ' OS':<20} klibc ipconfig {'bound' if os_got.get('IPV4ADDR') else 'no lease'}"
        f"  ({time.monotonic() - t0:.1f} s)")

    say("[6/7] results")
    with open(kea_log, errors="replace") as f:
        log_text = f.read()
    rows, good = [], True
    for pi in PIS:
        address, nfiles, nbytes, nfs, codes = pi_outcome(pi)
        ok = as_expected(pi)
        good &= ok
        # The first failure is the cause; the ones after it usually follow from it.
        unique = list(dict.fromkeys(codes))
        diagnosis = ("boots" if pi.report and pi.report.get("sound") else
                     (unique[0] + (f" (+{len(unique) - 1} more)" if len(unique) > 1 else ""))
                     if unique else "?")
        rows.append([pi.name, pi.model, pi.serial, address, classes_from_log(log_text, pi.mac),
                     nfiles, nbytes, nfs, diagnosis, "yes" if ok else "NO"])
    # The non-Pi: an ordinary lease from the general pool, nothing Pi-specific in it.
    ip = non_pi.get("ip", "-")
    pi_bits = [k for k in ("opt43", "tftp", "opt66") if non_pi.get(k)]
    mac = lab.pia.exec(["cat", f"/sys/class/net/{lab.if_pia}/address"]).stdout.strip()
    non_pi_ok = ip.startswith("192.0.2.12") and not pi_bits and classes_from_log(
        log_text, mac) == "-"
    good &= non_pi_ok
    rows.append(["non-Pi (udhcpc)", "-", "-", ip, classes_from_log(log_text, mac), "-", "-", "-",
                 "plain lease" + (" with " + ",".join(pi_bits) if pi_bits else ""),
                 "yes" if non_pi_ok else "NO"])
    # The OS phase: the boot's address, the templates' hostname and root path, RPI_NETBOOT_OS.
    os_address = pi_outcome(os_pi)[0]
    want_root = f"{topo.SERVER_A}:{nfs_base}/{os_pi.serial}"
    os_classes = os_classes_from_log(log_text, os_pi.mac)
    os_ok = (os_got.get("IPV4ADDR") == os_address != "-" and
             os_got.get("HOSTNAME") == f"pi-{os_pi.serial}" and
             os_got.get("ROOTPATH") == want_root and os_classes.startswith("RPI_NETBOOT+OS+"))
    good &= os_ok
    rows.append([os_pi.name + " OS (klibc)", os_pi.model, os_pi.serial,
                 os_got.get("IPV4ADDR", "-"), os_classes, "-", "-", "-",
                 f"host={os_got.get('HOSTNAME', '-')} rootpath={os_got.get('ROOTPATH', '-')}",
                 "yes" if os_ok else "NO"])
    say("")
    print_table(rows)
    say("")
    fleet = subprocess.run([args.fleet, "--socket", control, "list"], capture_output=True,
                           text=True, timeout=30, check=False)
    say("Fleet (rpi-netboot list):")
    for line in (fleet.stdout or fleet.stderr).splitlines():
        say("  " + line)
    say("")
    for pi in PIS:
        if pi.expect != "boots" and pi.report:
            seen = set()
            for f in pi.report.get("findings") or []:
                if f.get("verdict") == "fail" and f["code"] not in seen:
                    seen.add(f["code"])
                    say(f"{pi.name}: {f['code']}: {f['message']}")
    try:
        stats = kea_control.statistics(control)
        names = sorted(k for k in stats if "rpi-netboot" in k)
        if names:
            say("")
            say("Kea statistics: " + ", ".join(f"{k}={stats[k]}" for k in names))
    except (OSError, ValueError, KeyError, IndexError) as e:
        say(f"Kea statistics unavailable: {e}")
    for proc in [relay, kea, tftp] + nfs_daemons[::-1]:
        proc.stop()
    mounts.close()

    # The fleet as an admin sees it: every component's events, judged by rpi-netboot-timeline
    # with the lab's short limits (the last Pi's limits must have run out).
    time.sleep(max(0.0, last_pi_done + max(TIMELINE_SETTLE_S, TIMELINE_NFS_WAIT_S) + 1
                   - time.monotonic()))
    say("")
    say("[7/7] the fleet from the boot events: rpi-netboot-timeline --input boot-events.jsonl "
        f"--settle {TIMELINE_SETTLE_S} --nfs-wait {TIMELINE_NFS_WAIT_S}")
    say("")
    text = run_timeline(args.timeline, events, json_out=False)
    for line in text.stdout.rstrip("\n").splitlines():
        say(line)
    if text.returncode != 0 or text.stderr.strip():
        say(f"rpi-netboot-timeline exit {text.returncode}: {text.stderr.strip()}")
        good = False
    r = run_timeline(args.timeline, events, json_out=True)
    try:
        fleet = json.loads(r.stdout)
    except json.JSONDecodeError:
        fleet = {}
        say(f"rpi-netboot-timeline --json gave no JSON (exit {r.returncode}): {r.stderr.strip()}")
    say("")
    for pi in PIS:
        said, ok = timeline_outcome(pi, fleet)
        good &= ok
        say(f"  {pi.name:<22} timeline: {said:<20} expected {pi.timeline:<20} "
            f"{'yes' if ok else 'NO'}")
    elapsed = time.monotonic() - started
    say("")
    say(f"demo {'PASSED' if good else 'FAILED'}: every row as expected: {'yes' if good else 'no'}"
        f" ({elapsed:.0f} s)")
    if not good:
        say(f"logs: {workdir} (rerun with --keep to keep them)")
    return 0 if good else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.SubprocessError, OSError) as e:
        print(f"demo: the lab could not be set up: {e}", file=sys.stderr)
        netlab._cleanup_all()
        sys.exit(2)
