#!/usr/bin/env python3
"""The Pi 3B boot ROM never sends DHCPREQUEST and uses the OFFERed address (docs/protocol/dhcp.md,
raspberrypi/firmware#1303); neither does bootcode.bin (same page). With hold-rom-offers
(default) the hook records each ROM3 and BOOTCODE OFFER as a lease, so a second Pi is never
offered an address the first one is using.

A two-address pool makes reuse visible: Pi A (ROM) and Pi B (bootcode.bin) boot in the same
second, A retries, then a third Pi C boots. Held: A and B differ, A keeps its address, C gets
nothing (both addresses are in use, and C's ROM retries later). Not held (hold-rom-offers false):
Kea's iterative allocator (the default on 2.2, 2.6 and 3.0) still gives A and B different
addresses, but C is offered an address a Pi is using. Finally a held offer expires: Kea reclaims
it and the subnet's (and pool's) counts return to 0.
"""
# lease-databases: pgsql mysql

import sys
import unittest

import keatest
from keatest import finish_exchange, netlab, pi

SUBNET = {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.101"}]}
PI_A = pi("rom3", "b8:27:eb:00:00:0a", "0000000a")
# bootcode.bin (a 3B+, or a 3B with bootcode.bin on an SD card) never sends REQUEST either.
PI_B = pi("bootcode", "b8:27:eb:00:00:0b", "0000000b")
PI_C = pi("rom3", "b8:27:eb:00:00:0c", "0000000c")


def boot(test, hold):
    """Two ROM3 Pis at once, one again, a third; the lab and Kea end with `test`."""
    lab = keatest.lab_for(test)
    kea = keatest.kea_for(test, lab, hook_params={"hold-rom-offers": hold},
                          subnet=SUBNET).wait_ready()
    # Both DISCOVERs leave within milliseconds of each other.
    a, b = lab.start_exchange(*PI_A), lab.start_exchange(*PI_B)
    first = [r["yiaddr"] for r in finish_exchange(a)] + [r["yiaddr"] for r in finish_exchange(b)]
    retry = [r["yiaddr"] for r in lab.exchange(*PI_A)]
    third = [r["yiaddr"] for r in lab.exchange(*PI_C, window_ms=1500)]
    return first, retry, third, kea.statistics(), kea.log()


class RomHoldTest(unittest.TestCase):
    def test_two_rom3_pis_in_the_same_second_get_different_addresses(self):
        (a, b), retry, third, stats, log = boot(self, hold=True)
        self.assertNotEqual(a, b)
        self.assertEqual(retry, [a], "a retrying ROM keeps its held address")
        self.assertEqual(third, [], "a third Pi was offered an address in use")
        self.assertEqual(stats["pkt4-rpi-netboot-rom-offers-held"], 3)
        self.assertEqual(stats["subnet[1].assigned-addresses"], 2)
        self.assertIn("RPI_NETBOOT_ROM_HELD", log)

    def test_without_hold_an_address_in_use_is_offered_again(self):
        (a, b), retry, third, stats, _ = boot(self, hold=False)
        self.assertEqual(len(third), 1)
        self.assertIn(third[0], (a, b), "without the hold Kea re-offers an address a ROM3 Pi uses")
        self.assertEqual(stats["pkt4-rpi-netboot-rom-offers-held"], 0)
        self.assertEqual(stats["subnet[1].assigned-addresses"], 0)

    def test_held_offer_is_reclaimed_and_statistics_return_to_zero(self):
        """A held ROM offer is an ordinary lease with the OFFER's lifetime: Kea's own reclamation
        expires it and takes it off the subnet's count, and on Kea 2.3.8+ (per-pool statistics:
        Kea ChangeLog 2143) off the pool's too, so the counts come back to exactly 0."""
        lab = keatest.lab_for(self)
        kea = keatest.kea_for(self, lab, subnet=SUBNET, extra={
            "valid-lifetime": 2, "renew-timer": 1, "rebind-timer": 1,
            "expired-leases-processing": {"reclaim-timer-wait-time": 1,
                                          "hold-reclaimed-time": 60}}).wait_ready()
        self.assertEqual(len(lab.exchange(*PI_A)), 1)
        stats = kea.statistics()
        pool_stat = "subnet[1].pool[0].assigned-addresses"
        per_pool = keatest.VERSION != "2.2"  # Kea 2.2 has no per-pool statistics
        self.assertEqual(pool_stat in stats, per_pool, sorted(stats))
        self.assertEqual(stats["subnet[1].assigned-addresses"], 1)
        self.assertEqual(stats["pkt4-rpi-netboot-rom-offers-held"], 1)
        if per_pool:
            self.assertEqual(stats[pool_stat], 1)
        netlab.wait_for(lambda: kea.statistics().get("reclaimed-leases", 0) >= 1, timeout=15,
                        what="Kea reclaiming the held lease")
        stats = kea.statistics()
        self.assertEqual(stats["subnet[1].assigned-addresses"], 0)
        self.assertEqual(stats["reclaimed-leases"], 1)
        if per_pool:
            self.assertEqual(stats[pool_stat], 0)
        self.assertNotIn("RPI_NETBOOT_CALLOUT_ERROR", kea.log())


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
