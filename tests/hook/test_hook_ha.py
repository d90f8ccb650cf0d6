#!/usr/bin/env python3
"""Kea High Availability pairs (libdhcp_ha.so + libdhcp_lease_cmds.so + this hook, halab.py): the
hook's holds for the Pi 3B boot ROM and bootcode.bin reach the partner through the HA hook, as an
ACKed lease does (kea-hook/src/hold_replication.h, docs/kea.md "High Availability").

- A hold, and its refresh when the Pi comes back as bootcode.bin, is in the partner's
  lease4-get-all by the time the OFFER arrives, with the same MAC, address and expiry (+-1 s).
- Hot-standby failover: the primary is SIGKILLed; once the standby is in partner-down, the earlier
  Pi keeps its address at its next stage, a new Pi and a plain client get other addresses, and
  after the primary returns (HA's own lease sync) both lease stores hold one lease per client and
  the same ones, and each server's assigned-addresses equals its lease count (the hook recounts
  after HA's sync, which counts nothing).
- The partner unreachable but not yet declared down: the OFFER is withheld (HA drops the parked
  reply when its lease update fails); after partner-down the Pi's retry is OFFERed the address
  held for it, and the partner, back, holds exactly that one lease for it.
- The primary's link cut (alive, unreachable) and restored: the standby takes over keeping the
  holds, and the two agree afterwards.
- Load-balancing: each server holds for the Pis it serves and its partner gets the holds; with
  either server killed, the other keeps every Pi's address.
- A storm across a failover (test_storm_with_the_primary_killed_midway): no address offered or
  ACKed to two MACs (all OFFERs/ACKs the clients saw), every Pi 3B keeps one address from ROM to
  bootcode.bin and through a reboot.
"""

import os
import re
import sys
import time
import unittest

import halab
import keatest
from keatest import netlab, pi

PRIMARY, STANDBY = "server1", "server2"
ADDR = halab.SERVERS


def rom(n):
    return pi("rom3", f"b8:27:eb:00:10:{n:02x}", f"000010{n:02x}")


def bootcode(n):
    return pi("bootcode", f"b8:27:eb:00:10:{n:02x}", f"000010{n:02x}")


def mac(n):
    return f"b8:27:eb:00:10:{n:02x}"


PLAIN_MAC = "52:54:00:00:10:01"


def offers(replies):
    return [(r["yiaddr"], r["src_ip"]) for r in replies if r["message_type"] == 2]


