#!/usr/bin/env python3
"""The hook's ROM holds beside Kea's own offer leases (offer-lifetime, Kea 2.4+: with it set,
kea-dhcp4 stores a lease for each OFFER, valid for offer-lifetime seconds; Kea ARM, "Offer
lifetime").

With offer-lifetime set globally, or only on the hook's RPI_NETBOOT class, a Pi 3B's boot ROM
DISCOVER, its retry and bootcode.bin's DISCOVER from the same MAC make exactly one lease: Kea's,
bound to the Pi's MAC, never longer than offer-lifetime from the last DISCOVER (the hook neither
lengthens it, nor confirms it to the lease time, nor counts it a second time in
assigned-addresses, nor counts it as an unconfirmed hold of its own); assigned-addresses, the
pool's count and lease_cmds' lease4-get-all agree at every step, and Kea's reclamation brings the
counts back to 0. With the option on the class only, a plain client's OFFER leaves no lease.
"""
# lease-databases: pgsql mysql
# kea-versions: 2.6 3.0

import os
import sys
import time
import unittest

import keatest
from keatest import KeaServer, Lab, finish_exchange, options, pi

OFFER_LIFETIME = 8
PI_MAC, PI_SERIAL = "b8:27:eb:5e:0f:01", "005e0f01"
RECLAIM = {"reclaim-timer-wait-time": 1, "flush-reclaimed-timer-wait-time": 1,
           "hold-reclaimed-time": 3600}


def start(lab, on_class):
    lease_cmds = {"library": os.path.join(keatest.INSTALL.hooks_dir, "libdhcp_lease_cmds.so")}
    extra = {"expired-leases-processing": RECLAIM}
    classes = None
    if on_class:
        classes = [{"name": "RPI_NETBOOT", "offer-lifetime": OFFER_LIFETIME}]
    else:
        extra["offer-lifetime"] = OFFER_LIFETIME
    return KeaServer(lab, hook_params={"tftp-server": "192.0.2.1"}, classes=classes, extra=extra,
                     libraries_before=[lease_cmds]).wait_ready()


class OfferLifetimeTest(unittest.TestCase):
    def leases(self, kea):
        res = kea.command("lease4-get-all")
        self.assertIn(res["result"], (0, 3), res)  # 3: no leases
        return [lease for lease in (res.get("arguments") or {}).get("leases", [])
                if lease["state"] == 0]

    def counts(self, kea):
        stats = kea.statistics()
        return (stats.get("subnet[1].assigned-addresses"),
                stats.get("subnet[1].pool[0].assigned-addresses"),
                stats.get("subnet[1].rpi-netboot-unconfirmed-holds", 0))

    def discover(self, lab, model):
        sent = time.time()
        replies = finish_exchange(lab.start_exchange(*pi(model, PI_MAC, PI_SERIAL), expect=1))
        self.assertEqual([r["message_type"] for r in replies], [2], model)
        opts = options(replies[0])
        self.assertEqual(opts.get(43), keatest.ROM_OPTION43 if model == "rom3" else
                         keatest.PLAIN_OPTION43)
        self.assertEqual(opts.get(66), b"192.0.2.1".hex())
        return replies[0]["yiaddr"], sent

    def check_one_offer_lease(self, kea, address, last_discover):
        leases = self.leases(kea)
        self.assertEqual([(x["ip-address"], x["hw-address"]) for x in leases],
                         [(address, PI_MAC)], "not exactly one lease, the Pi's")
        lease = leases[0]
        self.assertEqual(lease["valid-lft"], OFFER_LIFETIME, "the offer lease was lengthened")
        self.assertLessEqual(lease["cltt"] + lease["valid-lft"],
                             int(last_discover) + 1 + OFFER_LIFETIME)
        # One lease, counted once; none of it the hook's own.
        self.assertEqual(self.counts(kea), (1, 1, 0))

    def run_pi3b(self, on_class):
        lab = Lab()
        kea = None
        try:
            kea = start(lab, on_class)
            if on_class:  # the class's offer-lifetime is the Pis' only
                plain = lab.exchange("--payload-hex", keatest.linux_discover(), expect=1)
                self.assertEqual([r["message_type"] for r in plain], [2])
                self.assertEqual(self.leases(kea), [], "a plain client's OFFER left a lease")
                self.assertEqual(self.counts(kea)[:2], (0, 0))

            address, t = self.discover(lab, "rom3")
            self.check_one_offer_lease(kea, address, t)
            time.sleep(1.5)
            again, t = self.discover(lab, "rom3")  # the ROM retries
            self.assertEqual(again, address)
            self.check_one_offer_lease(kea, address, t)
            next_stage, t = self.discover(lab, "bootcode")  # bootcode.bin, same Pi
            self.assertEqual(next_stage, address)
            self.check_one_offer_lease(kea, address, t)

            stats = kea.statistics()
            # The hook's counters count these OFFERs as held (three) and the Pi's return as a
            # confirmation, although the lease is Kea's throughout (README, offer-lifetime).
            self.assertEqual(stats["pkt4-rpi-netboot-rom-offers-held"], 3)
            self.assertEqual(stats["pkt4-rpi-netboot-rom-holds-confirmed"], 1)
            self.assertEqual(stats["pkt4-rpi-netboot-rom-offers-dropped"], 0)
            self.assertEqual(stats["pkt4-rpi-netboot-rom-holds-released"], 0)

            # Kea's reclamation expires its lease; the counts return to 0, not below.
            deadline = time.monotonic() + OFFER_LIFETIME + 15
            while time.monotonic() < deadline and self.counts(kea)[:2] != (0, 0):
                time.sleep(0.5)
            self.assertEqual(self.counts(kea), (0, 0, 0))
            self.assertEqual(self.leases(kea), [])
            self.assertEqual(kea.statistics().get("subnet[1].reclaimed-leases"), 1)
            self.assertNotIn("RPI_NETBOOT_CALLOUT_ERROR", kea.log())
        finally:
            if kea:
                kea.stop()
            lab.close()

    def test_global_offer_lifetime(self):
        self.run_pi3b(on_class=False)

    def test_offer_lifetime_on_the_pi_class(self):
        self.run_pi3b(on_class=True)


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
