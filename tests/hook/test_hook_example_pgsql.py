#!/usr/bin/env python3
"""examples/kea-dhcp4-postgresql.conf (Kea 2.2, 2.6) and kea-dhcp4-postgresql-3.0.conf (3.0),
loaded by the real kea-dhcp4 against a real PostgreSQL (tests/hook/sqldb.py) whose database was
made by the Kea's own `kea-admin db-init`, as the files' header tells an admin. Only the
database's address, name and password are changed, and the hook's, log's and control socket's
paths to this run's own (in the same directories on 2.6/3.0, whose path rules want them there).
A Pi 3B boot ROM's OFFER is held as a lease in PostgreSQL and a Pi 4 is leased an address from
the Pis' pool; the other file is refused (2.2/2.6 do not know libdhcp_pgsql.so or
"client-classes"; 3.0 has no built-in PostgreSQL backend).
"""
# lease-databases-only: pgsql

import ipaddress
import sys
import unittest

import keatest
from keatest import pi

NEW = tuple(int(x) for x in keatest.VERSION.split(".")) >= (3, 0)
EXAMPLE = "kea-dhcp4-postgresql-3.0.conf" if NEW else "kea-dhcp4-postgresql.conf"
OTHER = "kea-dhcp4-postgresql.conf" if NEW else "kea-dhcp4-postgresql-3.0.conf"
DATABASE = ('"host": "localhost"', '"name": "kea"', '"password": "PASSWORD"')


class PostgresqlExampleTest(unittest.TestCase):
    def adapt(self, text, paths, server, db):
        """The example with this test's database, and this run's own hook, log and socket
        (keatest.own_example_files: concurrent runs in one chroot share none of them)."""
        for old in DATABASE:
            self.assertEqual(text.count(old), 1, old)
        text = (text.replace(DATABASE[0], f'"host": "{server.sock_dir}"')
                .replace(DATABASE[1], f'"name": "{db}"')
                .replace(DATABASE[2], f'"password": "{keatest.sqldb.PASSWORD}"'))
        keatest.use_database(paths, server, db)
        return keatest.own_example_files(text, paths, files=("log", "socket"))

    def test_example_holds_a_rom_offer_in_postgresql(self):
        server, db = keatest.new_database("pgsql")
        lab = keatest.lab_for(self, server_ifname="eth0")
        paths = keatest.paths_for(self)
        text = self.adapt(keatest.example_text(EXAMPLE), paths, server, db)
        kea = keatest.kea_for(self, lab, config_text=text, paths=paths).wait_ready()
        rom = lab.exchange(*pi("rom3", "b8:27:eb:00:00:0a", "0000000a"))
        self.assertEqual([r["message_type"] for r in rom], [2], kea.log()[-3000:])
        self.assertEqual(keatest.options(rom[0])[43], keatest.ROM_OPTION43)
        pi4 = lab.exchange(*pi("pi4", "e4:5f:01:98:e0:82", "bf9fed6f"))
        self.assertEqual([r["message_type"] for r in pi4], [2, 5], kea.log()[-3000:])
        for r in rom + pi4:
            addr = ipaddress.ip_address(r["yiaddr"])
            self.assertTrue(ipaddress.ip_address("192.0.2.100") <= addr <=
                            ipaddress.ip_address("192.0.2.149"), addr)
        rows = server.sql("select address, encode(hwaddr, 'hex') from lease4 order by 2",
                          database=db).stdout.split()
        held = [(str(ipaddress.ip_address(int(a))), h) for a, h in
                (row.split("|") for row in rows)]
        self.assertEqual(held, [(rom[0]["yiaddr"], "b827eb00000a"),
                                (pi4[1]["yiaddr"], "e45f0198e082")])
        log = kea.log()
        self.assertIn("RPI_NETBOOT_LOAD_OK", log)
        self.assertNotIn("ERROR", log)
        self.assertNotIn("deprecat", log.lower())
        self.assertIn("DHCP4_MULTI_THREADING_INFO enabled: yes", log)

    def test_the_other_versions_example_is_refused(self):
        server, db = keatest.new_database("pgsql")
        lab = keatest.lab_for(self, server_ifname="eth0")
        paths = keatest.paths_for(self)
        text = self.adapt(keatest.example_text(OTHER), paths, server, db)
        code, log = keatest.kea_for(self, lab, config_text=text, paths=paths).wait_exit()
        self.assertNotEqual(code, 0, log[-3000:])
        self.assertNotIn("DHCP4_STARTED", log)


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