class PairTest(unittest.TestCase):
    mode = "hot-standby"

    def setUp(self):
        self.pair = halab.Pair(self.mode)
        self.addCleanup(self.pair.close)
        for name in ADDR:
            self.pair.start(name, wait=False)
        for name in ADDR:
            self.pair.kea[name].wait_ready()
        for name in ADDR:
            self.pair.wait_state(name, self.mode)

    def tearDown(self):
        # No callout failed on a running server (e.g. a library refusing the hold's arguments).
        for name, log in self.pair.logs().items():
            for bad in ("HOOKS_CALLOUT_ERROR", "HOOKS_CALLOUT_EXCEPTION", "RPI_NETBOOT_CALLOUT_ERROR",
                        "RPI_NETBOOT_HELD_OFFER_SEND_FAILED"):
                self.assertNotIn(bad, log, name)

    def one_offer(self, args, window_ms=3000):
        got = offers(self.pair.exchange(*args, window_ms=window_ms))
        self.assertEqual(len(got), 1, f"{args}: {got}")
        return got[0]

    def assert_same_lease(self, a, b, client_mac):
        """The client's lease on server a and on server b: same address, expiry +-1 s."""
        la, lb = self.pair.leases(a).get(client_mac), self.pair.leases(b).get(client_mac)
        self.assertIsNotNone(la, f"{a} has no lease for {client_mac}")
        self.assertIsNotNone(lb, f"{b} has no lease for {client_mac}")
        self.assertEqual(la[0], lb[0])
        self.assertLessEqual(abs(la[1] - lb[1]), 1, (la, lb))
        return la

    def assert_counted(self, name, timeout=15):
        """`name`'s subnet[1].assigned-addresses equals its lease count, and so does the sum of
        its pools' counts (Kea 2.4+), none negative. HA's lease sync writes the partner's leases
        without counting them (ha_service.cc, Kea 2.2 to 3.0); the hook recounts about a second
        after the sync (kea-hook/src/ha_stats_sync.h), so a count may lag that long: waited for,
        bounded."""
        pool_stat = re.compile(r"subnet\[1\]\.pool\[\d+\]\.assigned-addresses")
        deadline = time.monotonic() + timeout
        while True:
            leases = len(self.pair.leases(name))
            stats = self.pair.kea[name].statistics()
            assigned = stats["subnet[1].assigned-addresses"]
            pools = [v for k, v in stats.items() if pool_stat.fullmatch(k)]
            if (assigned == leases and (not pools or sum(pools) == leases)) \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(assigned, leases, f"{name}: assigned-addresses")
        if pools:
            self.assertEqual(sum(pools), leases, f"{name}: the pools' assigned-addresses")
        self.assertGreaterEqual(min(pools + [assigned]), 0, f"{name}: a negative count")

    def assert_stores_agree(self, clients):
        """Both servers: exactly one lease per client in `clients`, the same address on both,
        and assigned-addresses equal to the lease count (assert_counted), on a server that took
        its partner's leases by HA's lease sync too."""
        stores = {name: self.pair.leases(name) for name in ADDR}
        for name, leases in stores.items():
            self.assertEqual(sorted(leases), sorted(clients), f"{name}: {leases}")
            addrs = [a for a, _ in leases.values()]
            self.assertEqual(len(addrs), len(set(addrs)), f"{name}: an address twice: {leases}")
            self.assert_counted(name)
        self.assertEqual({m: a for m, (a, _) in stores[PRIMARY].items()},
                         {m: a for m, (a, _) in stores[STANDBY].items()})

    def assert_recounted_after_sync(self, name):
        """`name` synced from its partner, and the hook logged its recount afterwards."""
        log = self.pair.kea[name].log()
        self.assertIn("HA_LEASES_SYNC_LEASE_PAGE_RECEIVED", log, name)
        self.assertIn("RPI_NETBOOT_HA_STATS_RECOUNTED", log[log.rindex("HA_LEASES_SYNC"):], name)


