#!/usr/bin/env python3
"""A Pi's identity record (the lease's user-context "rpi-netboot", docs/kea.md "Identity") on an
SQL lease database (PostgreSQL or MariaDB, RPI_NETBOOT_LEASE_DB; tests/hook/sqldb.py starts the
server), which stores it in the lease's user_context column:

- the record survives a Kea restart: the new kea-dhcp4 indexes it (RPI_NETBOOT_REGISTRY_LOADED),
  rpi-netboot-get answers it by serial, MAC and address, and the Pi's OS phase keeps its address,
  hostname and root path;
- two kea-dhcp4 on one database, each on a segment of its own: server 2's rpi-netboot-get answers
  a Pi that booted through server 1 (read from the database: server 2's callouts never saw it),
  the Pi's OS phase through server 2 is classed as such and keeps the address and names, and
  server 1 then answers the newer record server 2 wrote;
- a malformed rpi-netboot user-context written straight into the database (garbage, and an older
  version's form lacking what this one needs) is ignored with RPI_NETBOOT_REGISTRY_MALFORMED at
  the next start, never a crash; the lease still serves its Pi, whose next boot writes a good
  record again; one written while Kea runs is skipped by the commands.
"""
# lease-databases-only: pgsql mysql

import sys
import unittest

import keatest
from keatest import KeaServer, Lab, netlab, options, pi
from test_hook_identity import OS_CLIENTS, os_discover

TFTP = "192.0.2.10"
PARAMS = {"tftp-server": TFTP, "hostname-template": "pi-{serial}",
          "root-path-template": "{tftp-server}:/srv/nfs/pi/{serial}"}
