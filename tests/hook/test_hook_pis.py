#!/usr/bin/env python3
"""Pis inside a real kea-dhcp4 with the hook: classes, options 43/60/66 byte for byte, padding,
parameters, allow-lists, per-serial overrides, statistics.

Expected bytes: option 43 of docs/protocol/dhcp.md (dnsmasq's pxe-service=0,"Raspberry Pi Boot" and
the Pi 3B ROM's padded form, [boot-net] "Known problems"); option 66 as dotted-quad text without
NUL (firmware#871); requests as each boot stage sends them (docs/protocol/dhcp.md, core builders).
"""
# lease-databases: pgsql

import ipaddress
import sys
import unittest

import keatest
from keatest import netlab
from keatest import PLAIN_OPTION43, ROM_OPTION43, options, pi

PIS = {  # model: (MAC, serial); Pi 4 values are docs/protocol/dhcp.md's (serial bf9fed6f)
    "rom3": ("b8:27:eb:12:34:56", "00123456"),
    "bootcode": ("b8:27:eb:ab:cd:ef", "12abcdef"),
    "pi4": ("e4:5f:01:98:e0:82", "bf9fed6f"),
    "pi5": ("2c:cf:67:00:00:05", "5a5a0005"),
}
STAGE_CLASS = {"rom3": "RPI_NETBOOT_ROM3", "bootcode": "RPI_NETBOOT_BOOTCODE",
               "pi4": "RPI_NETBOOT_PI4", "pi5": "RPI_NETBOOT_PI5"}
PI_POOL = (ipaddress.ip_address("192.0.2.100"), ipaddress.ip_address("192.0.2.149"))

# What Kea's own configuration puts into every reply: the hook must replace it in Pi replies and
# leave it alone in all others.
KEA_43, KEA_60, KEA_66 = "0104c0000263", "NotAPi".encode().hex(), "198.51.100.99".encode().hex()


def text(s):
    return s.encode().hex()


def lab_config(lab, kea_tmp_unused=None):
    """Pool 1 only for RPI_NETBOOT; each stage class sends its name as option 15."""
    subnet = {"id": 1, "subnet": "192.0.2.0/24",
              "pools": [{"pool": "192.0.2.100 - 192.0.2.149", **keatest.pool_class("RPI_NETBOOT")},
                        {"pool": "192.0.2.150 - 192.0.2.199"}]}
    classes = [{"name": cls, "option-data": [
        {"name": "domain-name", "data": cls.lower() + ".example", "always-send": True}]}
        for cls in STAGE_CLASS.values()]
    extra = {"option-data": [
        {"code": 43, "name": "vendor-encapsulated-options", "csv-format": False, "data": KEA_43,
         "always-send": True},
        {"name": "vendor-class-identifier", "data": "NotAPi", "always-send": True},
        {"name": "tftp-server-name", "data": "198.51.100.99", "always-send": True}]}
    return dict(subnet=subnet, classes=classes, extra=extra)


