#!/usr/bin/env python3
"""The hook's ROM holds on an SQL lease database (PostgreSQL or MariaDB, RPI_NETBOOT_LEASE_DB;
tests/hook/sqldb.py starts the server), where what matters beyond memfile is that the database
outlives a kea-dhcp4 and is shared by several:

- holds persist across a Kea restart: the new Kea neither offers a held address to another Pi nor
  moves the Pi that holds it;
- two kea-dhcp4 on one database (no HA), a storm of Pi 3Bs on the segment both serve (with
  multi-threading where Kea has it on by default, 2.4+): each Pi is offered one address only,
  every Pi a different one, the database holds one lease per Pi; a server that loses the race
  for an address drops its OFFER, counts it (pkt4-rpi-netboot-rom-offers-dropped) and logs
  RPI_NETBOOT_ROM_HOLD_CONFLICT, once per dropped OFFER;
- the database refuses the hold's write: the OFFER is withheld (docs/kea.md, "SQL lease
  backends"), counted and logged as RPI_NETBOOT_ROM_HOLD_FAILED; once writes work again the
  Pi's retry is held;
- the database server stops mid-run: kea-dhcp4 survives, offers nothing it cannot hold, and once
  the server is back (Kea reconnects) holds are written again.
"""
# lease-databases-only: pgsql mysql

import os
import sys
import types
import unittest

import keatest
from keatest import KeaServer, Lab, netlab, pi

