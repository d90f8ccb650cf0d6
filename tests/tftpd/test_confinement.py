#!/usr/bin/python3
"""rpi-tftpd against a LAN that tries to read what is not its own: pins that follow the tree a
name resolves to (a MAC-named symlink, a case-folded custom prefix, a symlink a Pi planted in its
layout boot directory), roots and layouts that would expose the host (refused at start-up, the
option and value named), layout requests confined to their own Pi's directory, and device nodes
and FIFOs refused without ever being opened (inotify IN_OPEN watches them).

The daemon listens on 192.0.2.1:69 inside a network namespace of its own; the clients are
sockets in that namespace bound to other TEST-NET addresses, so each pin sees a distinct client."""

import ctypes
import os
import socket
import struct
import threading
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab

SERVER = "192.0.2.1"
PINNED = "192.0.2.10"    # the pinned Pi
OTHER = "192.0.2.11"     # another Pi on the LAN
LAYOUT_PI = "192.0.2.12"  # the Pi of lab.LAYOUT_SERIAL
PEER_SERIAL = "0c0ffee1"  # a second layout Pi, pinned
MAC_ALIAS = "dc-a6-32-01-36-c3"

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
IN_OPEN = 0x20
IN_NONBLOCK = os.O_NONBLOCK


def socket_in(ns, source):
    """A UDP socket created inside namespace `ns` (setns in a short-lived thread: only that
    thread changes namespace; the socket stays in it)."""
    out = {}

    def work():
        fd = os.open(f"/run/netns/{ns.name}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                out["error"] = OSError(ctypes.get_errno(), "setns")
                return
        finally:
            os.close(fd)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((source, 0))
        out["sock"] = s

    t = threading.Thread(target=work)
    t.start()
    t.join(10)
    if "error" in out:
        raise out["error"]
    return out["sock"]


class Watch:
    """Counts IN_OPEN events on one path (inotify(7))."""

    def __init__(self, path):
        self.fd = libc.inotify_init1(IN_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0 or libc.inotify_add_watch(self.fd, path.encode(), IN_OPEN) < 0:
            raise OSError(ctypes.get_errno(), "inotify")

    def opens(self):
        n = 0
        while True:
            try:
                buf = os.read(self.fd, 4096)
            except BlockingIOError:
                return n
            off = 0
            while off < len(buf):
                _, mask, _, length = struct.unpack_from("iIII", buf, off)
                n += bool(mask & IN_OPEN)
                off += 16 + length

    def close(self):
        os.close(self.fd)


class Confinement(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_root()
        netlab.require_tools(lab.daemon_path())
        cls.ns = netlab.Netns("tftpd-conf")
        for addr in (SERVER, PINNED, OTHER, LAYOUT_PI):
            netlab.check_address(addr)
            cls.ns.exec(["ip", "addr", "add", f"{addr}/32", "dev", "lo"])
        t = cls.tree = lab.Tree()
        # A MAC-named symlink to the pinned serial's tree.
        os.symlink(lab.SERIAL, os.path.join(t.root, MAC_ALIAS))
        # A custom prefix, pinned in another case than its directory.
        lab.write(os.path.join(t.root, "Lab-Rack", "cmdline.txt"), b"rack cmdline")
        # A second layout Pi with its NFS root; the first plants links in its own boot directory.
        lab.write(os.path.join(t.layout, PEER_SERIAL, "boot", "kernel8.img"), b"peer kernel")
        lab.write(os.path.join(t.layout, PEER_SERIAL, "etc", "shadow"), b"peer secret")
        lab.write(os.path.join(t.layout, lab.LAYOUT_SERIAL, "etc", "hostname"), b"own hostname")
        boot = os.path.join(t.layout, lab.LAYOUT_SERIAL, "boot")
        os.symlink(f"../../{PEER_SERIAL}", os.path.join(boot, "peer"))
        os.symlink(os.path.join(t.layout, PEER_SERIAL, "etc"), os.path.join(boot, "peer-etc"))
        os.symlink("../etc/hostname", os.path.join(boot, "own"))
        cls.layout = f"{t.layout}/{{serial}}/boot/{{path}}"

    @classmethod
    def tearDownClass(cls):
        cls.ns.close()

    def daemon(self, *extra):
        d = lab.Daemon(self.tree, extra=list(extra), host=SERVER, netns=self.ns.name)
        self.addCleanup(d.stop)
        return d

    def ask(self, d, name, source):
        """One RRQ from `source`; returns ('data'|'oack'|'error', value)."""
        s = socket_in(self.ns, source)
        try:
            s.settimeout(3)
            s.sendto(lab.rrq(name), (SERVER, d.port))
            pkt, addr = s.recvfrom(70000)
            kind, value = lab.parse_reply(pkt)
            if kind == "data":
                s.sendto(struct.pack("!HH", 5, 0) + b"Early terminate\0", addr)
            return kind, value
        finally:
            s.close()

    def assertServed(self, d, name, source, want):
        kind, value = self.ask(d, name, source)
        self.assertEqual(kind, "data", (name, source, value))
        self.assertEqual(value[1], want[:512], (name, source))

    def assertDenied(self, d, name, source, code=2):
        self.assertEqual(self.ask(d, name, source),
                         ("error", (code, "Access violation" if code == 2 else "File not found")),
                         (name, source))

    # --- 1. pins follow the tree, not the name --------------------------------------------

    def test_pin_mac_named_symlink(self):
        d = self.daemon("--pin", f"{lab.SERIAL}={PINNED}")
        want = self.tree.data(f"root/{lab.SERIAL}/config.txt")
        self.assertServed(d, f"{lab.SERIAL}/config.txt", PINNED, want)
        self.assertServed(d, f"{MAC_ALIAS}/config.txt", PINNED, want)
        self.assertDenied(d, f"{lab.SERIAL}/config.txt", OTHER)
        self.assertDenied(d, f"{MAC_ALIAS}/config.txt", OTHER)
        self.assertServed(d, "bootcode.bin", OTHER, self.tree.data("root/bootcode.bin"))

    def test_pin_case_folded_custom_prefix(self):
        d = self.daemon("--case-insensitive", "--pin", f"lab-rack={PINNED}")
        for name in ("LAB-RACK/cmdline.txt", "Lab-Rack/cmdline.txt", "lab-rack/CMDLINE.TXT"):
            self.assertDenied(d, name, OTHER)
            self.assertServed(d, name, PINNED, b"rack cmdline")

    def test_pin_layout_symlink_planted_by_a_pi(self):
        d = self.daemon("--layout", self.layout, "--pin", f"{PEER_SERIAL}={PINNED}")
        self.assertServed(d, f"{PEER_SERIAL}/kernel8.img", PINNED, b"peer kernel")
        self.assertDenied(d, f"{PEER_SERIAL}/kernel8.img", LAYOUT_PI)
        for name in ("peer/boot/kernel8.img", "peer/etc/shadow", "peer-etc/shadow"):
            self.assertDenied(d, f"{lab.LAYOUT_SERIAL}/{name}", LAYOUT_PI)

    # --- 2. roots that expose the host; each Pi confined to its own directory ---------------

    def test_layout_request_stays_in_its_pis_directory(self):
        d = self.daemon("--layout", self.layout)  # no pin at all
        self.assertServed(d, f"{lab.LAYOUT_SERIAL}/own", LAYOUT_PI, b"own hostname")
        self.assertServed(d, f"{lab.LAYOUT_SERIAL}/kernel8.img", LAYOUT_PI,
                          self.tree.data(f"nfs/{lab.LAYOUT_SERIAL}/boot/kernel8.img"))
        for name in ("peer/boot/kernel8.img", "peer/etc/shadow", "peer-etc/shadow"):
            self.assertDenied(d, f"{lab.LAYOUT_SERIAL}/{name}", LAYOUT_PI)
        d.wait_log("leaves the Pi's directory")

    def test_roots_exposing_the_host_are_refused_at_start(self):
        t = self.tree
        to_slash = os.path.join(t.base, "slash")
        if not os.path.lexists(to_slash):
            os.symlink("/", to_slash)
        cases = [(["--root", t.root, "--allow-root", "/"], "--allow-root /"),
                 (["--root", t.root, "--layout", "/{serial}/{path}"], "--layout /{serial}/{path}"),
                 (["--root", "/etc"], "--root /etc"),
                 (["--root", t.root, "--allow-root", "/usr"], "--allow-root /usr"),
                 (["--root", to_slash], f"--root {to_slash}"),
                 (["--root", t.root, "--layout", "/var/{serial}/{path}"], "--layout /var/{serial}")]
        for args, text in cases:
            r = netlab.run([lab.daemon_path(), "--config", "/dev/null", "--listen",
                            f"127.0.0.1:{lab.free_port()}"] + args, check=False, timeout=10)
            out = r.stdout + r.stderr
            self.assertEqual(r.returncode, 1, (args, out))
            self.assertIn(text, out)
            self.assertIn("expose the host", out)
        # A layout whose directory contains --root (or an --allow-root) would serve every Pi's
        # root file system to everyone through plain requests.
        r = netlab.run([lab.daemon_path(), "--config", "/dev/null", "--listen",
                        f"127.0.0.1:{lab.free_port()}", "--root", t.root, "--allow-root", t.base,
                        "--layout", self.layout], check=False, timeout=10)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"--allow-root {t.base}", r.stdout + r.stderr)

    # --- 3. special files ------------------------------------------------------------------

    def test_device_nodes_and_fifos_are_never_opened(self):
        t = self.tree
        tree = os.path.join(t.root, lab.SERIAL)
        fifo, dev = os.path.join(tree, "fifo.img"), os.path.join(tree, "null.img")
        os.mkfifo(fifo)
        os.mknod(dev, 0o644 | 0o020000, os.makedev(1, 3))  # a character device like /dev/null
        for p in (fifo, dev):
            self.addCleanup(os.unlink, p)
        # The watch sees an open, and (on current kernels, checked here) none for O_PATH.
        w = Watch(fifo)
        self.addCleanup(w.close)
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        self.assertEqual(w.opens(), 1, "inotify does not report opens here")
        os.close(os.open(fifo, os.O_PATH))
        path_silent = w.opens() == 0
        d = self.daemon()
        for p in (fifo, dev):
            w = Watch(p)
            self.addCleanup(w.close)
            name = f"{lab.SERIAL}/{os.path.basename(p)}"
            for _ in range(2):
                self.assertDenied(d, name, OTHER, code=1)
            if path_silent:
                self.assertEqual(w.opens(), 0, f"{name} was opened")
            else:
                print(f"this kernel reports O_PATH opens: only the refusal of {name} is checked")
        d.wait_log("not a regular file")


if __name__ == "__main__":
    if not os.path.exists(lab.daemon_path()):
        netlab.skip_or_fail("rpi-tftpd not built")
    unittest.main(verbosity=2)
