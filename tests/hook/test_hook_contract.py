#!/usr/bin/env python3
"""The hook honours Kea's hooks contract (Kea hooks developer guide): a packet that a library
earlier in hooks-libraries dropped or skipped is left alone, a ROM OFFER that any library (before
or after the hook) dropped is not held, and load() refuses any daemon but kea-dhcp4.

The other library is tests/hook/drop_hook.cpp, which sets DROP or SKIP on every packet at one
hook point. Each case sends one Pi 3B ROM DISCOVER and reads the hook's statistics: without the
status checks the hook would count, patch or hold what Kea then throws away.
"""

# kea-versions: 2.2
# (it loads a test library built on the host, and starts the host's kea-dhcp6)

import os
import subprocess
import sys
import tempfile
import unittest
import json
import shutil

import keatest
from keatest import KeaServer, Lab, pi

ROM = pi("rom3", "b8:27:eb:c0:47:01", "00c04701")


def discover_with(**libraries):
    lab = Lab()
    kea = None
    try:
        kea = KeaServer(lab, **libraries).wait_ready()
        replies = lab.exchange(*ROM, window_ms=1500)
        return replies, kea.statistics(), kea.log()
    finally:
        if kea:
            kea.stop()
        lab.close()


class ContractTest(unittest.TestCase):
    def assertUntouched(self, stats, log):
        self.assertEqual(stats["pkt4-rpi-netboot-received"], 0)
        self.assertEqual(stats["pkt4-rpi-netboot-answered"], 0)
        self.assertEqual(stats["pkt4-rpi-netboot-rom-offers-held"], 0)
        self.assertNotIn("RPI_NETBOOT_CALLOUT_ERROR", log)

    def test_query_dropped_before_the_hook_is_not_classified(self):
        for status in ("drop", "skip"):
            with self.subTest(status=status):
                replies, stats, log = discover_with(
                    libraries_before=[keatest.drop_library("pkt4_receive", status)])
                self.assertEqual(replies, [])
                self.assertUntouched(stats, log)
                self.assertNotIn("RPI_NETBOOT_CLASSIFIED", log)

    def test_offer_dropped_before_the_hook_is_neither_patched_nor_held(self):
        for status in ("drop", "skip"):
            with self.subTest(status=status):
                replies, stats, log = discover_with(
                    libraries_before=[keatest.drop_library("pkt4_send", status)])
                self.assertEqual(replies, [])
                # Classified in pkt4_receive (nobody dropped it there), then left alone.
                self.assertEqual(stats["pkt4-rpi-netboot-rom3-received"], 1)
                self.assertEqual(stats["pkt4-rpi-netboot-answered"], 0)
                self.assertEqual(stats["pkt4-rpi-netboot-rom-offers-held"], 0)
                self.assertEqual(stats["subnet[1].assigned-addresses"], 0)
                # Last in the list: the hold is made in pkt4_send, at no cost to other replies.
                self.assertNotIn("ROM holds in buffer4_send", log)

    def test_offer_dropped_after_the_hook_is_not_held(self):
        replies, stats, log = discover_with(
            libraries_after=[keatest.drop_library("pkt4_send", "drop")])
        self.assertEqual(replies, [])
        self.assertEqual(stats["pkt4-rpi-netboot-answered"], 1)  # patched, then dropped
        self.assertEqual(stats["pkt4-rpi-netboot-rom-offers-held"], 0)
        self.assertEqual(stats["subnet[1].assigned-addresses"], 0)
        self.assertNotIn("RPI_NETBOOT_ROM_HELD", log)
        self.assertIn("ROM holds in buffer4_send: a library follows", log)

    def test_control_a_library_that_drops_elsewhere_changes_nothing(self):
        # The same pair of libraries, the other one dropping only at pkt4_receive *after* the
        # hook: Kea drops the query, but the hook ran first and classified it.
        replies, stats, _ = discover_with(
            libraries_after=[keatest.drop_library("pkt4_receive", "drop")])
        self.assertEqual(replies, [])
        self.assertEqual(stats["pkt4-rpi-netboot-rom3-received"], 1)

    def test_load_refuses_kea_dhcp6(self):
        tmp = tempfile.mkdtemp(prefix="rpinb-kea6-")
        try:
            config = {"Dhcp6": {
                "interfaces-config": {"interfaces": []},
                "lease-database": {"type": "memfile", "persist": False, "lfc-interval": 0},
                "hooks-libraries": [{"library": keatest.hook_library()}],
                "loggers": [{"name": "kea-dhcp6", "severity": "INFO",
                             "output_options": [{"output": "stdout"}]}]}}
            path = os.path.join(tmp, "kea-dhcp6.conf")
            with open(path, "w") as f:
                json.dump(config, f)
            env = dict(os.environ, KEA_PIDFILE_DIR=tmp, KEA_LOCKFILE_DIR=tmp)
            res = subprocess.run([KEA6, "-c", path], env=env, capture_output=True, text=True,
                                 timeout=20)
            out = res.stdout + res.stderr
            self.assertNotEqual(res.returncode, 0, out[-3000:])
            self.assertIn("RPI_NETBOOT_WRONG_DAEMON rpi-netboot hook loaded by kea-dhcp6", out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


KEA6 = "/usr/sbin/kea-dhcp6"

if __name__ == "__main__":
    keatest.require()
    keatest.netlab.require_tools(KEA6, os.path.join(keatest.netlab.build_dir(), "tests", "hook",
                                                    "libdhcp_rpinb_drop_hook.so"))
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
