#!/usr/bin/env python3
"""A boot storm across a Kea HA failover, with TFTP, at a small size (hastorm.py; the full size,
64 Pis and 16 plain clients, is bench/failover in `make bench`): 16 emulated Pis (ROM3,
bootcode.bin, Pi 4, Pi 5, each with its loader's DHCP retry pattern) and 4 plain clients boot
over 8 s; at 4 s a server is SIGKILLed or its link cut, and TFTP node B is stopped.

Checked from a packet capture on the clients' side (both servers' replies): no address offered
or ACKed to two MACs, every Pi 3B one address from ROM to bootcode.bin, every Pi reply with
options 43, 60 and 66; from the emulated Pis: every Pi leased, those on node A booted, those
sent to B after it stopped failed there visibly and booted from A once B was drained; after the
dead server returns, both lease stores hold exactly one lease per client, the same ones.

Variants here: hot-standby with the primary SIGKILLed or its link cut (and the checks' own
test, on a capture written here); test_hook_ha_storm_lb.py: load-balancing with the primary or
the secondary SIGKILLed or the primary's link cut; test_hook_ha_storm_ca.py: only the primary's
kea-ctrl-agent SIGKILLed, both modes; test_hook_ha_storm_cut.py: the servers cut from each other
only, both modes (several files, so that each stays within ctest's time limit per script).
"""

import os
import struct
import sys
import tempfile
import unittest

import halab
import hastorm
import keatest
from keatest import netlab

PIS, PLAIN, SPREAD_S = 16, 4, 8.0


class StormTest(unittest.TestCase):
    mode = "hot-standby"

    def storm(self, event):
        storm = hastorm.FailoverStorm(self.mode, event, PIS, PLAIN, SPREAD_S)
        self.addCleanup(storm.close)
        result = storm.run()
        found = hastorm.problems(result)
        m = hastorm.measures(result)
        print(f"{self.mode}, {event}: {m}", flush=True)
        self.assertEqual(found, [], "\n".join(found[:30]))
        # It was a storm across a failover: replies from both servers, and some Pi sent to B
        # after it stopped (the fleet and the node hash are fixed, so this holds every run).
        if event in ("kill-primary", "cut-primary", "kill-secondary"):  # a real takeover
            self.assertEqual({x["src"] for x in result["replies"]},
                             set(halab.SERVERS.values()))
            self.assertGreater(m["waited_through_takeover"], 0, "no client asked mid-failover")
        self.assertGreater(m["failed_on_b"], 0, "no Pi went to node B after it stopped")
        self.assertEqual(m["failed_on_b"], m["failed_on_b_then_booted_from_a"])
        return result, m


class HotStandby(StormTest):
    mode = "hot-standby"

    def standby_silent_until_takeover(self, event):
        """The standby answers nobody before it is in partner-down (0.5 s: the state's polling)."""
        r, m = self.storm(event)
        early = [x for x in r["replies"] if x["src"] == halab.SERVERS["server2"] and
                 x["time"] < r["event_at"] + m["takeover_s"] - 0.5]
        self.assertEqual(early, [])

    def test_primary_killed(self):
        self.standby_silent_until_takeover("kill-primary")

    def test_primary_link_cut(self):
        self.standby_silent_until_takeover("cut-primary")


def reply_frame(mac, yiaddr, mtype, lease_time, server="192.0.2.1"):
    """An Ethernet/IPv4/UDP frame holding a BOOTREPLY, as tcpdump writes it."""
    bootp = bytearray(240)
    bootp[0], bootp[1], bootp[2] = 2, 1, 6
    bootp[16:20] = bytes(int(x) for x in yiaddr.split("."))
    bootp[28:34] = bytes.fromhex(mac.replace(":", ""))
    bootp[236:240] = b"\x63\x82\x53\x63"
    bootp += bytes([53, 1, mtype, 51, 4]) + struct.pack("!I", lease_time) + \
        bytes([43, 1, 0, 60, 1, 0, 66, 1, 0, 255])
    udp = struct.pack("!HHHH", 67, 68, 8 + len(bootp), 0) + bootp
    ip = bytes([0x45, 0]) + struct.pack("!H", 20 + len(udp)) + bytes(5) + bytes([17, 0, 0]) + \
        bytes(int(x) for x in server.split(".")) + bytes([192, 0, 2, 255])
    return bytes.fromhex(mac.replace(":", "")) + bytes(6) + b"\x08\x00" + ip + udp


class Checks(unittest.TestCase):
    """The capture's parser and the duplicate check on a pcap written here: they find what they
    must (a check that cannot fail would prove nothing)."""

    def result(self, frames):
        with tempfile.NamedTemporaryFile(suffix=".pcap", delete=False) as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, frame in frames:
                f.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6), len(frame), len(frame)))
                f.write(frame)
        self.addCleanup(os.unlink, f.name)
        packets = hastorm.read_pcap(f.name)
        macs = ["b8:27:eb:00:00:01", "52:54:00:00:00:02"]
        return {"replies": [x for x in packets if x["op"] == 2], "requests": [],
                "fleet": [{"mac": macs[0], "model": "rom3"}], "booted": [], "again": [],
                "plain": [], "plain_macs": [macs[1]], "logs": {},
                "stores": {n: {macs[0]: ("192.0.2.100", 0)} for n in ("a", "b")},
                "stats": {"a": {}, "b": {}}}

    def test_an_address_to_two_macs_within_its_lease_is_found(self):
        r = self.result([(100.0, reply_frame("b8:27:eb:00:00:01", "192.0.2.100", 2, 600)),
                         (130.0, reply_frame("52:54:00:00:00:02", "192.0.2.100", 5, 600))])
        self.assertEqual([(x["mac"], x["yiaddr"], x["type"], x["lease_time"])
                          for x in r["replies"]],
                         [("b8:27:eb:00:00:01", "192.0.2.100", 2, 600),
                          ("52:54:00:00:00:02", "192.0.2.100", 5, 600)])
        found = hastorm.problems(r)
        self.assertTrue(any("192.0.2.100 to 52:54:00:00:00:02 30.0 s after" in p for p in found),
                        found)

    def test_an_address_reused_after_its_lease_ran_out_is_not(self):
        r = self.result([(100.0, reply_frame("b8:27:eb:00:00:01", "192.0.2.100", 2, 60)),
                         (161.0, reply_frame("52:54:00:00:00:02", "192.0.2.100", 5, 600))])
        self.assertFalse([p for p in hastorm.problems(r) if "after" in p])


def main():
    halab.require()
    missing = hastorm.missing_tools()
    if missing:
        netlab.skip_or_fail("not built or not installed: " + ", ".join(missing))
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
