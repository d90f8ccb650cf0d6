#!/usr/bin/env python3
"""The hook under Kea's multi-threading (multi_threading_compatible() returns 1).

kea-dhcp4 starts with "multi-threading" enabled (4 threads). Kea refuses
to load a hook that is not multi-threading compatible while multi-threading is on
(HOOKS_LIBRARY_MULTI_THREADING_NOT_COMPATIBLE), and it logs the effective setting
(DHCP4_MULTI_THREADING_INFO): both are checked, so the test fails if Kea quietly ran
single-threaded. Then eight Pis of every stage boot at once, three of them Pi 3B ROMs with the
ROM's constant xid (docs/protocol/dhcp.md): each gets its netboot options, the three ROM3 offers are
held, no two Pis share an address, and the statistics add up.
"""

import sys
import unittest

import keatest
from keatest import PLAIN_OPTION43, ROM_OPTION43, finish_exchange, options, pi

MT = {"multi-threading": {"enable-multi-threading": True, "thread-pool-size": 4,
                          "packet-queue-size": 64}}
PIS = [("rom3", "b8:27:eb:00:01:01", "00000101"), ("rom3", "b8:27:eb:00:01:02", "00000102"),
       ("rom3", "b8:27:eb:00:01:03", "00000103"), ("bootcode", "b8:27:eb:00:02:01", "00000201"),
       ("pi4", "dc:a6:32:00:04:01", "00000401"), ("pi4", "e4:5f:01:00:04:02", "00000402"),
       ("pi5", "2c:cf:67:00:05:01", "00000501"), ("pi5", "2c:cf:67:00:05:02", "00000502")]


class MultiThreadingTest(unittest.TestCase):
    def test_pis_booting_at_once_under_kea_multi_threading(self):
        lab = keatest.lab_for(self)
        kea = keatest.kea_for(self, lab, hook_params={"tftp-server": "192.0.2.53"},
                              extra=MT).wait_ready()
        log = kea.log()
        self.assertIn("DHCP4_MULTI_THREADING_INFO enabled: yes, number of threads: 4", log)
        self.assertIn("reports its multi-threading compatibility as 1", log)
        self.assertNotIn("HOOKS_LIBRARY_MULTI_THREADING_NOT_COMPATIBLE", log)

        running = [(model, mac, lab.start_exchange(*pi(model, mac, serial)))
                   for model, mac, serial in PIS]
        addresses = {}
        for model, mac, popen in running:
            replies = finish_exchange(popen)
            want = [2] if model in ("rom3", "bootcode") else [2, 5]
            self.assertEqual([r["message_type"] for r in replies], want, f"{model} {mac}")
            for r in replies:
                opts = options(r)
                self.assertEqual(opts.get(43), ROM_OPTION43 if model == "rom3" else
                                 PLAIN_OPTION43, f"{model} {mac}")
                self.assertEqual(opts.get(60), b"PXEClient".hex())
                self.assertEqual(opts.get(66), b"192.0.2.53".hex())
            addresses[mac] = {r["yiaddr"] for r in replies}
        for mac, addrs in addresses.items():
            self.assertEqual(len(addrs), 1, f"{mac}: OFFER and ACK differ: {addrs}")
        flat = [a for addrs in addresses.values() for a in addrs]
        self.assertEqual(len(set(flat)), len(PIS), f"two Pis share an address: {addresses}")

        stats = kea.statistics()
        expected = {"pkt4-rpi-netboot-received": 12, "pkt4-rpi-netboot-answered": 12,
                    "pkt4-rpi-netboot-rom3-received": 3,
                    "pkt4-rpi-netboot-bootcode-received": 1,
                    "pkt4-rpi-netboot-pi4-received": 4, "pkt4-rpi-netboot-pi5-received": 4,
                    "pkt4-rpi-netboot-rom-offers-held": 4,  # 3 ROM3 + 1 bootcode
                    "pkt4-rpi-netboot-rom-offers-dropped": 0, "pkt4-rpi-netboot-malformed": 0}
        self.assertEqual({k: stats.get(k) for k in expected}, expected)
        self.assertNotIn("RPI_NETBOOT_CALLOUT_ERROR", kea.log())


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
