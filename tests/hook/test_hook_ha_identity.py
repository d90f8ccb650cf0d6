#!/usr/bin/env python3
"""A Pi's identity record (the lease's user-context "rpi-netboot", docs/kea.md "Identity") across
a Kea High Availability pair (halab.py: lease_cmds, Kea's HA hook and this hook on two servers):
the record goes to the partner with the lease itself, through HA's own lease updates.

- Hot-standby: a Pi 4 boots through the primary; the standby's lease4-get shows the same
  rpi-netboot record, and the standby's rpi-netboot-get by serial, MAC and address answers it
  (its index never saw the Pi: lease_cmds wrote the lease without this hook's callouts, so the
  commands also read the lease store). The Pi's Linux asks (kernel ip=dhcp) through the primary;
  the primary is SIGKILLed; once the standby is in partner-down, the OS-phase DHCP from the same
  MAC (klibc ipconfig, then systemd-networkd with its DUID client-id) is classed RPI_NETBOOT_OS
  there and keeps the address, the hostname (option 12) and the root path (option 17).
- A known Pi's DHCPRELEASE, which the hook skips (keep-pi-leases-on-release): the primary keeps
  the lease, and the standby still holds it with its record: HA sends the partner no deletion.
- Load-balancing: the same record on both servers, and the survivor of either server's death
  keeps the Pi's address and names in its OS phase.
"""

import json
import os
import socket
import sys
import unittest

import halab
import keatest
from keatest import INSTALL, netlab, options, pi
from test_hook_identity import OS_CLIENTS, os_discover

PRIMARY, STANDBY = "server1", "server2"
ADDR = halab.SERVERS
TFTP = "192.0.2.10"  # the TFTP node both servers name (as examples/kea-dhcp4-ha-*.conf do)
PARAMS = {"tftp-server": TFTP, "hostname-template": "pi-{serial}",
          "root-path-template": "{tftp-server}:/srv/nfs/pi/{serial}"}
PI4 = ("pi4", "e4:5f:01:98:e0:90", "bf9fed90")
PI4_B = ("pi4", "e4:5f:01:98:e0:91", "bf9fed91")
PI5 = ("pi5", "2c:cf:67:2b:3c:90", "1a2b3c90")


class HaIdentity(unittest.TestCase):
    mode = "hot-standby"

    def setUp(self):
        self.pair = halab.Pair(self.mode)
        self.addCleanup(self.pair.close)
        for name in ADDR:
            paths = INSTALL.new_paths()
            cfg = halab.server_config(self.pair.ifname[name], paths, name, self.mode, PARAMS)
            # One lease per MAC whatever client-id the OS sends (docs/kea.md, "One lease per
            # MAC"), as the shipped examples do for the Pi subnet.
            cfg["Dhcp4"]["subnet4"][0]["match-client-id"] = False
            self.pair.start(name, wait=False, config_text=json.dumps(cfg), paths=paths)
        for name in ADDR:
            self.pair.kea[name].wait_ready()
        for name in ADDR:
            self.pair.wait_state(name, self.mode)
        self.xid = 0x4a1d0000

    def tearDown(self):
        for name, log in self.pair.logs().items():
            for bad in ("HOOKS_CALLOUT_ERROR", "HOOKS_CALLOUT_EXCEPTION",
                        "RPI_NETBOOT_CALLOUT_ERROR", "RPI_NETBOOT_REGISTRY_MALFORMED"):
                self.assertNotIn(bad, log, name)

    def next_xid(self):
        self.xid += 1
        return self.xid

    def boot(self, model, mac, serial):
        replies = self.pair.exchange(*pi(model, mac, serial))
        self.assertEqual([r["message_type"] for r in replies], [2, 5], replies)
        self.assertEqual(len({r["yiaddr"] for r in replies}), 1)
        return replies[-1]["yiaddr"], replies[-1]["src_ip"]

    def record(self, name, addr):
        """The rpi-netboot record in server `name`'s lease of `addr` (lease4-get), or None."""
        res = self.pair.kea[name].command("lease4-get", {"ip-address": addr})
        if res["result"] != 0:
            return None
        return keatest.lease_record(res["arguments"].get("user-context"))

    def same_record_on_both(self, addr, mac, serial):
        """Waits (bounded) until both servers' leases of `addr` carry the same record."""
        got = {}

        def agree():
            got.update({name: self.record(name, addr) for name in self.pair.kea})
            return all(got.values()) and len({json.dumps(r, sort_keys=True)
                                              for r in got.values()}) == 1
        netlab.wait_for(agree, timeout=10, interval=0.1, what=f"the record of {addr} on both "
                        f"servers ({got})")
        record = got[PRIMARY]
        self.assertEqual(record["serial"], serial)
        self.assertEqual(record["mac"], mac)
        self.assertEqual(record["address"], addr)
        return record

    def assert_get_answers(self, name, mac, serial, addr):
        for key, value in (("serial", serial), ("mac", mac), ("address", addr)):
            res = self.pair.kea[name].command("rpi-netboot-get", {key: value})
            self.assertEqual(res["result"], 0, f"{name} rpi-netboot-get {key}: {res}")
            self.assertEqual(res["arguments"]["serial"], serial)
            self.assertEqual(res["arguments"]["mac"], mac)
            self.assertEqual(res["arguments"]["address"], addr)
        listed = self.pair.kea[name].command("rpi-netboot-list")
        self.assertEqual(listed["result"], 0, listed)
        self.assertIn(mac, {p["mac"] for p in listed["arguments"]["pis"]})

    def os_exchange(self, client, mac, serial, addr, server):
        """An OS client's DISCOVER/REQUEST from the Pi's MAC, answered by `server` alone."""
        replies = self.pair.exchange("--payload-hex", os_discover(client, mac, self.next_xid()),
                                     "--request")
        what = f"{client} from {mac}"
        self.assertEqual([r["message_type"] for r in replies], [2, 5], what)
        for r in replies:
            self.assertEqual(r["src_ip"], ADDR[server], what)
            self.assertEqual(r["yiaddr"], addr, what + ": another address")
            opts = options(r)
            self.assertEqual(bytes.fromhex(opts.get(12, "")).decode(), f"pi-{serial}", what)
            if 17 in OS_CLIENTS[client][0]:
                self.assertEqual(bytes.fromhex(opts.get(17, "")).decode(),
                                 f"{TFTP}:/srv/nfs/pi/{serial}", what)
            for code in (43, 60, 66):  # the OS phase is not a PXE boot
                self.assertNotIn(code, opts, f"{what}: option {code}")
        # Classed as the Pi's OS on that server (the hook's own log line names the MAC).
        self.assertRegex(self.pair.kea[server].log(), r"RPI_NETBOOT_OS_PHASE .*" + mac)

    def release(self, mac, addr, server):
        """A DHCPRELEASE of `addr` from `mac` to `server` (RFC 2131 section 4.4.6: ciaddr, the
        server identifier); no reply is expected."""
        payload = bytearray(bytes.fromhex(keatest.bootp_request(
            mac, self.next_xid(), [(53, b"\x07"), (54, socket.inet_aton(ADDR[server]))])))
        payload[12:16] = socket.inet_aton(addr)
        self.pair.exchange("--payload-hex", payload.hex(), window_ms=1000, expect=1)