SMALL = {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.101"}]}
WIDE = {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.250"}]}
PI_A = pi("rom3", "b8:27:eb:00:00:0a", "0000000a")
PI_C = pi("rom3", "b8:27:eb:00:00:0c", "0000000c")
STORM_PIS = 60
# Kea keeps serving while it reconnects (Kea ARM, "Lease Storage": max-reconnect-tries,
# reconnect-wait-time, on-fail): without these, losing the database stops kea-dhcp4 by design.
RECONNECT = {"max-reconnect-tries": 120, "reconnect-wait-time": 500,
             "on-fail": "serve-retry-continue"}
MT = tuple(int(x) for x in keatest.VERSION.split(".")) >= (2, 4)


def yiaddrs(replies):
    return [r["yiaddr"] for r in replies]


def with_reconnect(kea_config):
    kea_config["Dhcp4"]["lease-database"].update(RECONNECT)
    return kea_config


class SharedSegment:
    """Two server namespaces (192.0.2.1, 192.0.2.2) and the Pis' namespace on one Ethernet
    segment: a bridge in the Pis' namespace (promiscuous, so that the storm client on it sees
    the replies, sent to the Pis' own MACs)."""

    def __init__(self):
        self.client = netlab.Netns("pis")
        self.client.exec(["ip", "link", "add", "br0", "type", "bridge"])
        self.client.exec(["ip", "addr", "add", "192.0.2.254/24", "dev", "br0"])
        self.client.exec(["ip", "link", "set", "br0", "promisc", "on", "up"])
        self.client_if = "br0"
        self.servers = []
        for n in (1, 2):
            ns = netlab.Netns(f"kea{n}")
            addr = f"192.0.2.{n}"
            netlab.check_address(addr)
            tag = f"{os.getpid() % 100000}s{n}"
            if_a, if_b = f"va{tag}"[:15], f"vb{tag}"[:15]
            netlab.run(["ip", "link", "add", if_a, "netns", ns.name, "type", "veth", "peer",
                        "name", if_b, "netns", self.client.name])
            ns.exec(["ip", "addr", "add", addr + "/24", "dev", if_a])
            ns.exec(["ip", "link", "set", if_a, "up"])
            self.client.exec(["ip", "link", "set", if_b, "master", "br0", "up"])
            self.servers.append(types.SimpleNamespace(server=ns, server_if=if_a))
        for ns, ifname in [(s.server, s.server_if) for s in self.servers] + [(self.client, "br0")]:
            netlab.wait_for(lambda: "LOWER_UP" in ns.exec(["ip", "-o", "link", "show",
                                                           ifname]).stdout,
                            timeout=10, what=f"carrier on {ifname}")

    def close(self):
        for s in self.servers:
            s.server.close()
        self.client.close()


def storm(client_ns, ifname, clients):
    return keatest.storm(client_ns.name, ifname, clients, in_flight=32)


class SqlHoldTest(unittest.TestCase):
    def setUp(self):
        self.db = keatest.new_database()
        self.server = self.db[0]
        self.kea = []
        self.lab = None

    def tearDown(self):
        for kea in self.kea:
            kea.stop()
        if self.lab:
            self.lab.close()
        if not self.server.proc.alive():  # a test that stopped it: back for the next test
            self.server.start()
        self.server.release(self.db[1])

    def start(self, lab, subnet=SMALL, extra=None, hook_params=None, reconnect=False):
        paths = keatest.INSTALL.new_paths()
        cfg = keatest.base_config(lab.server_if, paths, hook_params=hook_params, subnet=subnet,
                                  extra=extra, database=self.db)
        if reconnect:
            with_reconnect(cfg)
        kea = KeaServer(lab, config=cfg, paths=paths).wait_ready()
        self.kea.append(kea)
        return kea

    def db_leases(self):
        """{mac: address} of the database's lease4 rows, read with the server's own client."""
        if self.server.kind == "pgsql":
            q = ("select encode(hwaddr, 'hex'), address from lease4")
        else:
            q = "select hex(hwaddr), address from lease4"
        rows = self.server.sql(q, database=self.db[1]).stdout.split("\n")
        out = {}
        for row in filter(None, (r.strip() for r in rows)):
            mac_hex, addr = row.replace("|", "\t").split("\t")
            mac = ":".join(mac_hex.lower()[i:i + 2] for i in range(0, 12, 2))
            a = int(addr)
            out[mac] = f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"
        return out

    def test_holds_persist_across_a_kea_restart(self):
        self.lab = lab = Lab()
        kea = self.start(lab)
        (a,) = yiaddrs(lab.exchange(*PI_A))
        kea.stop()
        self.kea.remove(kea)
        self.assertEqual(self.db_leases(), {"b8:27:eb:00:00:0a": a})
        kea = self.start(lab)
        (c,) = yiaddrs(lab.exchange(*PI_C))
        self.assertNotEqual(c, a, "after a restart the held address went to another Pi")
        self.assertEqual(yiaddrs(lab.exchange(*PI_A)), [a], "the Pi lost its address")
        self.assertEqual(self.db_leases(), {"b8:27:eb:00:00:0a": a, "b8:27:eb:00:00:0c": c})
        stats = kea.statistics()
        self.assertEqual(stats["subnet[1].assigned-addresses"], 2, "Kea counts the old hold")

    def test_two_servers_on_one_database_offer_each_pi_one_address(self):
        self.lab = seg = SharedSegment()
        extra = {"loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                              "output_options": [{"output": "stdout"}]}]}
        if MT:
            extra["multi-threading"] = {"enable-multi-threading": True, "thread-pool-size": 4,
                                        "packet-queue-size": 64}
        servers = [self.start(s, subnet=WIDE, extra=extra,
                              hook_params={"rom-hold-max-unconfirmed": 1000})
                   for s in seg.servers]
        for kea in servers:
            self.assertEqual(f"DHCP4_MULTI_THREADING_INFO enabled: {'yes' if MT else 'no'}"
                             in kea.log(), True)
        fleet = []
        for i in range(STORM_PIS):
            serial = 0x5a000000 | i
            fleet.append({"model": "rom3", "serial": "%08x" % serial, "mac": "b8:27:eb:" + ":".join(
                "%02x" % ((serial >> s) & 255) for s in (16, 8, 0))})
        results, summary = storm(seg.client, seg.client_if, fleet)
        print(f"storm: {summary}", flush=True)
        for kea in servers:
            self.assertTrue(kea.proc.alive(), "kea-dhcp4 died:\n" + kea.log()[-4000:])
        final = {}
        for r in results:
            self.assertTrue(r["done"], f"{r['mac']}: {r.get('error')}")
            addresses = {x["yiaddr"] for x in r["replies"]}
            self.assertEqual(len(addresses), 1, f"{r['mac']} was offered {addresses}")
            final[r["mac"]] = addresses.pop()
        self.assertEqual(len(set(final.values())), STORM_PIS, "an address went to two Pis")
        self.assertEqual(self.db_leases(), final, "the database disagrees with the OFFERs")
        dropped_total = 0
        for n, kea in enumerate(servers, 1):
            stats = kea.statistics()
            received = (stats["pkt4-rpi-netboot-rom3-received"] +
                        stats["pkt4-rpi-netboot-bootcode-received"])
            held = stats["pkt4-rpi-netboot-rom-offers-held"]
            dropped = stats["pkt4-rpi-netboot-rom-offers-dropped"]
            conflicts = kea.log().count("RPI_NETBOOT_ROM_HOLD_CONFLICT")
            print(f"server {n}: {received} Pi queries, {held} held, {dropped} dropped",
                  flush=True)
            self.assertEqual(held + dropped, received, f"server {n}: every OFFER held or dropped")
            self.assertEqual(conflicts, dropped, f"server {n}: one log line per dropped OFFER")
            self.assertNotIn("RPI_NETBOOT_CALLOUT_ERROR", kea.log())
            self.assertNotIn("RPI_NETBOOT_ROM_HOLD_FAILED", kea.log())
            dropped_total += dropped
        # Both servers see every DISCOVER; an OFFER reaches a Pi only from a server whose hold
        # was written (or found the Pi's own): the OFFERs the Pis got are those not dropped.
        offers = sum(len(r["replies"]) for r in results)
        sent = sum(kea.statistics()["pkt4-offer-sent"] for kea in servers)
        self.assertLessEqual(offers, sent)
        print(f"OFFERs received {offers}, sent {sent}, dropped {dropped_total}", flush=True)

    def refuse_writes(self, refuse):
        """Makes the database refuse every write to lease4 (a trigger that raises), or not."""
        name = self.db[1]
        if self.server.kind == "pgsql":
            if refuse:
                self.server.sql("create function rpinb_refuse() returns trigger language plpgsql "
                                "as $$ begin raise exception 'lease writes refused by the test';"
                                " end $$", database=name)
                self.server.sql("create trigger rpinb_refuse before insert or update on lease4 "
                                "for each row execute function rpinb_refuse()", database=name)
            else:
                self.server.sql("drop trigger rpinb_refuse on lease4", database=name)
                self.server.sql("drop function rpinb_refuse()", database=name)
        else:
            for event in ("insert", "update"):
                if refuse:
                    self.server.sql(f"create trigger rpinb_refuse_{event} before {event} on "
                                    "lease4 for each row signal sqlstate '45000' set "
                                    "message_text = 'lease writes refused by the test'",
                                    database=name)
                else:
                    self.server.sql(f"drop trigger rpinb_refuse_{event}", database=name)

    def test_refused_hold_withholds_the_offer(self):
        self.lab = lab = Lab()
        kea = self.start(lab)
        self.refuse_writes(True)
        self.assertEqual(lab.exchange(*PI_A, window_ms=1500), [], "an unheld OFFER was sent")
        self.assertTrue(kea.proc.alive())
        log = kea.log()
        self.assertIn("RPI_NETBOOT_ROM_HOLD_FAILED", log)
        self.assertIn("lease writes refused by the test", log)
        stats = kea.statistics()
        self.assertEqual(stats["pkt4-rpi-netboot-rom-offers-dropped"], 1)
        self.assertEqual(stats["pkt4-rpi-netboot-rom-offers-held"], 0)
        self.assertEqual(stats["subnet[1].assigned-addresses"], 0)
        self.assertEqual(self.db_leases(), {})
        self.refuse_writes(False)
        (a,) = yiaddrs(lab.exchange(*PI_A))  # the ROM's retry
        self.assertEqual(self.db_leases(), {"b8:27:eb:00:00:0a": a})
        self.assertEqual(kea.statistics()["pkt4-rpi-netboot-rom-offers-held"], 1)

    def test_database_server_stopped_mid_run(self):
        self.lab = lab = Lab()
        kea = self.start(lab, reconnect=True)
        (a,) = yiaddrs(lab.exchange(*PI_A))
        self.server.stop()
        # During the outage: no OFFER (Kea cannot allocate, or the hook cannot hold), no crash.
        self.assertEqual(lab.exchange(*PI_C, window_ms=1500), [], "an OFFER without a hold")
        self.assertTrue(kea.proc.alive(), "kea-dhcp4 died:\n" + kea.log()[-4000:])
        self.assertEqual(kea.command("version-get")["result"], 0)
        self.server.start()
        # Kea reconnects on its own (reconnect-wait-time): the Pi's retries then get an address.
        got = []

        def offered():
            got[:] = yiaddrs(lab.exchange(*PI_C, window_ms=1000))
            return got
        netlab.wait_for(offered, timeout=40, interval=0.5, what="an OFFER after the database "
                        "came back")
        self.assertNotEqual(got[0], a)
        self.assertEqual(self.db_leases(), {"b8:27:eb:00:00:0a": a, "b8:27:eb:00:00:0c": got[0]})
        self.assertTrue(kea.proc.alive())
        self.assertNotIn("RPI_NETBOOT_CALLOUT_ERROR", kea.log())


if __name__ == "__main__":
    keatest.require()
    if keatest.LEASE_DB == "memfile":
        netlab.skip_or_fail("set RPI_NETBOOT_LEASE_DB to pgsql or mysql")
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
