#!/usr/bin/env python3
"""examples/kea-dhcp4-ha-hot-standby.conf and kea-dhcp4-ha-load-balancing.conf (their -3.0 forms
on Kea 3.0) loaded by a real Kea HA pair (halab.py): kea-dhcp4 -t accepts each, both servers
reach their HA state, the hook's ROM hold and a Pi 4's ACKed lease are on both servers, and
each client gets its address from the pool the example gives it (Pis and others apart, and in
load-balancing each server's own quarter, through the classes combining HA_server1/HA_server2
with RPI_NETBOOT)."""

import os
import sys
import unittest

import halab
import keatest
from keatest import pi
from test_hook_ha import ADDR, PLAIN_MAC, PRIMARY, STANDBY, mac, offers, rom

EXAMPLE_KEA_HOOKS = os.path.dirname(keatest.EXAMPLE_HOOK) + "/"  # Kea's own libraries' dir


class ExampleTest(unittest.TestCase):
    """examples/kea-dhcp4-ha-*.conf (the -3.0 ones on Kea 3.0) on both servers, unchanged but
    for this-server-name and the files of each server (two servers share one chroot): both
    reach their mode, a ROM hold and a Pi 4's ACKed lease are on both servers, and each client
    gets its address from the pool the example gives it."""

    def example(self, mode, server, paths):
        """The example with this server's name and this run's own hook, lease file, log and
        socket (keatest.own_example_files: the two servers and concurrent runs share none)."""
        name = f"kea-dhcp4-ha-{mode}{'-3.0' if keatest.VERSION == '3.0' else ''}.conf"
        text = keatest.example_text(name)
        self.assertEqual(text.count('"this-server-name": "server1"'), 1)
        text = keatest.own_example_files(text, paths)
        text = text.replace(EXAMPLE_KEA_HOOKS, halab.hooks_dir().rstrip("/") + "/")
        return text.replace('"this-server-name": "server1"', f'"this-server-name": "{server}"')

    def run_pair(self, mode):
        pair = halab.Pair(mode, server_ifname="eth0")
        self.addCleanup(pair.close)
        for server in ADDR:
            paths = keatest.INSTALL.new_paths()  # the pair's server removes them when it stops
            text = self.example(mode, server, paths)
            code, output = keatest.config_check(pair.ns[server], text, paths)
            self.assertEqual(code, 0, output)
            pair.start(server, wait=False, config_text=text, paths=paths)
        for server in ADDR:
            pair.kea[server].wait_ready()
        for server in ADDR:
            pair.wait_state(server, mode, timeout=60)
        rom_offer = offers(pair.exchange(*rom(1)))
        self.assertEqual(len(rom_offer), 1, rom_offer)
        pi4 = pair.exchange(*pi("pi4", "e4:5f:01:98:e0:82", "bf9fed6f"))
        self.assertEqual([r["message_type"] for r in pi4], [2, 5])
        plain = pair.exchange("--payload-hex", keatest.linux_discover(PLAIN_MAC), "--request")
        self.assertEqual([r["message_type"] for r in plain], [2, 5])
        stores = {server: pair.leases(server) for server in ADDR}
        self.assertEqual(stores[PRIMARY], stores[STANDBY])
        self.assertEqual(sorted(stores[PRIMARY]), sorted([mac(1), "e4:5f:01:98:e0:82", PLAIN_MAC]))
        for replies, pis in ((rom_offer and [{"yiaddr": rom_offer[0][0],
                                              "src_ip": rom_offer[0][1]}], True),
                             (pi4, True), (plain, False)):
            reply = replies[-1]
            last = int(reply["yiaddr"].rsplit(".", 1)[1])
            if mode == "hot-standby":
                low = 100 if pis else 150
                self.assertEqual(reply["src_ip"], ADDR[PRIMARY])
            else:  # each server's own quarter (the example's pools)
                low = (100 if pis else 150) + (25 if reply["src_ip"] == ADDR[STANDBY] else 0)
            self.assertTrue(low <= last < low + (50 if mode == "hot-standby" else 25),
                            (reply["yiaddr"], reply["src_ip"]))
        for server in ADDR:
            log = pair.kea[server].log()
            self.assertIn("RPI_NETBOOT_LOAD_OK", log)
            self.assertNotIn("ERROR", log)
            if keatest.VERSION == "3.0":
                self.assertNotIn("deprecated", log.lower())

    def test_hot_standby_example(self):
        self.run_pair("hot-standby")

    def test_load_balancing_example(self):
        self.run_pair("load-balancing")


if __name__ == "__main__":
    halab.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
