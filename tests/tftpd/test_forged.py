#!/usr/bin/python3
"""A blind attacker on the Pi's LAN: forged packets neither amplify nor end a transfer, and a
server full of stalled transfers still serves a new Pi.

- Each transfer has its own port (RFC 1350 TID), so blind ACKs forged with a victim's address
  make the server send the victim at most 2 bytes per byte forged.
- Only the client's own (ip, port), on the transfer's own port, can end the transfer: not a blind
  ERROR forged as the Pi, not a forged RRQ from the Pi's address and another port, not an ICMP
  port unreachable that is blind or sent from a third address.
- Ends that are not the Pi's early terminate are logged at INFO, with a count.
- A client asking timeout=255 that ACKs block 0 and goes silent gives way to a new Pi, and a
  client whose quota is full of its own half-open transfers is served at once.

Needs root (raw sockets). Addresses: loopback only, 127.0.0.0/8, every one of them local."""

import json
import socket
import struct
import time
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab

FILE = f"{lab.SERIAL}/start4.elf"  # 2 MB
FILE_REL = f"root/{FILE}"
PI4_OPTIONS = (("tsize", "0"), ("blksize", "1468"))


def ack(block):
    return struct.pack("!HH", 4, block & 0xffff)


class Forged(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_root()
        netlab.require_tools(lab.daemon_path(), lab.client_path())
        cls.tree = lab.Tree()
        cls.forger = lab.Forger()

    def daemon(self, *extra, log_level="debug"):
        d = lab.Daemon(self.tree, extra=list(extra), log_level=log_level)
        self.addCleanup(d.stop)
        return d

    def pi(self, d, source):
        """A Pi 4 whose transfer of FILE is established and a few blocks in."""
        c = lab.RawClient(d, source=source)
        self.assertEqual(c.request(FILE, PI4_OPTIONS)[0], "oack")
        for _ in range(5):
            c.step()
        return c

    def guessed_ports(self, d, source="127.0.0.60"):
        """Ports a blind attacker would aim at: the request port, and those its own transfers
        are answered from (with shared transfer ports, these are every transfer's), with their
        neighbours."""
        ports = {d.port}
        for _ in range(3):
            c = lab.RawClient(d, source=source)
            c.request("bootcode.bin")
            c.abort()
            ports.update(p for p in range(c.tid[1] - 3, c.tid[1] + 4) if 0 < p < 65536)
        return sorted(ports)

    def new_pi_is_served(self, d, when):
        """A Pi-pattern fetch from a new client completes within 5 s."""
        t0 = time.monotonic()
        out = lab.pi_client(d, "fetch", "--file", FILE, "--option", "tsize=0", "--option",
                            "blksize=1468", host="127.0.0.1")
        elapsed = time.monotonic() - t0
        result = json.loads(out.stdout.splitlines()[-1])
        print(f"new Pi served in {elapsed:.2f} s {when}")
        self.assertEqual(result["outcome"], "complete", result)
        self.assertLess(elapsed, 5.0)

    def unexpected_ends(self, d):
        return [x for x in d.log().splitlines() if "unexpected ends so far" in x]

    def test_blind_forged_acks_do_not_amplify(self):
        d = self.daemon()
        victim = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(victim.close)
        victim.bind(("127.0.0.50", 0))
        victim.setblocking(False)
        vaddr = victim.getsockname()
        # The attacker makes the server start a transfer towards the victim, then sprays ACKs
        # with the victim's address at every port it can guess: the request port, and its own
        # transfer's port with its neighbours (with shared transfer ports that one is right).
        self.forger.udp(vaddr, ("127.0.0.1", d.port), lab.rrq(FILE, options=PI4_OPTIONS))
        ports = self.guessed_ports(d)
        before = self.forger.udp_bytes
        for block in range(0, 200):
            for port in ports:
                self.forger.udp(vaddr, ("127.0.0.1", port), ack(block))
        forged = self.forger.udp_bytes - before
        received = 0
        deadline = time.monotonic() + 4  # the half-open transfer's retransmits included
        while time.monotonic() < deadline:
            try:
                received += len(victim.recv(70000))
            except BlockingIOError:
                time.sleep(0.01)
        ratio = received / forged
        print(f"forged {forged} bytes of ACKs, victim received {received} bytes: {ratio:.3f}x")
        self.assertLessEqual(ratio, 2.0)
        self.assertTrue(d.proc.alive())

    def test_forged_error_and_rrq_do_not_end_a_transfer(self):
        d = self.daemon("--max-per-client", "2")
        pi = self.pi(d, "127.0.0.20")
        pi_addr = pi.sock.getsockname()
        # A blind ERROR forged as the Pi, at the request port and at guessed transfer ports.
        for port in self.guessed_ports(d):
            self.forger.udp(pi_addr, ("127.0.0.1", port),
                            struct.pack("!HH", 5, 0) + b"Early terminate\0")
        pi.step()
        # Forged RRQs from the Pi's address and other ports (its quota is 2): they may take
        # each other's place, never the Pi's running transfer.
        for i in range(6):
            self.forger.udp(("127.0.0.20", 40000 + i), ("127.0.0.1", d.port),
                            lab.rrq(FILE, options=PI4_OPTIONS))
            pi.step()
        self.assertTrue(pi.finish() == self.tree.data(FILE_REL), "transfer ended by forgery")
        d.wait_log(f'sent "{FILE}" to 127.0.0.20:{pi_addr[1]}')

    def test_forged_icmp_does_not_end_a_transfer(self):
        d = self.daemon()
        pi = self.pi(d, "127.0.0.21")
        pi_addr, tid = pi.sock.getsockname(), pi.tid
        # Blind: the right client, every port but the transfer's own.
        for port in [p for p in self.guessed_ports(d) if p != tid[1]]:
            self.forger.port_unreachable("127.0.0.21", ("127.0.0.1", port), pi_addr,
                                         "127.0.0.1")
        # From a third address quoting the transfer exactly (a sniffing attacker or a router).
        self.forger.port_unreachable("127.0.0.99", tid, pi_addr, "127.0.0.1")
        time.sleep(0.2)
        pi.step()
        self.assertTrue(pi.finish() == self.tree.data(FILE_REL), "transfer ended by ICMP")
        d.wait_log("ICMP error(s) not sent by the client")
        self.assertEqual(self.unexpected_ends(d), [])

    def test_unexpected_ends_are_logged_at_info_with_a_count(self):
        d = self.daemon(log_level="info")
        # The Pi's probe: quiet.
        probe = lab.RawClient(d, source="127.0.0.22")
        self.assertEqual(probe.request(FILE, PI4_OPTIONS)[0], "oack")
        probe.abort()
        # A client giving up mid-file, twice: INFO, counted.
        for n in (1, 2):
            c = self.pi(d, "127.0.0.23")
            c.abort()
            netlab.wait_for(lambda: len(self.unexpected_ends(d)) >= n, timeout=5,
                            what="unexpected end logged")
        lines = self.unexpected_ends(d)
        self.assertEqual(len(lines), 2, lines)
        self.assertIn(" INFO ", lines[0])
        self.assertIn("ended by client after 5872 of 2000003 bytes: Early terminate", lines[0])
        self.assertIn("(unexpected ends so far: 2)", lines[1])
        self.assertNotIn("127.0.0.22", d.log())

    def test_server_full_of_stalled_transfers_serves_a_new_pi(self):
        d = self.daemon("--max-transfers", "40")
        stalled = []
        for i in range(40):
            # Many addresses (one attacker), each asking timeout=255, ACKing block 0, silent.
            c = lab.RawClient(d, source=f"127.0.2.{10 + i}")
            kind, value = c.request(FILE, PI4_OPTIONS + (("timeout", "255"),))
            self.assertEqual(kind, "oack")
            self.assertNotIn("timeout", dict(value))  # not granted: above what a Pi needs
            c.sock.sendto(ack(0), c.tid)
            stalled.append(c)
        for c in stalled:  # DATA 1 came: every one of them is established, none half-open
            self.assertEqual(lab.parse_reply(c.sock.recv(70000))[0], "data")
        reply = lab.ask(d, lab.rrq(FILE, options=PI4_OPTIONS), source="127.0.3.1")
        self.assertEqual(reply[:2], ("error", (0, "Server busy, try again")))  # all moving
        time.sleep(2.2)  # silent for longer than a transfer may stall while others wait
        self.new_pi_is_served(d, "with the server full of stalled transfers")
        d.wait_log("evicted: server full")
        # Then forged sources: RRQs asking timeout=255 from 60 addresses the attacker does not
        # own (their hosts stay silent: sockets that never answer), each followed by ACK 0
        # sprayed blind at the ports it can guess. None gets established; a Pi is still served.
        silent = []
        for i in range(60):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.addCleanup(s.close)
            s.bind((f"127.0.4.{10 + i}", 0))
            silent.append(s.getsockname())
        ports = self.guessed_ports(d)
        for src in silent:
            self.forger.udp(src, ("127.0.0.1", d.port),
                            lab.rrq(FILE, options=PI4_OPTIONS + (("timeout", "255"),)))
            for port in ports:
                self.forger.udp(src, ("127.0.0.1", port), ack(0))
        self.new_pi_is_served(d, "after 60 forged-source requests")

    def test_client_quota_full_of_its_own_half_open_transfers(self):
        d = self.daemon("--max-per-client", "2")
        for _ in range(2):  # a Pi whose answers were lost: half-open, never ACKed
            c = lab.RawClient(d, source="127.0.0.30")
            self.assertEqual(c.request(FILE, PI4_OPTIONS)[0], "oack")
        t0 = time.monotonic()
        c = lab.RawClient(d, source="127.0.0.30")
        self.assertEqual(c.request(FILE, PI4_OPTIONS)[0], "oack")  # served, not "busy"
        self.assertLess(time.monotonic() - t0, 1.0)
        d.wait_log("evicted: client quota full")
        self.assertTrue(c.finish() == self.tree.data(FILE_REL))


if __name__ == "__main__":
    unittest.main(verbosity=2)
