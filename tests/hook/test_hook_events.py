#!/usr/bin/env python3
"""The hook's boot events (parameter "events") in a real kea-dhcp4: a Pi 4's DISCOVER, OFFER,
REQUEST and ACK and a Pi 3B ROM's DISCOVER and held OFFER appear as JSON lines with serial, MAC,
model and the address Kea gave; a PC's DISCOVER gives none; a bad value makes Kea refuse the
configuration naming the parameter; the default writes nothing. A Pi allow-serials and
allow-macs refuse gives a failed DISCOVER and REQUEST whose error says why. A booted Pi's OS
(BusyBox udhcpc from the Pi's MAC, tests/lib/os_clients.py) gives the same steps with phase "os". The events file lies next to
Kea's log (in the chroot's /var/log/kea for Kea 2.6 and 3.0): the hook opens it itself, so
Kea's own path rules for logs do not apply. Run against the Kea RPI_NETBOOT_KEA selects.
"""

import json
import os
import sys
import time
import unittest

import keatest
from keatest import KeaServer, netlab, pi

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import os_clients  # noqa: E402

PI4 = ("e4:5f:01:98:e0:82", "bf9fed6f")
ROM3 = ("b8:27:eb:00:00:0a", "0000000a")


def read_events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class HookEventsTest(unittest.TestCase):
    def setUp(self):
        self.lab = keatest.lab_for(self)
        self.kea = None

    def start(self, events=None, extra=None):
        paths = keatest.INSTALL.new_paths()
        self.events_kea_path = paths.log + ".events.jsonl"  # removed with the log by stop()
        self.events_path = paths.host(self.events_kea_path)
        self.paths = paths
        params = {} if events is None else {"events": events.replace("PATH", self.events_kea_path)}
        params.update(extra or {})
        self.kea = keatest.kea_for(self, self.lab, paths=paths, hook_params=params).wait_ready()

    def test_pi_steps_are_events(self):
        self.start("json:PATH")
        t0 = time.time_ns() // 1000
        replies = self.lab.exchange(*pi("pi4", *PI4))
        yiaddr = replies[-1]["yiaddr"]
        self.assertTrue(yiaddr.startswith("192.0.2."), replies)
        self.lab.exchange(*pi("rom3", *ROM3))
        self.lab.exchange("--payload-hex", keatest.linux_discover(), expect=1)
        netlab.wait_for(lambda: len(read_events(self.events_path)) >= 6, timeout=10,
                        what="6 events")
        time.sleep(0.3)  # nothing more may come (the PC's DISCOVER gives none)
        t1 = time.time_ns() // 1000
        events = read_events(self.events_path)
        self.assertEqual([e["step"] for e in events],
                         ["DISCOVER", "OFFER_SENT", "REQUEST", "ACK", "DISCOVER", "OFFER_HELD"],
                         events)
        for e in events:
            self.assertEqual(e["source"], "kea-hook", e)
            self.assertTrue(t0 <= e["timestamp_us"] <= t1, (t0, e, t1))
        for e in events[:4]:
            self.assertEqual((e["serial"], e["mac"], e["model"]), (PI4[1], PI4[0], "pi4"), e)
        for e in events[4:]:
            # The Pi 3B ROM's option 97 carries no serial (docs/protocol/dhcp.md): none is made up.
            self.assertEqual((e.get("serial"), e["mac"], e["model"]), (None, ROM3[0], "rom3"), e)
        # The address: the one Kea offered and acknowledged; a query carries none (ciaddr 0).
        self.assertNotIn("address", events[0])
        self.assertEqual(events[1]["address"], yiaddr)
        self.assertEqual(events[3]["address"], yiaddr)
        self.assertTrue(events[5]["address"].startswith("192.0.2."), events[5])
        loaded = [line for line in self.kea.log().splitlines() if "RPI_NETBOOT_LOAD_OK" in line]
        self.assertEqual(len(loaded), 1)
        self.assertIn(f"events to queue(4096) -> json:{self.events_kea_path}", loaded[0])

    def test_refused_pi_is_a_failed_event(self):
        self.start("json:PATH", {"allow-serials": ["1a2b3c05"],
                                 "allow-macs": ["dc:a6:32:00:00:07"]})
        # Kea answers a refused Pi as any client (no option 43): the Pi 4 still sends REQUEST.
        replies = self.lab.exchange(*pi("pi4", *PI4))
        self.assertNotIn(43, keatest.options(replies[0]), replies)
        self.lab.exchange(*pi("pi4", "dc:a6:32:00:00:07", "1a2b3c07"))  # allowed by MAC
        netlab.wait_for(lambda: len(read_events(self.events_path)) >= 6, timeout=10,
                        what="6 events")
        time.sleep(0.3)
        events = read_events(self.events_path)
        self.assertEqual([(e["step"], e.get("outcome")) for e in events],
                         [("DISCOVER", "failed"), ("REQUEST", "failed"), ("DISCOVER", None),
                          ("OFFER_SENT", None), ("REQUEST", None), ("ACK", None)], events)
        why = (f"not allowed: serial {PI4[1]} not in allow-serials, "
               f"MAC {PI4[0]} not in allow-macs")
        for e in events[:2]:
            self.assertEqual((e["serial"], e["mac"], e["model"], e["error"]),
                             (PI4[1], PI4[0], "pi4", why), e)
        for e in events[2:]:
            self.assertNotIn("error", e)
        # The refusal is still logged and counted as before.
        self.assertIn("RPI_NETBOOT_NOT_ALLOWED", self.kea.log())

    def test_os_phase_events(self):
        if not os.path.exists(os_clients.UDHCPC):
            netlab.skip_or_fail(f"{os_clients.UDHCPC} (busybox-udhcpc) not installed")
        self.start("json:PATH")
        replies = self.lab.exchange(*pi("pi4", *PI4))
        yiaddr = replies[-1]["yiaddr"]
        netlab.wait_for(lambda: len(read_events(self.events_path)) >= 4, timeout=10,
                        what="the boot phase's 4 events")
        # The Pi's Linux: a client with its own request list and client-id (01:MAC), known to
        # the hook by MAC alone.
        host = os_clients.Host(self.lab.client, self.lab.client_if, PI4[0],
                               os.path.join(self.paths.tmp, "pi-os"))
        lease = host.udhcpc()
        self.assertEqual(lease.address, yiaddr, self.kea.log()[-3000:])
        netlab.wait_for(lambda: len(read_events(self.events_path)) >= 8, timeout=10,
                        what="the OS phase's 4 events")
        time.sleep(0.3)
        events = read_events(self.events_path)
        self.assertEqual([(e["step"], e.get("phase")) for e in events],
                         [("DISCOVER", None), ("OFFER_SENT", None), ("REQUEST", None),
                          ("ACK", None), ("DISCOVER", "os"), ("OFFER_SENT", "os"),
                          ("REQUEST", "os"), ("ACK", "os")], events)
        for e in events[4:]:
            # The identity the registry recorded at the boot phase, not the OS query's.
            self.assertEqual((e["source"], e["serial"], e["mac"], e["model"]),
                             ("kea-hook", PI4[1], PI4[0], "pi4"), e)
            self.assertNotIn("outcome", e)
        self.assertEqual(events[5]["address"], yiaddr)
        self.assertEqual(events[7]["address"], yiaddr)
        self.assertNotIn("address", events[4])  # udhcpc's DISCOVER: ciaddr 0

    def test_default_writes_nothing(self):
        self.start()
        self.lab.exchange(*pi("pi4", *PI4))
        time.sleep(0.3)
        self.assertEqual(read_events(self.events_path), [])
        self.assertFalse([line for line in self.kea.log().splitlines()
                          if "RPI_NETBOOT_LOAD_OK" in line and "events to" in line])

    def test_bad_value_refused(self):
        for spec, text in (("syslog", "parameter 'events' value \"syslog\""),
                           ("json:/nonexistent-dir/e.jsonl",
                            "parameter 'events': ")):
            with self.subTest(spec=spec):
                paths = keatest.INSTALL.new_paths()
                kea = KeaServer(self.lab, paths=paths, hook_params={"events": spec})
                code, log = kea.wait_exit()
                self.assertNotEqual(code, 0)
                self.assertIn(text, log)
                self.assertIn("RPI_NETBOOT_LOAD_FAILED", log)


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
