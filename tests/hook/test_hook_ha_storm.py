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

Variants: hot-standby with the primary SIGKILLed or its link cut; load-balancing with the
primary or the secondary SIGKILLed.
"""

import os
import sys
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
        self.assertEqual({x["src"] for x in result["replies"]}, set(halab.SERVERS.values()))
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


class LoadBalancing(StormTest):
    mode = "load-balancing"

    def test_primary_killed(self):
        self.storm("kill-primary")

    def test_secondary_killed(self):
        self.storm("kill-secondary")


if __name__ == "__main__":
    halab.require()
    missing = hastorm.missing_tools()
    if missing:
        netlab.skip_or_fail("not built or not installed: " + ", ".join(missing))
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