class PiHookTest(unittest.TestCase):
    def setUp(self):
        self.lab = keatest.lab_for(self)
        self.kea = None

    def start(self, params):
        self.kea = keatest.kea_for(self, self.lab, hook_params=params,
                                   **lab_config(self.lab)).wait_ready()
        return self.kea

    def run_pi(self, model, mac=None, serial=None):
        mac_default, serial_default = PIS[model]
        replies = self.lab.exchange(*pi(model, mac or mac_default, serial or serial_default))
        self.assertTrue(replies, f"{model}: no reply\n" + self.kea.log()[-3000:])
        self.assertEqual(replies[0]["message_type"], 2, f"{model}: first reply is not an OFFER")
        if model in ("pi4", "pi5"):  # shape C sends a REQUEST; ROM3 never, bootcode.bin not seen
            self.assertEqual([r["message_type"] for r in replies], [2, 5], model)
        else:
            self.assertEqual(len(replies), 1, model)
        return replies

    def assertPiReply(self, reply, model, option43, tftp_server, stage_class=None):
        opts = options(reply)
        what = f"{model} {reply['phase']}"
        self.assertEqual(opts.get(43), option43, what)
        self.assertEqual(opts.get(60), text("PXEClient"), what)
        self.assertEqual(opts.get(66), text(tftp_server), what)  # dotted quad, no NUL
        codes = [o["code"] for o in reply["options"]]
        self.assertLess(codes.index(43), codes.index(66), what)
        self.assertEqual(len(codes), len(set(codes)), what + ": an option appears twice")
        self.assertFalse(reply["has_pad"], what + ": pad options (pre-2020 Pi 4 EEPROMs drop those)")
        self.assertTrue(reply["udp_checksum_ok"], what)
        addr = ipaddress.ip_address(reply["yiaddr"])
        self.assertTrue(PI_POOL[0] <= addr <= PI_POOL[1], f"{what}: {addr} not in the RPI_NETBOOT pool")
        self.assertEqual(opts.get(15), text((stage_class or STAGE_CLASS[model]).lower() + ".example"),
                         what + ": stage class option-data")

    def assertNotPiReply(self, reply, what):
        opts = options(reply)
        self.assertEqual((opts.get(43), opts.get(60), opts.get(66)), (KEA_43, KEA_60, KEA_66), what)
        self.assertNotIn(15, opts, what + ": got a Pi stage class")
        addr = ipaddress.ip_address(reply["yiaddr"])
        self.assertGreater(addr, PI_POOL[1], f"{what}: {addr} is in the RPI_NETBOOT pool")

    def test_defaults_every_stage(self):
        kea = self.start(None)
        # load() registers every statistic at 0, so statistic-get-all lists them before any Pi.
        names = ["pkt4-rpi-netboot-" + n for n in (
            "received", "answered", "not-allowed", "malformed", "rom-offers-held",
            "rom-offers-dropped", "rom3-received", "bootcode-received", "pi4-received",
            "pi5-received")]
        self.assertEqual({n: kea.statistics().get(n) for n in names}, {n: 0 for n in names})
        for model in PIS:
            for reply in self.run_pi(model):
                padded = model == "rom3"  # rom-padding auto: only the Pi 3B ROM
                self.assertPiReply(reply, model, ROM_OPTION43 if padded else PLAIN_OPTION43,
                                   "192.0.2.1")  # default: the reply's option 54
        # A non-Pi and an x86 PXE client with the Pi's vendor class are left as Kea answers them.
        for name, payload in (("linux", keatest.linux_discover()),
                              ("x86 PXE", keatest.x86_bios_pxe_discover())):
            replies = self.lab.exchange("--payload-hex", payload)
            self.assertEqual(len(replies), 1, name)
            self.assertNotPiReply(replies[0], name)
        # A Pi 4 whose option 97 is one byte short: logged, answered as a non-Pi.
        bad97 = keatest.pi4_discover_with_option97("dc:a6:32:00:00:97", 0x97979797,
                                                   bytes.fromhex("00" + "34695052" * 3 + "6fed9f"))
        replies = self.lab.exchange("--payload-hex", bad97)
        self.assertEqual(len(replies), 1)
        self.assertNotPiReply(replies[0], "malformed option 97")
        # A Pi 4 (Pi OUI, Pi option 97) whose option 55 is empty: Kea itself (2.2, 2.6.3 and 3.0.4) drops it while
        # parsing (DHCP4_PACKET_DROP_0001 "option 55 empty"), before any callout; the hook's own
        # check for that case is unit-tested (kea_hook_test). Nothing breaks, nothing is counted.
        empty55 = keatest.bootp_request("dc:a6:32:00:00:55", 0x55555555, [
            (53, b"\x01"), (55, b""), (93, b"\x00\x00"), (94, b"\x01\x02\x01"),
            (97, keatest.PI4_OPTION97), (60, b"PXEClient:Arch:00000:UNDI:002001")])
        self.assertEqual(self.lab.exchange("--payload-hex", empty55, window_ms=1000), [])
        netlab.wait_for(lambda: "option 55 empty" in kea.log(), timeout=5, what="Kea's drop")
        stats = kea.statistics()
        expected = {"pkt4-rpi-netboot-received": 6, "pkt4-rpi-netboot-answered": 6,
                    "pkt4-rpi-netboot-rom3-received": 1, "pkt4-rpi-netboot-bootcode-received": 1,
                    "pkt4-rpi-netboot-pi4-received": 2, "pkt4-rpi-netboot-pi5-received": 2,
                    "pkt4-rpi-netboot-malformed": 1, "pkt4-rpi-netboot-not-allowed": 0,
                    # the ROM3 and the bootcode.bin OFFER (neither stage sends REQUEST)
                    "pkt4-rpi-netboot-rom-offers-held": 2}
        self.assertEqual({k: stats.get(k) for k in expected}, expected)
        log = kea.log()
        self.assertIn("RPI_NETBOOT_LOAD_OK", log)
        self.assertIn("RPI_NETBOOT_MALFORMED", log)
        self.assertNotIn("RPI_NETBOOT_CALLOUT_ERROR", log)
        self.assertIn("RPI_NETBOOT_CLASSIFIED", log)
        self.assertNotIn("deprecat", log.lower())  # e.g. 3.0's pool "client-class" (pool_class)

    def test_tftp_server_menu_text_padding_and_per_serial_override(self):
        self.start({"tftp-server": "192.0.2.53", "rom-padding": "never", "menu-text": "Lab Boot",
                    "clients": [{"serial": "bf9fed6f", "tftp-server": "192.0.2.54"}]})
        lab_boot = keatest.option43("Lab Boot", padded=False)
        self.assertIn('RPI_NETBOOT_MENU_TEXT_NOT_BOOTABLE menu-text "Lab Boot"', self.kea.log())
        self.assertPiReply(self.run_pi("rom3")[0], "rom3", lab_boot, "192.0.2.53")
        for reply in self.run_pi("pi4"):  # serial bf9fed6f: its own TFTP server
            self.assertPiReply(reply, "pi4", lab_boot, "192.0.2.54")
        for reply in self.run_pi("pi5"):
            self.assertPiReply(reply, "pi5", lab_boot, "192.0.2.53")

    def test_allow_lists(self):
        kea = self.start({"allow-serials": ["10000000BF9FED6F"], "allow-macs": ["B8-27-EB-12-34-56"],
                          "rom-padding": "always"})
        for reply in self.run_pi("pi4"):  # listed by serial (cpuinfo form, upper case)
            self.assertPiReply(reply, "pi4", ROM_OPTION43, "192.0.2.1")
        self.assertPiReply(self.run_pi("rom3")[0], "rom3", ROM_OPTION43, "192.0.2.1")  # by MAC
        for model in ("bootcode", "pi5"):  # in neither list
            for reply in self.run_pi(model):
                self.assertNotPiReply(reply, model + " not listed")
        stats = kea.statistics()
        self.assertEqual(stats["pkt4-rpi-netboot-not-allowed"], 3)  # bootcode 1, pi5 2
        self.assertEqual(stats["pkt4-rpi-netboot-received"], 3)
        self.assertIn("RPI_NETBOOT_NOT_ALLOWED", kea.log())

    def test_relayed_pi4_discover_and_request(self):
        """Through a DHCP relay (hops 1, giaddr set; RFC 2131 4.1) a Pi 4 is classified and
        answered the same way; the reply goes to the relay. (The Pi 3B ROM cannot use relays:
        docs/protocol/dhcp.md.)"""
        kea = self.start(None)
        mac, xid = "e4:5f:01:98:e0:82", 0x4e1a7e01
        offer = keatest.relay_exchange(self.lab, keatest.pi4_relayed(mac, xid, 1))
        self.assertIsNotNone(offer, "no OFFER to the relay\n" + kea.log()[-3000:])
        yiaddr, giaddr, opts = keatest.parse_bootp(offer)
        self.assertEqual(giaddr, keatest.RELAY_ADDR)
        ack = keatest.relay_exchange(self.lab, keatest.pi4_relayed(
            mac, xid, 3, [(50, ipaddress.ip_address(yiaddr).packed), (54, bytes.fromhex(opts[54]))]))
        self.assertIsNotNone(ack, "no ACK to the relay")
        ack_yiaddr, _, ack_opts = keatest.parse_bootp(ack)
        self.assertEqual(ack_yiaddr, yiaddr)
        for what, o in (("OFFER", opts), ("ACK", ack_opts)):
            self.assertEqual(o[53], "02" if what == "OFFER" else "05")
            self.assertEqual(o.get(43), PLAIN_OPTION43, what)
            self.assertEqual(o.get(60), text("PXEClient"), what)
            self.assertEqual(o.get(66), text("192.0.2.1"), what)
            self.assertEqual(o.get(15), text("rpi_netboot_pi4.example"), what)
        self.assertTrue(PI_POOL[0] <= ipaddress.ip_address(yiaddr) <= PI_POOL[1], yiaddr)
        stats = kea.statistics()
        self.assertEqual((stats["pkt4-rpi-netboot-pi4-received"],
                          stats["pkt4-rpi-netboot-answered"]), (2, 2))

    def test_require_oui_and_extra_ouis(self):
        self.start({"require-oui": True, "extra-ouis": ["02:11:22"]})
        for reply in self.run_pi("pi4", mac="02:11:22:33:44:55"):  # an OUI from extra-ouis
            self.assertPiReply(reply, "pi4", PLAIN_OPTION43, "192.0.2.1")
        for reply in self.run_pi("pi4"):  # a built-in Pi OUI
            self.assertPiReply(reply, "pi4", PLAIN_OPTION43, "192.0.2.1")
        for reply in self.run_pi("pi5", mac="0a:00:00:00:00:05"):  # Pi packet, unknown OUI
            self.assertNotPiReply(reply, "pi5 without a Pi OUI")


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