class HotStandbyTest(PairTest):
    mode = "hot-standby"

    def test_hold_and_its_refresh_reach_the_standby_before_the_offer(self):
        addr, server = self.one_offer(rom(1))
        self.assertEqual(server, ADDR[PRIMARY])
        # The OFFER left after the standby acknowledged the hold: it is there already.
        first = self.assert_same_lease(PRIMARY, STANDBY, mac(1))
        self.assertEqual(first[0], addr)
        # bootcode.bin: the same address, the hold confirmed (lengthened) on both servers.
        time.sleep(1.1)  # a later cltt, so that the refresh is visible
        self.assertEqual(self.one_offer(bootcode(1)), (addr, ADDR[PRIMARY]))
        second = self.assert_same_lease(PRIMARY, STANDBY, mac(1))
        self.assertGreater(second[1], first[1])
        stats = self.pair.kea[PRIMARY].statistics()
        self.assertEqual(stats["pkt4-rpi-netboot-rom-holds-to-partner"], 2)
        self.assertEqual(stats["pkt4-rpi-netboot-rom-holds-partner-acked"], 2)
        self.assert_stores_agree([mac(1)])

    def test_failover_keeps_held_addresses(self):
        # Three holds, so that the standby's own allocator (which starts at the pool's first
        # address, as the primary's did) would pick a held address for the next client.
        held = {n: self.one_offer(rom(n))[0] for n in (1, 2, 3)}
        self.pair.kill(PRIMARY)
        gap = halab.wait_until(lambda: self.pair.state(STANDBY) == "partner-down", 30,
                               "standby in partner-down")
        print(f"standby in partner-down {gap:.1f} s after the primary's SIGKILL", flush=True)
        unconfirmed = self.pair.lease(STANDBY, mac(3))["valid-lft"]
        self.assertEqual(self.one_offer(bootcode(3)), (held[3], ADDR[STANDBY]))
        # The standby recognised the replicated hold as one (its mark in the lease's user
        # context) and confirmed it as the primary would have: the OFFER's lease time.
        self.assertLess(unconfirmed, 600)
        self.assertEqual(self.pair.lease(STANDBY, mac(3))["valid-lft"], 600)
        other, _ = self.one_offer(rom(4))
        self.assertNotIn(other, held.values())
        plain = offers(self.pair.exchange("--payload-hex", keatest.linux_discover(PLAIN_MAC),
                                          "--request"))
        self.assertEqual(len(plain), 1, plain)
        self.assertNotIn(plain[0][0], list(held.values()) + [other])
        # The primary returns empty (memfile, persist false) and takes the standby's leases.
        self.pair.start(PRIMARY)
        for name in ADDR:
            self.pair.wait_state(name, "hot-standby", timeout=60)
        self.assert_stores_agree([mac(1), mac(2), mac(3), mac(4), PLAIN_MAC])
        self.assert_recounted_after_sync(PRIMARY)

    def test_partner_unreachable_offer_withheld_until_partner_down(self):
        self.pair.kill(STANDBY)
        # Not declared down yet (max-response-delay): HA's update fails, the OFFER is withheld.
        self.assertEqual(offers(self.pair.exchange(*rom(3), window_ms=1000)), [])
        self.assertIn(self.pair.state(PRIMARY), ("hot-standby", "partner-down"))
        self.pair.wait_state(PRIMARY, "partner-down", timeout=30)
        addr, server = self.one_offer(rom(3))  # the ROM's retry
        self.assertEqual(server, ADDR[PRIMARY])
        local = self.pair.leases(PRIMARY)
        self.assertEqual(local[mac(3)][0], addr)
        stats = self.pair.kea[PRIMARY].statistics()
        self.assertGreaterEqual(stats["pkt4-rpi-netboot-rom-holds-to-partner"], 1)
        self.assertEqual(stats["pkt4-rpi-netboot-rom-holds-partner-acked"], 0)
        self.assertIn("HA_LEASE_UPDATE_COMMUNICATIONS_FAILED", self.pair.kea[PRIMARY].log())
        # The standby returns and syncs: the hold made while it was away, once.
        self.pair.start(STANDBY)
        for name in ADDR:
            self.pair.wait_state(name, "hot-standby", timeout=60)
        self.assert_stores_agree([mac(3)])
        self.assert_recounted_after_sync(STANDBY)

    def test_storm_with_the_primary_killed_midway(self):
        """First wave on the primary: 8 Pi 3Bs (ROM, then bootcode.bin) and 4 Pi 4/5. Then the
        primary is SIGKILLed and the second wave starts at once, so its first queries go
        unanswered until the standby is in partner-down: the 8 Pi 3Bs reboot, 8 new Pis of
        every kind and 4 plain clients. Every OFFER/ACK any client saw is checked."""
        wave1 = [storm_pi("rom3", n) for n in range(8)] + \
            [storm_pi(("pi4", "pi5")[n % 2], 8 + n) for n in range(4)]
        wave2 = [storm_pi("rom3", n) for n in range(8)] + \
            [storm_pi(("rom3", "bootcode", "pi4", "pi5")[n % 4], 16 + n) for n in range(8)] + \
            [{"payload_hex": keatest.linux_discover(f"52:54:00:00:20:{n:02x}", 0x20200000 + n)}
             for n in range(4)]
        first, _ = storm(self.pair, wave1)
        self.pair.kill(PRIMARY)
        start = time.monotonic()
        second, summary = storm(self.pair, wave2)
        took = time.monotonic() - start
        owners, rom_addresses = {}, {}
        for line in first + second:
            self.assertTrue(line["done"] or line["kind"] == "other", line)
            for r in line["replies"]:
                if r["message_type"] in (2, 5):
                    owners.setdefault(r["yiaddr"], set()).add(line["mac"])
                    if line["model"] in ("rom3", "bootcode"):
                        rom_addresses.setdefault(line["mac"], set()).add(r["yiaddr"])
        twice = {a: sorted(m) for a, m in owners.items() if len(m) > 1}
        self.assertEqual(twice, {}, "addresses offered or ACKed to two MACs")
        for line in first + second:  # every Pi reply carries the netboot options
            if line["kind"] == "pi":
                for r in line["replies"]:
                    self.assertTrue(all(r[f"o{c}"] for c in (43, 60, 66)), (line["mac"], r))
        # The survivor's count matches its leases (it synced nothing) and is not negative.
        leases = self.pair.leases(STANDBY)
        assigned = self.pair.kea[STANDBY].statistics()["subnet[1].assigned-addresses"]
        self.assertEqual(assigned, len(leases))
        moved = {m: sorted(a) for m, a in rom_addresses.items() if len(a) > 1}
        self.assertEqual(moved, {}, "Pi 3Bs whose address changed (ROM, bootcode.bin, reboot)")
        # Queries without loss: ROM then bootcode.bin, DISCOVER then REQUEST, a lone DISCOVER.
        lossless = sum({"rom3": 2, "pi4": 2, "pi5": 2}.get(c.get("model"), 1) for c in wave2)
        self.assertGreater(sum(summary["sent"].values()), lossless,
                           "no query of the second wave went unanswered: not mid-failover")
        print(f"second wave, from the SIGKILL: {took:.1f} s; {summary}", flush=True)


    def test_primary_link_cut_and_restored(self):
        """The primary's link is cut (its bridge port down: clients and the HA link at once), so
        it is alive but unreachable: the standby takes over, keeps the primary's holds, and when
        the link returns the two agree again (HA resolves two servers in partner-down)."""
        held = {n: self.one_offer(rom(n))[0] for n in (1, 2, 3)}
        self.pair.switch.exec(["ip", "link", "set", self.pair.port[PRIMARY], "down"])
        gap = halab.wait_until(lambda: self.pair.state(STANDBY) == "partner-down", 30,
                               "standby in partner-down")
        print(f"standby in partner-down {gap:.1f} s after the primary's link was cut", flush=True)
        self.assertEqual(self.one_offer(bootcode(2)), (held[2], ADDR[STANDBY]))
        other, _ = self.one_offer(rom(4))
        self.assertNotIn(other, held.values())
        self.pair.switch.exec(["ip", "link", "set", self.pair.port[PRIMARY], "up"])
        for name in ADDR:
            self.pair.wait_state(name, "hot-standby", timeout=90)
        stores = {name: self.pair.leases(name) for name in ADDR}
        for name, leases in stores.items():
            self.assertEqual(sorted(leases), sorted(mac(n) for n in (1, 2, 3, 4)), name)
            self.assertEqual({m: a for m, (a, _) in leases.items()}[mac(4)], other, name)
            self.assert_counted(name)
        self.assertEqual({m: a for m, (a, _) in stores[PRIMARY].items()},
                         {m: a for m, (a, _) in stores[STANDBY].items()})