SUBNET = {"id": 1, "subnet": "192.0.2.0/24", "match-client-id": False,
          "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}
PI4 = ("pi4", "e4:5f:01:98:e0:a0", "bf9feda0")
PI5 = ("pi5", "2c:cf:67:2b:3c:a0", "1a2b3ca0")


class Segment(Lab):
    """keatest.Lab (a server and a client namespace on a veth pair) with namespaces named for
    segment `n`, so that two of them exist at once: each kea-dhcp4 serves a segment of its own."""

    def __init__(self, n):  # pylint: disable=super-init-not-called
        self.server = netlab.Netns(f"kea{n}")
        self.client = netlab.Netns(f"pi{n}")
        self.server_if, self.client_if = netlab.link(self.server, keatest.SERVER_ADDR + "/24",
                                                     self.client, "192.0.2.254/24")
        for ns, ifname in ((self.server, self.server_if), (self.client, self.client_if)):
            netlab.wait_for(lambda ns=ns, ifname=ifname: "LOWER_UP" in ns.exec(
                ["ip", "-o", "link", "show", ifname]).stdout, timeout=10,
                what=f"carrier on {ifname}")


def ipv4_int(addr):
    a, b, c, d = (int(x) for x in addr.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


class SqlIdentityTest(unittest.TestCase):
    def setUp(self):
        self.db = keatest.new_database()
        self.server = self.db[0]
        self.kea, self.labs = [], []
        self.xid = 0x5d1d0000

    def tearDown(self):
        for kea in self.kea:
            self.assertNotIn("RPI_NETBOOT_CALLOUT_ERROR", kea.log())
            kea.stop()
        for lab in self.labs:
            lab.close()
        self.server.release(self.db[1])

    def lab(self):
        lab = Segment(len(self.labs) + 1)
        self.labs.append(lab)
        return lab

    def start(self, lab):
        paths = keatest.INSTALL.new_paths()
        cfg = keatest.base_config(lab.server_if, paths, hook_params=PARAMS, subnet=SUBNET,
                                  database=self.db)
        kea = KeaServer(lab, config=cfg, paths=paths).wait_ready()
        self.kea.append(kea)
        return kea

    def stop(self, kea):
        kea.stop()
        self.kea.remove(kea)

    def next_xid(self):
        self.xid += 1
        return self.xid

    def boot(self, lab, model, mac, serial):
        replies = lab.exchange(*pi(model, mac, serial))
        self.assertEqual([r["message_type"] for r in replies], [2, 5], replies)
        return replies[-1]["yiaddr"]

    def os_exchange(self, lab, kea, client, mac, serial, addr, named=True):
        replies = lab.exchange("--payload-hex", os_discover(client, mac, self.next_xid()),
                               "--request")
        what = f"{client} from {mac}"
        self.assertEqual([r["message_type"] for r in replies], [2, 5], what)
        for r in replies:
            self.assertEqual(r["yiaddr"], addr, what + ": another address")
            opts = options(r)
            if not named:  # not known as a Pi: served as any client, no names
                self.assertNotIn(12, opts, what)
                continue
            self.assertEqual(bytes.fromhex(opts.get(12, "")).decode(), f"pi-{serial}", what)
            if 17 in OS_CLIENTS[client][0]:
                self.assertEqual(bytes.fromhex(opts.get(17, "")).decode(),
                                 f"{TFTP}:/srv/nfs/pi/{serial}", what)
        if named:
            self.assertRegex(kea.log(), r"RPI_NETBOOT_OS_PHASE .*" + mac)

    def get(self, kea, key, value):
        return kea.command("rpi-netboot-get", {key: value})

    def assert_get_answers(self, kea, mac, serial, addr, phase=None):
        for key, value in (("serial", serial), ("mac", mac), ("address", addr)):
            res = self.get(kea, key, value)
            self.assertEqual(res["result"], 0, f"rpi-netboot-get {key}: {res}")
            self.assertEqual(res["arguments"]["mac"], mac)
            self.assertEqual(res["arguments"]["address"], addr)
            if phase:
                self.assertEqual(res["arguments"]["phase"], phase)

    def db_context(self, addr):
        """The user_context column of the lease of `addr`, read with the server's own client."""
        out = self.server.sql(f"select user_context from lease4 where address = {ipv4_int(addr)}",
                              database=self.db[1]).stdout.strip()
        return out

    def set_context(self, addr, text):
        quoted = text.replace("'", "''")
        self.server.sql(f"update lease4 set user_context = '{quoted}' "
                        f"where address = {ipv4_int(addr)}", database=self.db[1])

    def test_record_survives_a_kea_restart(self):
        lab = self.lab()
        kea = self.start(lab)
        model, mac, serial = PI4
        addr = self.boot(lab, *PI4)
        self.os_exchange(lab, kea, "kernel", mac, serial, addr)
        self.assertIn('"rpi-netboot"', self.db_context(addr))
        self.assertIn(serial, self.db_context(addr))
        self.stop(kea)
        kea = self.start(lab)
        self.assertRegex(kea.log(), r"RPI_NETBOOT_REGISTRY_LOADED .*\b1\b")
        self.assert_get_answers(kea, mac, serial, addr, phase="os")
        self.os_exchange(lab, kea, "klibc", mac, serial, addr)
        self.assertEqual(self.boot(lab, *PI4), addr)

    def test_two_servers_on_one_database_see_each_others_records(self):
        lab1, lab2 = self.lab(), self.lab()
        kea1, kea2 = self.start(lab1), self.start(lab2)
        model, mac, serial = PI4
        addr = self.boot(lab1, *PI4)
        self.assert_get_answers(kea2, mac, serial, addr, phase="boot")
        listed = kea2.command("rpi-netboot-list")
        self.assertEqual(listed["result"], 0, listed)
        self.assertEqual([p["mac"] for p in listed["arguments"]["pis"]], [mac])
        # The Pi's Linux on server 2's segment: known from the database, same address, names.
        self.os_exchange(lab2, kea2, "klibc", mac, serial, addr)
        self.os_exchange(lab2, kea2, "dhcpcd", mac, serial, addr)
        # Server 1 answers the newer record server 2 wrote.
        netlab.wait_for(lambda: self.get(kea1, "mac", mac)["arguments"]["phase"] == "os",
                        timeout=5, what="server 1 answering the OS-phase record")
        self.assert_get_answers(kea1, mac, serial, addr, phase="os")
        # And a Pi 5 booting through server 2 is answered by server 1.
        addr5 = self.boot(lab2, *PI5)
        self.assertNotEqual(addr5, addr)
        self.assert_get_answers(kea1, PI5[1], PI5[2], addr5, phase="boot")

    def test_malformed_record_in_the_database_is_ignored(self):
        lab = self.lab()
        kea = self.start(lab)
        addr4 = self.boot(lab, *PI4)
        addr5 = self.boot(lab, *PI5)
        self.stop(kea)
        # Garbage, and a record of an older form: no model, no address, a numeric MAC.
        self.set_context(addr4, '{"rpi-netboot": "garbage"}')
        self.set_context(addr5, '{"rpi-netboot": {"version": 0, "mac": 44, "serial": "%s"}}'
                         % PI5[2])
        kea = self.start(lab)
        log = kea.log()
        for addr in (addr4, addr5):
            self.assertRegex(log, r"RPI_NETBOOT_REGISTRY_MALFORMED .*" + addr.replace(".", r"\."))
        self.assertTrue(kea.proc.alive())
        self.assertEqual(self.get(kea, "serial", PI4[2])["result"], 3)
        self.assertEqual(self.get(kea, "address", addr5)["result"], 3)
        # Not taken for a Pi's OS, but its lease still serves it.
        self.os_exchange(lab, kea, "udhcpc", PI5[1], PI5[2], addr5, named=False)
        # The Pi's next boot keeps the lease and writes a good record over the bad one.
        self.assertEqual(self.boot(lab, *PI4), addr4)
        self.assert_get_answers(kea, PI4[1], PI4[2], addr4, phase="boot")
        self.assertIn(PI4[2], self.db_context(addr4))
        # Garbage written while Kea runs: the commands skip it.
        self.set_context(addr4, '{"rpi-netboot": [1, 2]}')
        self.assertEqual(kea.command("rpi-netboot-list")["result"] in (0, 3), True)
        self.assertTrue(kea.proc.alive())
        self.assertEqual(kea.command("version-get")["result"], 0)


if __name__ == "__main__":
    keatest.require()
    if keatest.LEASE_DB == "memfile":
        netlab.skip_or_fail("set RPI_NETBOOT_LEASE_DB to pgsql or mysql")
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
