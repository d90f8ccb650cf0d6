#!/usr/bin/python3
"""rpi-netconsoled between two network namespaces, fed real frames from a packet socket.

The "Pi" namespace sends NETCONSOLE frames built byte for byte as the Raspberry Pi documentation
(computers/raspberry-pi/eeprom-bootloader, NETCONSOLE) and the raspberrypi/rpi-eeprom#452 capture
show them: one to MAC 00:00:00:00:00:00 and 255.255.255.255 from port 6665 (the default, which no
UDP socket sees), one to the receiver's own MAC and address (bootloaders since pieeprom-2022-09-02
with a destination MAC). Both lines must come out as NETCONSOLE_LINE events attributed to their
source MAC, once each, while malformed frames are counted and change nothing. Then the UDP-only
mode (attribution by address, and blind to the default frames), and the privileges: the daemon
ends with no capability, and as an unprivileged user it needs CAP_NET_RAW and nothing more; and
the UDP socket passed by socket activation.
TEST-NET-1 addresses only, in namespaces this test creates.
"""

import json
import os
import re
import signal
import socket
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402

PI_MAC = "e4:5f:01:12:34:56"
OTHER_PI_MAC = "dc:a6:32:01:36:c2"
ZERO_MAC = "00:00:00:00:00:00"


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def checksum(header):
    s = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(payload, dst_mac=ZERO_MAC, src_mac=PI_MAC, src_ip="192.0.2.10",
          dst_ip="255.255.255.255", sport=6665, dport=6666, proto=17, frag=0, bad_checksum=False):
    """Ethernet II + IPv4 (RFC 791) + UDP (RFC 768, checksum 0 = none), padded to 60 bytes."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, frag, 64, proto, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    c = checksum(ip) ^ (0x0100 if bad_checksum else 0)
    ip = ip[:10] + struct.pack("!H", c) + ip[12:]
    f = mac_bytes(dst_mac) + mac_bytes(src_mac) + b"\x08\x00" + ip + udp
    return f + b"\x00" * max(0, 60 - len(f))


def send_frames(ifname, frames_hex):
    """Runs in the Pi namespace: each frame written as it is on a packet socket."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    for h in frames_hex:
        s.send(bytes.fromhex(h))
    s.close()


def send_udp(src, dst, text):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 6665))
    s.sendto(text.encode(), (dst, 6666))
    s.close()


def helper(ns, *args):
    ns.exec([sys.executable, os.path.abspath(__file__)] + list(args))


def events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def status_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split()[1:]
    raise AssertionError(f"no {name} in /proc/{pid}/status")


def start(ns, args, events_path, prefix=()):
    binary = os.path.join(netlab.build_dir(), "netconsole", "rpi-netconsoled")
    proc = ns.start(list(prefix) + [binary, "--events", f"json:{events_path}", "--log-level",
                                    "debug"] + args, name="rpi-netconsoled")
    proc.wait_ready(lambda: "ready" in proc.output(), timeout=10, what="rpi-netconsoled ready")
    return proc


