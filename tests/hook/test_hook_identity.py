#!/usr/bin/env python3
"""One Pi, one identity from boot ROM to OS, with examples/kea-dhcp4.conf as shipped.

The example (kea-dhcp4-3.0.conf on Kea 3.0) runs with only its paths changed and Kea's own
lease_cmds library added beside the hook, so the test can list the leases. A Pi 4 (serial
bf9fed6f, the example's clients[] entry: TFTP server 192.0.2.2), a Pi 5 and a Pi 3B boot ROM
boot through the hook; then each one's Linux asks for an address, as the OS clients send their
DHCP (request list, client-id, vendor class and hostname of the real programs, measured with
Debian's: kernel ip=dhcp, klibc ipconfig, dhcpcd with a DUID-LLT, systemd-networkd with a
DUID-EN, udhcpc with 01+MAC, dhclient), with a Kea restart in the middle; then the Pi boots
again. What must hold (docs/kea.md, "Identity"):
- every reply of the sequence gives the boot phase's address, in the Pi range;
- option 12 is the template's name (replacing the client's "raspberrypi"), option 17 the
  template's root path for the clients that ask for 17 and absent for the others;
- exactly one live lease per MAC at the end, carrying the rpi-netboot record (lease4-get);
- rpi-netboot-get by serial, MAC and address and rpi-netboot-list answer from the registry,
  Kea's "empty" (3) for an unknown key and an error for bad arguments;
- the rpi-netboot CLI prints the fleet as a table and as JSON from Kea's control socket;
- a lease whose rpi-netboot user-context is malformed is ignored with a logged message;
- the other policies (hostname-policy client, root-path-policy always) and a per-serial override,
  on a configuration of the test's own.
"""

import ipaddress
import json
import os
import subprocess
import sys
import unittest

import keatest
from keatest import KeaServer, Lab, options, pi

PI4 = ("pi4", "e4:5f:01:98:e0:82", "bf9fed6f")
PI5 = ("pi5", "2c:cf:67:2b:3c:05", "1a2b3c05")
ROM3 = ("rom3", "b8:27:eb:2b:3c:01", "1a2b3c01")


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


def duid_llt(mac):
    """dhcpcd: 0xff, IAID (the MAC's last four bytes), DUID-LLT (RFC 8415 11.2: type 1, hardware
    type 1, a time, the MAC); RFC 4361 section 6.1 form."""
    return b"\xff" + mac_bytes(mac)[2:] + bytes.fromhex("00010001" "2f1e8a3c") + mac_bytes(mac)


def duid_en(mac):
    """systemd-networkd: 0xff, IAID, DUID-EN (RFC 8415 11.3: type 2, systemd's enterprise
    number 43793 = 0xab11, an identifier derived from the machine id)."""
    return (b"\xff" + bytes.fromhex("5d9b8a21") + bytes.fromhex("0002" "0000ab11") +
            bytes.fromhex("6e1ef1b4c3a1f2d7"))


# name: (option 55, 61, 60, 12) as Debian 12's programs send them (measured: kernel 6.1 ip=dhcp under
# QEMU, klibc-utils 2.0.12, dhcpcd 9.4, systemd-networkd 252, busybox udhcpc 1.35, dhclient 4.4).
OS_CLIENTS = {
    "kernel": (bytes([1, 3, 6, 12, 15, 17, 26, 40, 42]), None, None, None),
    "klibc": (bytes([1, 3, 6, 12, 15, 17, 26, 28, 40, 119, 121]), None, b"Linux ipconfig", None),
    "dhcpcd": (bytes([1, 121, 3, 6, 12, 15, 26, 28, 33, 51, 54, 58, 59, 119]), duid_llt, None,
               None),
    "networkd": (bytes([1, 3, 6, 12, 15, 33, 42, 120, 121]), duid_en, None, b"raspberrypi"),
    "udhcpc": (bytes([1, 3, 6, 12, 15, 28, 42]), lambda mac: b"\x01" + mac_bytes(mac),
               b"udhcp 1.35.0", None),
    "dhclient": (bytes([1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]), None, None,
                 b"raspberrypi"),
}
SEQUENCE_BEFORE_RESTART = ["kernel", "klibc", "dhcpcd"]
SEQUENCE_AFTER_RESTART = ["networkd", "udhcpc", "dhclient"]


