#!/usr/bin/env python3
"""The HA failover storm of test_hook_ha_storm.py (hastorm.py) in load-balancing: 16 emulated
Pis and 4 plain clients over 8 s, the primary or the secondary SIGKILLed at 4 s and TFTP node B
stopped; the same checks (the capture of both servers' replies, every Pi's boot, node B's Pis
booting from A after the drain, both lease stores after the dead server returns).
"""

import test_hook_ha_storm as storm


class LoadBalancing(storm.StormTest):
    mode = "load-balancing"

    def test_primary_killed(self):
        self.storm("kill-primary")

    def test_secondary_killed(self):
        self.storm("kill-secondary")


if __name__ == "__main__":
    storm.main()