class HotStandbyIdentityTest(HaIdentity):
    mode = "hot-standby"

    def test_record_reaches_the_standby_and_survives_a_failover(self):
        model, mac, serial = PI4
        addr, server = self.boot(*PI4)
        self.assertEqual(server, ADDR[PRIMARY])
        record = self.same_record_on_both(addr, mac, serial)
        self.assertEqual(record["model"], "pi4")
        self.assertEqual(record["phase"], "boot")
        self.assert_get_answers(STANDBY, mac, serial, addr)
        # The Pi's kernel (ip=dhcp) through the primary: the record's OS phase reaches the
        # standby too.
        self.os_exchange("kernel", mac, serial, addr, PRIMARY)
        record = self.same_record_on_both(addr, mac, serial)
        self.assertEqual(record["phase"], "os")
        self.assertEqual(self.pair.kea[STANDBY].command("rpi-netboot-get", {"mac": mac})
                         ["arguments"]["phase"], "os")

        self.pair.kill(PRIMARY)
        self.pair.wait_state(STANDBY, "partner-down")
        # The same Pi's Linux again, now answered by the survivor alone.
        self.os_exchange("klibc", mac, serial, addr, STANDBY)
        self.os_exchange("networkd", mac, serial, addr, STANDBY)
        leases = [l for l in self.pair.kea[STANDBY].command("lease4-get-all")["arguments"]
                  ["leases"] if l["hw-address"] == mac]
        self.assertEqual([l["ip-address"] for l in leases], [addr], "one lease for the Pi")
        self.assertEqual(keatest.lease_record(leases[0]["user-context"])["phase"], "os")
        # Its next firmware boot keeps the address.
        self.assertEqual(self.boot(*PI4), (addr, ADDR[STANDBY]))
        self.assert_get_answers(STANDBY, mac, serial, addr)

    def test_kept_release_leaves_the_partner_holding_the_lease(self):
        model, mac, serial = PI4_B
        addr, _ = self.boot(*PI4_B)
        self.same_record_on_both(addr, mac, serial)
        self.os_exchange("networkd", mac, serial, addr, PRIMARY)
        before = self.same_record_on_both(addr, mac, serial)
        self.release(mac, addr, PRIMARY)
        netlab.wait_for(lambda: "RPI_NETBOOT_RELEASE_KEPT" in self.pair.kea[PRIMARY].log(),
                        timeout=10, what="the primary keeping the Pi's lease")
        self.assertIn("DHCP4_HOOK_LEASE4_RELEASE_SKIP", self.pair.kea[PRIMARY].log())
        # HA sends a lease update only for what Kea committed: a skipped release commits
        # nothing, so the standby's lease and record stay as they were.
        for name in ADDR:
            self.assertEqual(self.record(name, addr), before, f"{name} after the release")
        self.assert_get_answers(STANDBY, mac, serial, addr)
        # And the primary's dying leaves the standby with the Pi's address.
        self.pair.kill(PRIMARY)
        self.pair.wait_state(STANDBY, "partner-down")
        self.assertEqual(self.boot(*PI4_B), (addr, ADDR[STANDBY]))


class LoadBalancingIdentityTest(HaIdentity):
    mode = "load-balancing"

    def test_each_servers_pis_survive_its_death(self):
        booted = {}
        for p in (PI4, PI4_B, PI5):
            addr, server = self.boot(*p)
            booted[p] = (addr, server)
            self.same_record_on_both(addr, p[1], p[2])
            for name in ADDR:
                self.assert_get_answers(name, p[1], p[2], addr)
        # Kill whichever server answered the Pi 4; the survivor takes over its Pis.
        victim = next(n for n, a in ADDR.items() if a == booted[PI4][1])
        survivor = next(n for n in ADDR if n != victim)
        self.pair.kill(victim)
        self.pair.wait_state(survivor, "partner-down")
        for p in (PI4, PI4_B, PI5):
            self.os_exchange("klibc", p[1], p[2], booted[p][0], survivor)


if __name__ == "__main__":
    halab.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
