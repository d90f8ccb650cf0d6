"""Shared fixtures for rpi-tftpd's integration tests: a boot tree, the daemon, raw packets.

The daemon runs on loopback (127.0.0.0/8 only, as netlab requires) on a free high port, with
`--config` pointing at the test's own file so the host's /etc is never read.
"""

import os
import random
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402

SERIAL = "bf9fed6f"
SHARED_SERIAL = "1a2b3c4d"     # symlink to shared/ (relative)
MAC_DIR = "e4-5f-01-98-e0-82"  # a real MAC-named directory
MAC_LINK = "dc-a6-32-01-36-c2"  # symlink into an --allow-root tree (absolute)
LAYOUT_SERIAL = "abcdef01"


def daemon_path():
    return os.path.join(netlab.build_dir(), "tftpd", "rpi-tftpd")


def client_path():
    return os.path.join(netlab.build_dir(), "tests", "tftpd", "tftp_pi_client")


def free_port(host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


class Tree:
    """root/, an --allow-root tree, a layout tree and a secret outside everything."""

    PI4_FILES = {"start4.elf": 2_000_003, "config.txt": 1468 * 3, "fixup4.dat": 5_447,
                 "bcm2711-rpi-4-b.dtb": 52_593, "cmdline.txt": 512 * 2,
                 "kernel8.img": 8_000_001, "overlays/overlay_map.dtb": 0}
    PI3_FILES = {"start.elf": 2_900_000, "config.txt": 1024, "fixup.dat": 7_000,
                 "bcm2710-rpi-3-b.dtb": 25_000, "cmdline.txt": 120, "kernel8.img": 3_000_000}

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="rpinb-tftpd-")
        netlab._cleanups.append(lambda: os.system(f"rm -rf '{self.base}'"))
        self.root = os.path.join(self.base, "root")
        self.allowed = os.path.join(self.base, "trees")
        self.layout = os.path.join(self.base, "nfs")
        self.outside = os.path.join(self.base, "outside")
        rnd = random.Random(1234)
        self.files = {}

        def put(rel, size):
            data = rnd.randbytes(size)
            write(os.path.join(self.base, rel), data)
            self.files[rel] = data

        put("root/bootcode.bin", 52_000)
        for name, size in self.PI4_FILES.items():
            put(f"root/{SERIAL}/{name}", size)
        for name, size in self.PI3_FILES.items():
            put(f"root/shared/{name}", size)
        put(f"root/{MAC_DIR}/start4.elf", 70_000)
        for name, size in self.PI4_FILES.items():
            put(f"trees/pi4-common/{name}", size // 3)
        put(f"nfs/{LAYOUT_SERIAL}/boot/kernel8.img", 300_000)
        put("outside/secret.txt", 100)
        os.symlink("shared", os.path.join(self.root, SHARED_SERIAL))
        os.symlink(os.path.join(self.allowed, "pi4-common"), os.path.join(self.root, MAC_LINK))
        os.symlink("../outside", os.path.join(self.root, "escape"))
        os.symlink(self.outside, os.path.join(self.root, "abs-escape"))
        os.symlink("/etc/passwd", os.path.join(self.root, "shared", "passwd"))
        os.symlink("../../outside/secret.txt", os.path.join(self.root, "shared", "up"))

    def data(self, rel):
        return self.files[rel]

    def snapshot(self):
        """Every path, size and mtime below base: proves nothing was written."""
        out = {}
        for d, dirs, files in os.walk(self.base):
            for n in dirs + files:
                p = os.path.join(d, n)
                st = os.lstat(p)
                out[p] = (st.st_size, st.st_mtime_ns)
        return out


def io_uring_available():
    """Whether this kernel lets us create an io_uring (io_uring_setup(2), x86-64 and arm64
    syscall 425): off in kernels built without it, with kernel.io_uring_disabled=2, or under a
    seccomp filter."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
    fd = libc.syscall(425, 1, params)
    if fd < 0:
        return False
    os.close(fd)
    return True


def check_engine(output):
    """The transfer I/O engine the tests asked for (RPI_TFTPD_ENGINE, set by CMake per test
    variant) is the one the daemon logged."""
    want = os.environ.get("RPI_TFTPD_ENGINE")
    if not want:
        return
    lines = [l for l in output.splitlines() if "transfer I/O: " in l]
    if lines and f"transfer I/O: {want}" not in lines[0]:
        raise AssertionError(f"asked for the {want} engine, daemon says: {lines[0]}")


def built_with_io_uring():
    """Whether CMake found liburing for this build (else the daemon has epoll only)."""
    try:
        with open(os.path.join(netlab.build_dir(), "CMakeCache.txt")) as f:
            return "LIBURING_FOUND:INTERNAL=1" in f.read()
    except OSError:
        return True  # not a CMake build tree: let the daemon say


if os.environ.get("RPI_TFTPD_ENGINE") == "io_uring":
    if not built_with_io_uring():
        netlab.skip_or_fail("rpi-tftpd built without liburing (the _epoll variant runs)")
    if not io_uring_available():
        netlab.skip_or_fail("this kernel refuses io_uring (the _epoll variant of this test runs)")


class Daemon:
    def __init__(self, tree, extra=(), host="127.0.0.1", config_text=None, port=None,
                 log_level="debug", argv_prefix=(), listen=True, netns=None, ready="listening on"):
        self.tree = tree
        self.host = host
        self.netns = netns
        self.port = port or (69 if netns else free_port(host))
        self.config = os.path.join(tree.base, f"rpi-tftpd-{self.port}.conf")
        with open(self.config, "w") as f:
            f.write(config_text if config_text is not None else f"root = {tree.root}\n")
        argv = list(argv_prefix) + [daemon_path(), "--config", self.config,
                                    "--log-level", log_level]
        if listen:
            h = f"[{host}]" if ":" in host else host
            argv += ["--listen", f"{h}:{self.port}"]
        argv += list(extra)
        self.proc = netlab.Proc(argv, name="rpi-tftpd", netns=netns)
        # Listening is logged per socket; roots are opened after that, so wait for the last
        # socket's line and then for a moment of quiet start-up (or an exit).
        self.proc.wait_ready(lambda: ready in self.proc.output(), what="rpi-tftpd listening")
        check_engine(self.proc.output())

    def log(self):
        with open(self.proc.log_path, errors="replace") as f:  # also after stop()
            return f.read()

    def wait_log(self, text, count=1, timeout=5.0):
        """Waits until `text` appears `count` times in the log; returns the log. The daemon
        writes its log lines at the end of a loop turn, after that turn's replies went out,
        so a reply can reach a test before the line describing it."""
        try:
            netlab.wait_for(lambda: self.log().count(text) >= count, timeout=timeout,
                            what=f"{text!r} in the rpi-tftpd log")
        except TimeoutError as e:
            raise AssertionError(f"{e}\n{self.log()[-3000:]}") from None
        return self.log()

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self):
        return self.proc.stop()


# Raw packets (RFC 1350 / 2347), for requests no real client would send.
def rrq(name, mode=b"octet", options=(), opcode=1):
    if isinstance(name, str):
        name = name.encode()
    body = struct.pack("!H", opcode) + name + b"\0" + mode + b"\0"
    for k, v in options:
        body += (k.encode() if isinstance(k, str) else k) + b"\0"
        body += (v.encode() if isinstance(v, str) else v) + b"\0"
    return body


def parse_reply(pkt):
    """Returns (kind, value): ('oack', [(k, v), ...]), ('data', (block, payload)),
    ('error', (code, text))."""
    op = struct.unpack("!H", pkt[:2])[0]
    if op == 6:
        parts = pkt[2:].split(b"\0")[:-1]
        return "oack", [(parts[i].decode(), parts[i + 1].decode())
                        for i in range(0, len(parts) - 1, 2)]
    if op == 3:
        return "data", (struct.unpack("!H", pkt[2:4])[0], pkt[4:])
    if op == 5:
        return "error", (struct.unpack("!H", pkt[2:4])[0], pkt[4:].split(b"\0")[0].decode())
    return "other", pkt


def ask(daemon, packet, source="127.0.0.1", timeout=2.0):
    """Sends one packet from a new socket; returns (kind, value, server_addr) or None."""
    fam = socket.AF_INET6 if ":" in daemon.host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        if fam == socket.AF_INET:
            s.bind((source, 0))
        s.settimeout(timeout)
        s.sendto(packet, (daemon.host, daemon.port))
        try:
            pkt, addr = s.recvfrom(70000)
        except socket.timeout:
            return None
        kind, value = parse_reply(pkt)
        if kind in ("oack", "data"):
            # Leave politely so the transfer ends now rather than by timeout.
            s.sendto(struct.pack("!HH", 5, 0) + b"Early terminate\0", addr)
        return kind, value, addr


def pi_client(daemon, *args, timeout=60, netns=None, host=None):
    ns = ["ip", "netns", "exec", netns] if netns else []
    return netlab.run(ns + [client_path()] + list(args) + ["--server", host or daemon.host,
                                                           "--port", str(daemon.port)],
                      check=False, timeout=timeout)


class RawClient:
    """A hand-driven read transfer: RRQ, then ACKs one block at a time when the test says so.
    Lets a test hold a transfer open across a reload, a signal or a limit."""

    def __init__(self, daemon, source="127.0.0.1", host=None, timeout=3.0):
        host = host or daemon.host
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.server = (host, daemon.port)
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.sock.settimeout(timeout)
        self.tid = None
        self.data = b""
        self.block = 0
        self.blksize = 512
        netlab._cleanups.append(self.close)

    def close(self):
        self.sock.close()

    def request(self, name, options=()):
        """Sends the RRQ; returns the first reply as (kind, value)."""
        self.sock.sendto(rrq(name, options=options), self.server)
        pkt, self.tid = self.sock.recvfrom(70000)
        kind, value = parse_reply(pkt)
        if kind == "oack":
            self.blksize = int(dict(value).get("blksize", 512))
        elif kind == "data":
            self._take(value)
        return kind, value

    def _take(self, value):
        block, payload = value
        if block == (self.block + 1) & 0xffff:
            self.block += 1
            self.data += payload
        return len(payload) < self.blksize

    def step(self):
        """ACKs the last block received and takes the next DATA; True when the file is done."""
        self.sock.sendto(struct.pack("!HH", 4, self.block & 0xffff), self.tid)
        while True:
            pkt, addr = self.sock.recvfrom(70000)
            kind, value = parse_reply(pkt)
            if kind == "error":
                raise RuntimeError(f"server error {value}")
            if kind == "data":
                return self._take(value)

    def finish(self, max_blocks=1_000_000):
        for _ in range(max_blocks):
            if self.step():
                self.sock.sendto(struct.pack("!HH", 4, self.block & 0xffff), self.tid)
                return self.data
        raise RuntimeError("file too long")

    def abort(self):
        self.sock.sendto(struct.pack("!HH", 5, 0) + b"Early terminate\0", self.tid)


# Forged packets (raw IPv4 sockets, root only): what an attacker on the LAN can send without
# seeing the traffic. Loopback addresses only (127.0.0.0/8 is all local, so any of them can be
# a "victim" or an "attacker" host).
def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def _ipv4(src, dst, proto, payload):
    netlab.check_address(src)
    netlab.check_address(dst)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + payload


class Forger:
    """Sends IPv4 datagrams with any source address and port (IP_HDRINCL)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        netlab._cleanups.append(self.sock.close)
        self.udp_bytes = 0  # UDP payload bytes forged so far

    def udp(self, src, dst, payload):
        """src and dst are (ip, port). UDP checksum 0: none (allowed over IPv4)."""
        udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
        self.sock.sendto(_ipv4(src[0], dst[0], 17, udp), (dst[0], 0))
        self.udp_bytes += len(payload)

    def port_unreachable(self, reporter, quoted_src, quoted_dst, to):
        """ICMP port unreachable from `reporter` to `to`, quoting a UDP datagram
        quoted_src -> quoted_dst ((ip, port) each), as a client's host would send it."""
        quoted = _ipv4(quoted_src[0], quoted_dst[0], 17,
                       struct.pack("!HHHH", quoted_src[1], quoted_dst[1], 8 + 4, 0) + b"\0\4\0\1")
        icmp = struct.pack("!BBHI", 3, 3, 0, 0) + quoted
        icmp = icmp[:2] + struct.pack("!H", _checksum(icmp)) + icmp[4:]
        self.sock.sendto(_ipv4(reporter, to, 1, icmp), (to, 0))
