#!/usr/bin/python3
"""Hostile requests. Nothing escapes the allowed roots, nothing is written, no
server path reaches a client, stray packets get no answer, a flood of half-open requests does
not delay a legitimate fetch, and the daemon's memory stays flat."""

import os
import socket
import struct
import time
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab

SECRET = b"secret"


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_tools(lab.daemon_path(), lab.client_path())
        cls.tree = lab.Tree()
        t = cls.tree
        # A small global limit so that the flood also exercises eviction of half-open transfers.
        cls.d = lab.Daemon(t, extra=["--max-transfers", "200", "--max-per-client", "32",
                                     "--half-open-timeout-ms", "2000"])
        cls.before = t.snapshot()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def assertRefused(self, reply, name):
        self.assertIsNotNone(reply, f"no answer to {name!r}")
        kind, value, _ = reply
        self.assertEqual(kind, "error", f"{name!r} was served: {value!r}"[:300])
        code, text = value
        self.assertIn(code, (1, 2, 4, 0), name)
        self.assertNotIn(self.tree.base, text)
        self.assertNotIn("/", text, f"error text {text!r} looks like a path")
        return code

    def test_traversal_absolute_and_symlink_escapes(self):
        t = self.tree
        names = ["../outside/secret.txt", f"{lab.SERIAL}/../../outside/secret.txt",
                 "/../outside/secret.txt", "..\\outside\\secret.txt", "..", "../", "./../x",
                 f"{lab.SERIAL}/./../../../../../../etc/passwd", "escape/secret.txt",
                 "abs-escape/secret.txt", "shared/passwd", f"{lab.SHARED_SERIAL}/up",
                 "/etc/passwd", t.outside + "/secret.txt", "//" + t.outside + "/secret.txt",
                 "%2e%2e/outside/secret.txt", "shared", "", "/", f"{lab.SERIAL}/"]
        for name in names:
            for opts in ((), (("tsize", "0"), ("blksize", "1468"))):
                self.assertRefused(lab.ask(self.d, lab.rrq(name, options=opts)), name)

    def test_nul_and_control_characters(self):
        for raw in [b"bf9fed6f/start4.elf\0../../outside/secret.txt", b"boot\ncode.bin",
                    b"bootcode.bin\x01", b"\x1b[31mbootcode.bin", b"bootcode.bin\x7f",
                    b"\xff\xfe../outside/secret.txt"]:
            pkt = struct.pack("!H", 1) + raw + b"\0octet\0"
            self.assertRefused(lab.ask(self.d, pkt), raw)
        # The log line shows the name escaped: no raw escape sequence reaches the log.
        self.d.wait_log("\\x1b[31mbootcode.bin")
        self.assertNotIn("\x1b[31m", self.d.log())

    def test_64k_names(self):
        for name in ["a" * 65000, "a/" * 32000, "../" * 21000, f"{lab.SERIAL}/" + "x" * 300]:
            self.assertRefused(lab.ask(self.d, lab.rrq(name)), name[:20])

    def test_write_requests_refused_nothing_written(self):
        for name in ["new.bin", f"{lab.SERIAL}/start4.elf", "../outside/new"]:
            reply = lab.ask(self.d, lab.rrq(name, opcode=2))
            self.assertEqual(self.assertRefused(reply, name), 2)
        self.assertEqual(self.tree.snapshot(), self.before)

    def oack_or_data(self, options, name=f"{lab.SERIAL}/start4.elf"):
        reply = lab.ask(self.d, lab.rrq(name, options=options))
        self.assertIsNotNone(reply)
        self.assertIn(reply[0], ("oack", "data"), f"{options}: {reply}")
        return reply[0], reply[1]

    def test_bad_blksize_values_are_ignored(self):
        for v in ["0", "1", "7", "65465", "65535", "abc", "", "-8", "1e3", "99999999999999999999"]:
            kind, value = self.oack_or_data((("blksize", v),))
            # No acceptable option left: no OACK, DATA 1 in 512-byte blocks.
            self.assertEqual(kind, "data", v)
            self.assertEqual(value[0], 1)
            self.assertEqual(len(value[1]), 512, v)
            kind, value = self.oack_or_data((("blksize", v), ("tsize", "0")))
            self.assertEqual(kind, "oack")
            self.assertEqual([k for k, _ in value], ["tsize"], v)
        kind, value = self.oack_or_data((("blksize", "8"),))
        self.assertEqual(value, [("blksize", "8")])

    def test_blksize_clamped_and_windowsize_capped(self):
        kind, value = self.oack_or_data((("blksize", "65464"), ("windowsize", "65535")))
        self.assertEqual(kind, "oack")
        opts = dict(value)
        self.assertEqual(opts["windowsize"], "8")
        # Loopback's MTU is 65536: the clamp is 65536 - 32, above the RFC maximum of 65464.
        self.assertEqual(opts["blksize"], "65464")

    def test_duplicate_options_once_with_the_first_value_and_real_tsize(self):
        size = len(self.tree.data(f"root/{lab.SERIAL}/start4.elf"))
        kind, value = self.oack_or_data((("tsize", "12"), ("BLKSIZE", "1024"), ("blksize", "512"),
                                         ("tsize", "0"), ("blksize", "1468"), ("windowsize", "2"),
                                         ("WindowSize", "4")))
        self.assertEqual(kind, "oack")
        self.assertEqual(value, [("tsize", str(size)), ("blksize", "1024"), ("windowsize", "2")])

    def test_unknown_modes(self):
        for mode in [b"mail", b"netascii", b"binary", b"", b"octet\x01"]:
            self.assertRefused(lab.ask(self.d, lab.rrq("bootcode.bin", mode=mode)), mode)
        # Mode names are case-insensitive (RFC 1350).
        reply = lab.ask(self.d, lab.rrq("bootcode.bin", mode=b"OcTeT"))
        self.assertEqual(reply[0], "data")

    def test_stray_opcodes_are_dropped_silently(self):
        strays = [struct.pack("!HH", 3, 1) + b"x" * 100, struct.pack("!HH", 4, 0),
                  struct.pack("!HH", 5, 0) + b"oops\0", struct.pack("!H", 6) + b"tsize\0" + b"1\0",
                  struct.pack("!H", 99) + b"z" * 50, b"\x00", b"", struct.pack("!H", 0) + b"abc"]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5)
            for p in strays:
                s.sendto(p, ("127.0.0.1", self.d.port))
            with self.assertRaises(socket.timeout):
                s.recvfrom(2048)

    def test_foreign_source_cannot_join_a_transfer(self):
        # A third party ACKing to a transfer's port gets nothing, and the transfer is unharmed.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.settimeout(2)
            c.sendto(lab.rrq("bootcode.bin"), ("127.0.0.1", self.d.port))
            pkt, tid = c.recvfrom(2048)
            self.assertEqual(lab.parse_reply(pkt)[0], "data")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as intruder:
                intruder.bind(("127.0.0.9", 0))
                intruder.settimeout(0.5)
                intruder.sendto(struct.pack("!HH", 4, 1), tid)
                with self.assertRaises(socket.timeout):
                    intruder.recvfrom(2048)
            c.sendto(struct.pack("!HH", 4, 1), tid)
            pkt, _ = c.recvfrom(2048)
            self.assertEqual(lab.parse_reply(pkt)[1][0], 2)
            c.sendto(struct.pack("!HH", 5, 0) + b"done\0", tid)

    def test_zz_flood_of_half_open_requests(self):
        # Runs last (zz): a warm fetch, then RSS, then the flood.
        fetch = ["fetch", "--file", f"{lab.SERIAL}/kernel8.img", "--option", "tsize=0",
                 "--option", "blksize=1468", "--timeout-ms", "500", "--retries", "4"]
        self.assertEqual(lab.pi_client(self.d, *fetch).returncode, 0)
        rss_before = self.d.rss_kib()
        socks = []
        try:
            # 600 RRQs, sockets kept open and never ACKing: half-open. The first 50 come from one
            # address (per-client limit 32: its own oldest half-open ones make room), the rest
            # from 40 others; more than the global limit of 200, so the oldest half-open
            # transfers are evicted.
            for i in range(600):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("127.0.1.200" if i < 50 else f"127.0.1.{10 + i % 40}", 0))
                s.setblocking(False)
                socks.append(s)
                s.sendto(lab.rrq(f"{lab.SERIAL}/start4.elf", options=(("tsize", "0"),
                                                                      ("blksize", "1468"))),
                         ("127.0.0.1", self.d.port))
            t0 = time.monotonic()
            r = lab.pi_client(self.d, *fetch)
            elapsed = time.monotonic() - t0
            self.assertEqual(r.returncode, 0, r.stdout)
            # ~8 MB over loopback: well under a second on an idle machine; 3 s leaves room for a
            # loaded CI box while still catching a server that stops reading (dnsmasq: 27 s).
            print(f"legitimate 8 MB fetch during the flood: {elapsed:.2f} s")
            self.assertLess(elapsed, 3.0, "legitimate fetch delayed by the flood")
            # Every flood request was answered (OACK, or ERROR when over a limit): none lost.
            answered = {"oack": 0, "error": 0}
            deadline = time.monotonic() + 5
            pending = set(range(len(socks)))
            while pending and time.monotonic() < deadline:
                for i in list(pending):
                    try:
                        pkt = socks[i].recv(2048)
                    except BlockingIOError:
                        continue
                    kind = lab.parse_reply(pkt)[0]
                    answered[kind] = answered.get(kind, 0) + 1
                    pending.discard(i)
                time.sleep(0.02)
            self.assertEqual(len(pending), 0, f"unanswered flood requests: {len(pending)}")
            self.assertEqual(answered["error"], 0)  # nobody refused: half-open ones give way
            self.assertEqual(answered["oack"], 600)
            # Every flood transfer ends: evicted when the table or its client's quota is full
            # (the oldest half-open first), else expired as half-open (2 s here) while its
            # client is still there: evicted + expired = 600 exactly.
            def ended():
                log = self.d.log()
                return log.count("evicted: ") + log.count("(half-open)")
            netlab.wait_for(lambda: ended() >= 600, timeout=10, what="half-open expiry")
            self.assertEqual(ended(), 600)
            self.assertGreater(self.d.log().count("evicted: client quota full"), 0)
            self.assertGreater(self.d.log().count("(half-open)"), 100)
        finally:
            for s in socks:
                s.close()
        self.assertEqual(lab.pi_client(self.d, *fetch).returncode, 0)
        rss_after = self.d.rss_kib()
        self.assertLess(rss_after - rss_before, 4096, f"RSS grew {rss_before} -> {rss_after} KiB")
        self.assertTrue(self.d.proc.alive())
        self.assertEqual(self.tree.snapshot(), self.before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