def storm_pi(model, n):
    prefix = "b8:27:eb" if model in ("rom3", "bootcode") else "dc:a6:32"
    return {"model": model, "mac": f"{prefix}:00:20:{n:02x}", "serial": f"000020{n:02x}"}


class LoadBalancingTest(PairTest):
    mode = "load-balancing"

    def holds_then_kill(self, victim):
        served, held = {}, {}
        for n in range(1, 9):
            addr, server = self.one_offer(rom(n))
            served.setdefault(server, []).append(n)
            held[n] = addr
            this = PRIMARY if server == ADDR[PRIMARY] else STANDBY
            self.assert_same_lease(this, STANDBY if this == PRIMARY else PRIMARY, mac(n))
        self.assertEqual(sorted(served), sorted(ADDR.values()), f"one server served all: {served}")
        self.assert_stores_agree([mac(n) for n in held])
        # One server dies: the other, in partner-down, keeps every Pi's address at bootcode.bin,
        # those of the Pis the dead one served included.
        survivor = STANDBY if victim == PRIMARY else PRIMARY
        self.pair.kill(victim)
        self.pair.wait_state(survivor, "partner-down", timeout=30)
        for n, addr in held.items():
            self.assertEqual(self.one_offer(bootcode(n)), (addr, ADDR[survivor]), f"Pi {n}")
        new, _ = self.one_offer(rom(20))
        self.assertNotIn(new, held.values())

    def test_holds_reach_the_partner_and_survive_the_primary_killed(self):
        self.holds_then_kill(PRIMARY)

    def test_holds_reach_the_partner_and_survive_the_secondary_killed(self):
        self.holds_then_kill(STANDBY)


def storm(pair, clients):
    return keatest.storm(pair.client.name, pair.client_if, clients, in_flight=2,
                         timeout_ms=1500, attempts=10, wait_s=140)


if __name__ == "__main__":
    halab.require()
    netlab.require_tools(os.path.join(os.path.dirname(keatest.exchange_tool()), "dhcp_storm"))
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
