#!/usr/bin/env python3
"""The HA failover storm of test_hook_ha_storm.py (hastorm.py) in load-balancing: 16 emulated
Pis and 4 plain clients over 8 s, the primary or the secondary SIGKILLed, or the primary's link
cut, at 4 s and TFTP node B stopped; the same checks (the capture of both servers' replies, every Pi's boot, node B's Pis
booting from A after the drain, both lease stores after the dead server returns).
"""

import test_hook_ha_storm as storm


class LoadBalancing(storm.StormTest):
    mode = "load-balancing"

    def test_primary_killed(self):
        self.storm("kill-primary")

    def test_secondary_killed(self):
        self.storm("kill-secondary")

    def test_primary_link_cut(self):
        """The secondary sees the primary's heartbeats fail after HA's 10 s HTTP timeout, goes
        through communication-recovery to partner-down (max-unacked-clients 0) and serves the
        primary's clients too."""
        r, _ = self.storm("cut-primary")
        self.assertIn("to partner-down state", r["logs"]["server2"].lower())


if __name__ == "__main__":
    storm.main()
