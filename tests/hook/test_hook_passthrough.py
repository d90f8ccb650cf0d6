#!/usr/bin/env python3
"""Non-Pi clients get byte-identical replies with and without the hook.

Two fresh kea-dhcp4 runs with the same configuration (multi-threading on, Kea's own options
43/60/66 in every reply), one with the hook in hooks-libraries and one without, receive the same
packets: a Linux-style client and two x86 PXE clients (BIOS with the Pi's very vendor class, and
UEFI), each DISCOVER then REQUEST. Every reply's whole BOOTP payload must match. A Pi 4 is sent
last in both runs and must differ, which shows the comparison can see the hook at all.
"""

import sys
import unittest

import keatest
from keatest import KeaServer, Lab, options, pi

CLIENTS = [("linux", keatest.linux_discover()),
           ("x86 BIOS PXE", keatest.x86_bios_pxe_discover()),
           ("x86 UEFI PXE", keatest.x86_uefi_pxe_discover())]

CONFIG = dict(
    subnet={"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]},
    extra={"multi-threading": {"enable-multi-threading": True, "thread-pool-size": 2,
                               "packet-queue-size": 16},
           "option-data": [
               {"code": 43, "name": "vendor-encapsulated-options", "csv-format": False,
                "data": "0104c0000263", "always-send": True},
               {"name": "vendor-class-identifier", "data": "NotAPi", "always-send": True},
               {"name": "tftp-server-name", "data": "198.51.100.99", "always-send": True}]})


def run(with_hook):
    lab = Lab()
    kea = None
    try:
        kea = KeaServer(lab, with_hook=with_hook, **CONFIG).wait_ready()
        results = []
        for name, payload in CLIENTS:
            replies = lab.exchange("--payload-hex", payload, "--request")
            results.append((name, [(r["phase"], r["bootp_hex"]) for r in replies]))
        pi4 = lab.exchange(*pi("pi4", "e4:5f:01:98:e0:82", "bf9fed6f"))
        stats = kea.statistics()
        return results, pi4, stats
    finally:
        if kea:
            kea.stop()
        lab.close()


class PassthroughTest(unittest.TestCase):
    def test_non_pi_replies_identical_with_and_without_hook(self):
        with_hook, pi_with, stats = run(True)
        without_hook, pi_without, _ = run(False)
        for (name, got), (_, want) in zip(with_hook, without_hook):
            with self.subTest(client=name):
                self.assertEqual([p for p, _ in want], ["discover", "request"],
                                 f"{name}: expected an OFFER and an ACK without the hook")
                self.assertEqual(got, want, f"{name}: reply differs with the hook loaded")
        self.assertEqual(stats["pkt4-rpi-netboot-received"], 2)  # only the Pi 4's two packets
        self.assertNotEqual([r["bootp_hex"] for r in pi_with], [r["bootp_hex"] for r in pi_without])
        self.assertEqual(options(pi_with[0]).get(60), "PXEClient".encode().hex())


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
