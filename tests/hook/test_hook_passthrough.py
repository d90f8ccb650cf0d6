#!/usr/bin/env python3
"""Non-Pi clients get byte-identical replies with and without the hook.

Two fresh kea-dhcp4 runs with the same configuration (multi-threading on, Kea's own options
43/60/66 in every reply), one with the hook in hooks-libraries and one without, receive the same
packets: a Linux-style client, a Pi running Linux from its SD card (a Pi OUI but no PXE vendor
class: not netbooting, so not the hook's business) and two x86 PXE clients (BIOS with the Pi's very
vendor class, and UEFI), each DISCOVER then REQUEST.

What is compared: each reply's whole BOOTP payload, byte for byte (op to file, the magic cookie and
every option in order, end and padding included), after a per-option comparison that names the
first differing option. Nothing in it is excluded: both runs receive identical queries (same xid,
MAC, secs, flags), and Kea's replies carry no time-dependent field (lease times come from the
configuration, addresses from the same allocator state in a fresh server). Not compared: the
IP/UDP headers (IP id, checksums), which the kernel writes, not Kea or the hook.

A Pi 4 boots first in both runs and its replies must differ, which shows the comparison can see
the hook; the clients after it must not: in particular the Pi running Linux, whose Pi-OUI MAC
never booted through the hook, is not taken for a Pi's OS phase (docs/kea.md, "Identity").
"""

import sys
import unittest

import keatest
from keatest import KeaServer, Lab, options, pi

CLIENTS = [("linux", keatest.linux_discover()),
           ("Pi running Linux", keatest.linux_discover("dc:a6:32:01:36:c2", 0x5eed1e55)),
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


# The OS-phase identity on, for every client that asks and every one that does not: a client the
# hook took for a known Pi's OS would get options 12 and 17.
HOOK_PARAMS = {"hostname-template": "pi-{serial}",
               "root-path-template": "{tftp-server}:/srv/nfs/pi/{serial}",
               "root-path-policy": "always"}


def run(with_hook):
    lab = Lab()
    kea = None
    try:
        kea = KeaServer(lab, with_hook=with_hook, hook_params=HOOK_PARAMS, **CONFIG).wait_ready()
        pi4 = lab.exchange(*pi("pi4", "e4:5f:01:98:e0:82", "bf9fed6f"))
        results = []
        for name, payload in CLIENTS:
            replies = lab.exchange("--payload-hex", payload, "--request")
            results.append((name, [(r["phase"], r["bootp_hex"], r["options"]) for r in replies]))
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
                self.assertEqual([p for p, _, _ in want], ["discover", "request"],
                                 f"{name}: expected an OFFER and an ACK without the hook")
                self.assertEqual([p for p, _, _ in got], ["discover", "request"], name)
                for (phase, got_hex, got_opts), (_, want_hex, want_opts) in zip(got, want):
                    # Option for option first (codes in order, then each payload), then every byte.
                    self.assertEqual([o["code"] for o in got_opts], [o["code"] for o in want_opts],
                                     f"{name} {phase}: option codes differ")
                    for g, w in zip(got_opts, want_opts):
                        self.assertEqual(g["hex"], w["hex"], f"{name} {phase}: option {g['code']}")
                    self.assertEqual(got_hex, want_hex, f"{name} {phase}: BOOTP bytes differ")
                codes = {o["code"] for _, _, opts in want for o in opts}
                self.assertTrue({43, 60, 66} <= codes, f"{name}: Kea's own 43/60/66 not sent")
        self.assertEqual(stats["pkt4-rpi-netboot-received"], 2)  # only the Pi 4's two packets
        self.assertNotEqual([r["bootp_hex"] for r in pi_with], [r["bootp_hex"] for r in pi_without])
        self.assertEqual(options(pi_with[0]).get(60), "PXEClient".encode().hex())


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