def os_discover(client, mac, xid):
    request_list, client_id, vendor, hostname = OS_CLIENTS[client]
    opts = [(53, b"\x01")]
    if client_id:
        opts.append((61, client_id(mac)))
    if hostname:
        opts.append((12, hostname))
    if vendor:
        opts.append((60, vendor))
    opts.append((55, request_list))
    return keatest.bootp_request(mac, xid, opts)


class IdentityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(server_ifname="eth0")
        cls.paths = keatest.INSTALL.new_paths()
        newer = tuple(int(x) for x in keatest.VERSION.split(".")) >= (3, 0)
        name = "kea-dhcp4-3.0.conf" if newer else "kea-dhcp4.conf"
        text = keatest.own_example_files(keatest.example_text(name), cls.paths)
        lease_cmds = os.path.join(keatest.INSTALL.hooks_dir, "libdhcp_lease_cmds.so")
        old = '"hooks-libraries": ['
        assert text.count(old) == 1, old
        cls.config_text = text.replace(old, '"hooks-libraries": [ { "library": "%s" },'
                                       % lease_cmds)
        cls.kea = None
        cls.xid = 0x10d00000

    @classmethod
    def tearDownClass(cls):
        if cls.kea:
            cls.kea.proc.stop()
        cls.paths.remove()
        cls.lab.close()

    @classmethod
    def start(cls):
        cls.kea = KeaServer(cls.lab, config_text=cls.config_text, paths=cls.paths)
        cls.kea.wait_ready()

    @classmethod
    def restart(cls):
        """Stops kea-dhcp4 by PID, keeping its files (the lease file), and starts it again."""
        cls.kea.proc.stop()
        cls.kea = None
        # The same log file: emptied, so the new server's start-up is what wait_ready sees.
        log = cls.paths.host(cls.paths.log)
        if os.path.exists(log):
            os.truncate(log, 0)
        cls.start()

    def next_xid(self):
        IdentityTest.xid += 1
        return IdentityTest.xid

    def boot(self, model, mac, serial):
        replies = self.lab.exchange(*pi(model, mac, serial))
        want = [2] if model in ("rom3", "bootcode") else [2, 5]
        self.assertEqual([r["message_type"] for r in replies], want, self.kea.log()[-3000:])
        addr = replies[-1]["yiaddr"]
        self.assertTrue(ipaddress.ip_address("192.0.2.100") <= ipaddress.ip_address(addr) <=
                        ipaddress.ip_address("192.0.2.149"), f"{model}: {addr} not in the Pi range")
        return addr

    def os_exchange(self, client, mac, serial, addr, tftp_server, hostname=None):
        replies = self.lab.exchange("--payload-hex", os_discover(client, mac, self.next_xid()),
                                    "--request")
        what = f"{client} from {mac}"
        self.assertEqual([r["message_type"] for r in replies], [2, 5],
                         what + "\n" + self.kea.log()[-3000:])
        hostname = hostname or f"pi-{serial}"
        asks_17 = 17 in OS_CLIENTS[client][0]
        for r in replies:
            self.assertEqual(r["yiaddr"], addr, what + ": another address")
            opts = options(r)
            self.assertEqual(bytes.fromhex(opts.get(12, "")).decode(), hostname, what)
            if asks_17:
                self.assertEqual(bytes.fromhex(opts.get(17, "")).decode(),
                                 f"{tftp_server}:/srv/nfs/pi/{serial}", what)
            else:
                self.assertNotIn(17, opts, what + ": root path sent unasked")
            # The OS phase is not a PXE boot: no Pi boot menu, vendor class or TFTP server.
            for code in (43, 60, 66):
                self.assertNotIn(code, opts, f"{what}: option {code}")

    def command(self, name, arguments=None):
        return self.kea.command(name, arguments)

    def leases_of(self, mac):
        res = self.command("lease4-get-all")
        self.assertIn(res["result"], (0, 3), res)
        return [l for l in (res.get("arguments") or {}).get("leases", [])
                if l["hw-address"] == mac and l["state"] == 0]

    def test_identity(self):
        self.start()
        # Boot phase: the EEPROMs and the Pi 3B ROM (whose OFFER the hook holds).
        addr4 = self.boot(*PI4)
        addr5 = self.boot(*PI5)
        addr3 = self.boot(*ROM3)
        self.assertEqual(len({addr4, addr5, addr3}), 3)
        # OS phase, then a restart, then more of it.
        for client in SEQUENCE_BEFORE_RESTART:
            self.os_exchange(client, PI4[1], PI4[2], addr4, "192.0.2.2")
        self.os_exchange("kernel", PI5[1], PI5[2], addr5, "192.0.2.1")
        # ROM3: no serial, so {serial} is the MAC (dash form).
        rom3_name = "b8-27-eb-2b-3c-01"
        self.os_exchange("klibc", ROM3[1], rom3_name, addr3, "192.0.2.1", f"pi-{rom3_name}")
        self.restart()
        self.assertIn("RPI_NETBOOT_REGISTRY_LOADED", self.kea.log())
        for client in SEQUENCE_AFTER_RESTART:
            self.os_exchange(client, PI4[1], PI4[2], addr4, "192.0.2.2")
        self.os_exchange("dhcpcd", PI5[1], PI5[2], addr5, "192.0.2.1")
        # The next boot keeps the address.
        self.assertEqual(self.boot(*PI4), addr4)
        self.assertEqual(self.boot(*PI5), addr5)
        # One live lease per MAC, carrying the record.
        for model, mac, serial in (PI4, PI5):
            leases = self.leases_of(mac)
            self.assertEqual(len(leases), 1, f"{model}: {leases}")
            record = keatest.lease_record(leases[0]["user-context"])
            self.assertEqual(record["serial"], serial)
            self.assertEqual(record["mac"], mac)
            self.assertEqual(record["phase"], "boot")  # the last exchange was the boot
        self.assertEqual(len(self.leases_of(ROM3[1])), 1)

        got = self.command("lease4-get", {"ip-address": addr4})
        self.assertEqual(got["result"], 0, got)
        # The lease holds the record as one string (one JSON node per lease copy in Kea).
        self.assertIsInstance(got["arguments"]["user-context"]["rpi-netboot"], str)
        record = keatest.lease_record(got["arguments"]["user-context"])
        self.assertEqual(record["board-revision"], "00d03115")
        self.assertEqual(record["model"], "pi4")
        self.assertEqual(record["address"], addr4)
        self.assertLessEqual(record["first-seen"], record["last-seen"])

        # The control commands.
        for key, value in (("serial", PI4[2]), ("mac", PI4[1].upper()), ("address", addr4)):
            res = self.command("rpi-netboot-get", {key: value})
            self.assertEqual(res["result"], 0, res)
            self.assertEqual(res["arguments"]["serial"], PI4[2])
            self.assertEqual(res["arguments"]["address"], addr4)
            self.assertEqual(res["arguments"]["board"], "4B rev 1.5, 8GB, BCM2711, Sony UK")
            self.assertEqual(res["arguments"]["hostname"], f"pi-{PI4[2]}")
            self.assertEqual(res["arguments"]["root-path"], f"192.0.2.2:/srv/nfs/pi/{PI4[2]}")
        for key, value in (("serial", "deadbeef"), ("mac", "dc:a6:32:00:00:01"),
                           ("address", "192.0.2.199")):
            res = self.command("rpi-netboot-get", {key: value})
            self.assertEqual(res["result"], 3, res)
        for bad in (None, {}, {"serial": "xyz"}, {"name": "pi"},
                    {"serial": PI4[2], "mac": PI4[1]}, {"mac": 5}):
            res = self.command("rpi-netboot-get", bad)
            self.assertEqual(res["result"], 1, f"{bad}: {res}")
        listed = self.command("rpi-netboot-list")
        self.assertEqual(listed["result"], 0, listed)
        self.assertEqual(listed["arguments"]["count"], 3)
        self.assertEqual({p["mac"] for p in listed["arguments"]["pis"]},
                         {PI4[1], PI5[1], ROM3[1]})
        rom3 = next(p for p in listed["arguments"]["pis"] if p["mac"] == ROM3[1])
        self.assertNotIn("serial", rom3)
        self.assertEqual(rom3["phase"], "os")
        self.check_cli(addr4)
        self.assertTrue(self.kea.proc.alive())

    def cli(self, *args):
        tool = os.path.join(keatest.netlab.build_dir(), "kea-hook", "rpi-netboot")
        return subprocess.run([tool, "--socket", self.kea.socket_path] + list(args),
                              capture_output=True, text=True, timeout=30, check=False)

    def check_cli(self, addr4):
        table = self.cli("list")
        self.assertEqual(table.returncode, 0, table.stderr)
        lines = table.stdout.splitlines()
        self.assertTrue(lines[0].startswith("SERIAL"), table.stdout)
        self.assertEqual(len(lines), 4, table.stdout)
        row = next(l for l in lines if l.startswith(PI4[2]))
        for text in (PI4[1], addr4, "4B rev 1.5", f"pi-{PI4[2]}", "192.0.2.2:/srv/nfs/pi/"):
            self.assertIn(text, row)
        listed = self.cli("--json", "list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertEqual({p["mac"] for p in json.loads(listed.stdout)}, {PI4[1], PI5[1], ROM3[1]})
        got = self.cli("--json", "get", "address", addr4)
        self.assertEqual(got.returncode, 0, got.stderr)
        self.assertEqual(json.loads(got.stdout)["serial"], PI4[2])
        self.assertEqual(self.cli("get", "serial", "deadbeef").returncode, 3)
        self.assertEqual(self.cli("get", "serial", "xyz").returncode, 1)

    def test_malformed_context_is_ignored(self):
        if not self.kea:
            self.start()
        bad = [{"rpi-netboot": {"mac": "zz"}}, {"rpi-netboot": "not a map"},
               {"rpi-netboot": {"mac": "dc:a6:32:00:00:09", "model": "pi4", "address": "192.0.2.140",
                                "phase": "os", "first-seen": 5, "last-seen": 1}}]
        for i, context in enumerate(bad):
            addr = f"192.0.2.{140 + i}"
            res = self.command("lease4-add", {"ip-address": addr,
                                              "hw-address": f"dc:a6:32:00:00:{9 + i:02x}",
                                              "user-context": context})
            self.assertEqual(res["result"], 0, res)
        self.restart()
        log = self.kea.log()
        self.assertEqual(log.count("RPI_NETBOOT_REGISTRY_MALFORMED"), len(bad), log[-3000:])
        # The MAC of a malformed record is not taken as a Pi's OS.
        replies = self.lab.exchange("--payload-hex",
                                    os_discover("udhcpc", "dc:a6:32:00:00:09", self.next_xid()),
                                    "--request")
        self.assertEqual([r["message_type"] for r in replies], [2, 5])
        self.assertNotIn(12, options(replies[-1]))
        self.assertTrue(self.kea.proc.alive())


class PolicyTest(unittest.TestCase):
    """hostname-policy "client", root-path-policy "always" and a clients[] override."""

    def test_policies_and_override(self):
        lab = keatest.lab_for(self)
        params = {"tftp-server": "192.0.2.1", "hostname-template": "pi-{serial}",
                  "root-path-template": "{tftp-server}:/srv/nfs/pi/{serial}",
                  "hostname-policy": "client", "root-path-policy": "always",
                  "clients": [{"serial": PI5[2], "hostname": "build-{model}",
                               "root-path": "192.0.2.9:/export/{serial}"}]}
        subnet = {"id": 1, "subnet": "192.0.2.0/24", "match-client-id": False,
                  "pools": [dict(pool="192.0.2.100 - 192.0.2.149",
                                 **keatest.pool_class("RPI_NETBOOT")),
                            {"pool": "192.0.2.150 - 192.0.2.199"}]}
        kea = keatest.kea_for(self, lab, hook_params=params, subnet=subnet).wait_ready()
        xid = 0x20d00000
        for model, mac, serial in (PI4, PI5):
            boot = lab.exchange(*pi(model, mac, serial))
            self.assertEqual([r["message_type"] for r in boot], [2, 5], kea.log()[-3000:])
            addr = boot[-1]["yiaddr"]
            for client in ("networkd", "udhcpc", "kernel"):
                xid += 1
                replies = lab.exchange("--payload-hex", os_discover(client, mac, xid),
                                       "--request")
                self.assertEqual([r["message_type"] for r in replies], [2, 5], client)
                opts = options(replies[-1])
                what = f"{model} {client}"
                self.assertEqual(replies[-1]["yiaddr"], addr, what)
                named = OS_CLIENTS[client][3]
                if model == "pi5":
                    want_name = "build-pi5"
                    want_root = f"192.0.2.9:/export/{serial}"
                else:
                    want_name = f"pi-{serial}"
                    want_root = f"192.0.2.1:/srv/nfs/pi/{serial}"
                # "client": a name the client sends is kept; the others get the template's.
                self.assertEqual(bytes.fromhex(opts.get(12, "")).decode(),
                                 named.decode() if named else want_name, what)
                # "always": 17 even to clients that do not ask for it.
                self.assertEqual(bytes.fromhex(opts.get(17, "")).decode(), want_root, what)


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