def counters(proc):
    before = proc.output().count("counters:")
    proc.signal(signal.SIGUSR1)
    netlab.wait_for(lambda: proc.output().count("counters:") > before, timeout=5,
                    what="the counters after SIGUSR1")
    line = [l for l in proc.output().splitlines() if "counters:" in l][-1]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def expect(cond, what, proc=None):
    if not cond:
        raise AssertionError(what + ("\n--- daemon output ---\n" + proc.output() if proc else ""))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--send":
        send_frames(sys.argv[2], sys.argv[3:])
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--udp":
        send_udp(*sys.argv[2:5])
        return 0
    netlab.require_root()
    netlab.require_tools(os.path.join(netlab.build_dir(), "netconsole", "rpi-netconsoled"),
                         "setpriv")
    tmp = tempfile.mkdtemp(prefix="rpinb-netconsole-")
    pi, srv = netlab.Netns("ncpi"), netlab.Netns("ncsrv")
    # MTU 3000: room for a frame larger than the daemon's 2048-byte read buffer.
    pi_if, srv_if = netlab.link(pi, "192.0.2.10/24", srv, "192.0.2.1/24", mtu=3000)
    pi.exec(["ip", "link", "set", pi_if, "address", PI_MAC])
    srv_mac = json.loads(srv.exec(["ip", "-j", "link", "show", srv_if]).stdout)[0]["address"]

    # 1. Packet socket (promiscuous) and UDP socket together, dropped to nobody.
    path = os.path.join(tmp, "events.json")
    proc = start(srv, ["--interface", srv_if, "--udp", "0.0.0.0", "--user", "nobody"], path)
    expect(status_field(proc.pid, "Uid")[1] == str(65534), "not running as nobody", proc)
    expect(status_field(proc.pid, "CapEff")[0] == "0000000000000000", "capabilities kept", proc)
    expect(status_field(proc.pid, "CapPrm")[0] == "0000000000000000", "capabilities kept", proc)
    # A veth hands every frame to a packet socket anyway, so promiscuous mode (what a real NIC
    # needs for the all-zero MAC) is checked on the link itself.
    link = json.loads(srv.exec(["ip", "-j", "-d", "link", "show", srv_if]).stdout)[0]
    expect(link.get("promiscuity", 0) >= 1, f"{srv_if} not promiscuous: {link}", proc)

    good = [
        frame(b"Stopping network\n"),
        frame(b"Boot mode: NETWORK\n", dst_mac=srv_mac, src_mac=OTHER_PI_MAC,
              src_ip="192.0.2.11", dst_ip="192.0.2.1"),
    ]
    bad = [
        frame(b"cut short\n")[:40],                     # IP total length says more
        frame(b"bad checksum\n", bad_checksum=True),
        frame(b"a fragment\n", frag=0x2000),
        frame(b"icmp\n", proto=1),                      # left in the kernel by the filter
        frame(b"wrong port\n", dport=6667),             # likewise
        frame(b"x" * 2500 + b"\n"),                     # larger than the read buffer
        frame(b"caf\xc3\xa9 \xff\x00\n"),               # non-ASCII and NUL, escaped
        frame(b"L" * 1400 + b"\n"),                     # cut at 512 bytes
        frame(b"after bad frames\n"),
    ]
    helper(pi, "--send", pi_if, *[f.hex() for f in good + bad])
    netlab.wait_for(lambda: len(events(path)) >= 5, timeout=10, what="five events")
    got = events(path)
    texts = [(e.get("mac"), e.get("address"), e["text"]) for e in got]
    expect(all(e["step"] == "NETCONSOLE_LINE" and e["source"] == "rpi-netconsoled" for e in got),
           f"events: {got}", proc)
    expect(texts[0] == (PI_MAC, "192.0.2.10", "Stopping network"), f"first: {texts}", proc)
    expect(texts[1] == (OTHER_PI_MAC, "192.0.2.11", "Boot mode: NETWORK"), f"second: {texts}",
           proc)
    expect(texts[2] == (PI_MAC, "192.0.2.10", "caf\\xc3\\xa9 \\xff\\x00"), f"escaped: {texts}",
           proc)
    expect(texts[3] == (PI_MAC, "192.0.2.10", "L" * 512), f"long: {texts}", proc)
    expect(texts[4] == (PI_MAC, "192.0.2.10", "after bad frames"), f"last: {texts}", proc)
    c = counters(proc)
    expect(len(events(path)) == 5, f"extra events: {events(path)}", proc)
    want = {"lines": 5, "truncated": 1, "bad_header": 1, "fragment": 1, "oversized": 1,
            "non_ascii": 1, "long_lines": 1, "left_to_packet_socket": 1, "not_udp": 0,
            "wrong_port": 0}
    for k, v in want.items():
        expect(c.get(k) == v, f"counter {k}={c.get(k)}, expected {v}: {c}", proc)
    expect("dropped: fragment (from e4:5f:01:12:34:56)" in proc.output(), "no debug log", proc)
    expect(proc.alive(), "daemon died", proc)
    expect(proc.stop() == 0, "daemon did not exit cleanly on SIGTERM", proc)
    link = json.loads(srv.exec(["ip", "-j", "-d", "link", "show", srv_if]).stdout)[0]
    expect(link.get("promiscuity", 0) == 0, f"promiscuous mode left on: {link}")
    print("ok: packet socket: both frames attributed by MAC, once each; bad frames counted")

    # 2. UDP only: attributed by source address, and blind to the default all-zero-MAC frame.
    path2 = os.path.join(tmp, "events-udp.json")
    proc = start(srv, ["--udp", "192.0.2.1", "--user", "nobody"], path2)
    helper(pi, "--send", pi_if, frame(b"never seen by UDP\n").hex())
    helper(pi, "--udp", "192.0.2.10", "192.0.2.1", "Net boot over UDP\n")
    netlab.wait_for(lambda: events(path2), timeout=10, what="the UDP event")
    c = counters(proc)
    got = events(path2)
    expect(len(got) == 1 and got[0]["address"] == "192.0.2.10" and "mac" not in got[0]
           and got[0]["text"] == "Net boot over UDP", f"UDP events: {got}", proc)
    expect(c["lines"] == 1 and c["frames"] == 0, f"UDP counters: {c}", proc)
    expect(proc.stop() == 0, "UDP daemon did not exit cleanly", proc)
    print("ok: UDP socket: attributed by address; the all-zero-MAC frame never reaches it")

    # 3. Unprivileged: without CAP_NET_RAW a clear failure; with only CAP_NET_RAW (what the
    # systemd unit grants) it opens the promiscuous packet socket.
    binary = os.path.join(netlab.build_dir(), "netconsole", "rpi-netconsoled")
    drop = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"]
    r = srv.exec(drop + ["--inh-caps", "-all", binary, "-i", srv_if, "--events", "none"],
                 check=False)
    expect(r.returncode == 1 and "needs CAP_NET_RAW" in r.stderr, f"no CAP_NET_RAW: {r}")
    path3 = os.path.join(tmp, "events-cap.json")
    os.chmod(tmp, 0o777)
    proc = start(srv, ["-i", srv_if], path3,
                 prefix=drop + ["--inh-caps", "+net_raw", "--ambient-caps", "+net_raw"])
    helper(pi, "--send", pi_if, frame(b"with CAP_NET_RAW only\n").hex())
    netlab.wait_for(lambda: events(path3), timeout=10, what="the event under CAP_NET_RAW")
    expect(events(path3)[0]["text"] == "with CAP_NET_RAW only", "cap event", proc)
    expect(status_field(proc.pid, "CapEff")[0] == "0000000000000000", "CAP_NET_RAW kept", proc)
    expect(proc.stop() == 0, "unprivileged daemon did not exit cleanly", proc)
    print("ok: unprivileged with CAP_NET_RAW alone; the capability dropped after opening")

    # 4. Socket activation: the UDP socket handed over by systemd's protocol (sd_listen_fds(3)),
    # here from systemd-socket-activate; --udp is then not needed.
    path4 = os.path.join(tmp, "events-activated.json")
    # systemd-socket-activate starts the program on the first datagram, which then waits in the
    # socket for it.
    proc = srv.start(["systemd-socket-activate", "--datagram", "-l", "192.0.2.1:6666", binary,
                      "--events", f"json:{path4}", "--log-level", "debug"],
                     name="rpi-netconsoled")
    proc.wait_ready(lambda: "Listening on" in proc.output(), timeout=10,
                    what="systemd-socket-activate listening")
    helper(pi, "--udp", "192.0.2.10", "192.0.2.1", "Activated\n")
    netlab.wait_for(lambda: events(path4), timeout=10, what="the event on the activated socket")
    got = events(path4)
    expect(got[0]["text"] == "Activated" and got[0]["address"] == "192.0.2.10", f"{got}", proc)
    expect("reading NETCONSOLE datagrams on udp:192.0.2.1:6666" in proc.output(),
           "the activated socket was not used", proc)
    expect(proc.stop() == 0, "activated daemon did not exit cleanly", proc)
    print("ok: socket activation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
