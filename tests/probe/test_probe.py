"""rpi-netboot-probe against real servers: the good setup boots every model, and each broken
setup gets its diagnosis code and exit status 1.

Servers: kea-dhcp4 (with and without the rpi-netboot hook), rpi-tftpd, a TFTP server without option
negotiation, rpcbind + exportfs + rpc.mountd (probelab.py). Protocol facts the assertions rest
on: docs/protocol/ (boot.md, dhcp.md, tftp.md) (option 43 with "Raspberry Pi Boot", ROM
padding, option 66 as text, the <serial>/ prefix probe, OACK for tsize/blksize, the 65535-block
counter) and 7 (per-Pi exports; vers= in nfsroot=).
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import probelab  # noqa: E402
from probelab import Pi, codes  # noqa: E402

GOOD = {
    "rom3": Pi("rom3", "00ab0301", "b8:27:eb:ab:03:01", "192.0.2.11"),
    "bootcode": Pi("bootcode", "00ab0302", "b8:27:eb:ab:03:02", "192.0.2.12"),
    "pi4": Pi("pi4", "bf9fed6f", "dc:a6:32:01:36:c2", "192.0.2.13"),
    "pi5": Pi("pi5", "5e5e0005", "2c:cf:67:00:00:05", "192.0.2.14"),
}
NO_TREE = Pi("pi4", "0000dead", "dc:a6:32:00:de:ad", "192.0.2.21", tree=False)
TFTP_DOWN = Pi("pi4", "0000d0e1", "dc:a6:32:00:d0:e1", "192.0.2.22")
NO_OACK = Pi("pi4", "0000e0ac", "dc:a6:32:00:e0:ac", "192.0.2.23")
UNREADABLE = Pi("pi4", "0000f00d", "dc:a6:32:00:f0:0d", "192.0.2.24", kernel_mode=0o600)
# 40 MiB at 512-byte blocks: 81920 blocks, more than the 65535 a block counter holds.
BIG_KERNEL = Pi("rom3", "0000b160", "b8:27:eb:00:b1:60", "192.0.2.25",
                kernel_size=40 * 1024 * 1024)
NO_VERS = Pi("pi5", "0000c0de", "2c:cf:67:00:c0:de", "192.0.2.26", cmdline="nfs-no-vers")
NOT_EXPORTED = Pi("bootcode", "0000a0a0", "b8:27:eb:00:a0:a0", "192.0.2.27",
                  export_to="192.0.2.77")
LOCAL_ROOT = Pi("pi4", "0000100c", "dc:a6:32:00:10:0c", "192.0.2.28", cmdline="stock")
ALL = list(GOOD.values()) + [NO_TREE, TFTP_DOWN, NO_OACK, UNREADABLE, BIG_KERNEL, NO_VERS,
                             NOT_EXPORTED, LOCAL_ROOT]


def setUpModule():
    probelab.require()


class GoodServers(unittest.TestCase):
    """One Kea with the hook, rpi-tftpd, a no-OACK tftpd and mountd shared by every test."""

    @classmethod
    def setUpClass(cls):
        cls.setup = probelab.Setup()
        for pi in ALL:
            cls.setup.add_pi(pi)
        cls.setup.start_tftpd()
        cls.setup.start_no_oack_tftpd()
        cls.setup.start_nfs([pi for pi in ALL if pi.cmdline != "stock"])
        cls.setup.start_kea(ALL, hook_params={"clients": [
            {"serial": TFTP_DOWN.serial, "tftp-server": probelab.TFTP_DOWN},
            {"serial": NO_OACK.serial, "tftp-server": probelab.TFTP_NO_OACK}]})

    @classmethod
    def tearDownClass(cls):
        cls.setup.close()

    def run_probe(self, pi, *extra, expect_rc=None):
        rc, result, res = self.setup.probe(*pi.args(), *extra)
        context = f"rc={rc}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
        if expect_rc is not None:
            self.assertEqual(rc, expect_rc, context)
        return result, context

    def assert_boots(self, model):
        pi = GOOD[model]
        result, context = self.run_probe(pi, expect_rc=0)
        self.assertTrue(result["sound"], context)
        self.assertEqual(result["model"], model)
        self.assertEqual(result["address"], pi.ip, context)
        self.assertEqual(result["tftp_server"], probelab.SERVER, context)
        self.assertEqual(result["prefix"], pi.serial + "/", context)
        self.assertEqual(result["nfs_root"],
                         f"{probelab.SERVER}:{self.setup.nfs_root}/{pi.serial}", context)
        self.assertIs(result["nfs_exported"], True, context)
        self.assertEqual(codes(result, "fail"), [], context)
        fetched = {f["path"]: f for f in result["files"] if f["found"]}
        kernel = pi.serial + "/" + probelab.boot_files.kernel(model)
        self.assertIn(kernel, fetched, context)
        self.assertEqual(fetched[kernel]["bytes"], 64 * 1024, context)
        self.assertIn(pi.serial + "/" + probelab.boot_files.initramfs(model), fetched, context)
        self.assertIn(pi.serial + "/cmdline.txt", fetched, context)
        if model in ("rom3", "bootcode"):
            # The ROM reads bootcode.bin from the root before any prefix (docs/protocol/boot.md).
            self.assertEqual(fetched["bootcode.bin"]["bytes"], 52 * 1024, context)
            self.assertFalse(fetched["bootcode.bin"]["oack"], context)
        else:
            self.assertTrue(fetched[kernel]["oack"], context)
        steps = [e["step"] for e in result["timeline"]]
        self.assertEqual(any(s == "REQUEST" for s in steps), model in ("pi4", "pi5"), context)
        return result

    def test_good_rom3_boots(self):
        self.assert_boots("rom3")

    def test_good_bootcode_boots(self):
        self.assert_boots("bootcode")

    def test_good_pi4_boots(self):
        self.assert_boots("pi4")

    def test_good_pi5_boots(self):
        result = self.assert_boots("pi5")
        # Pi 5 fetches no start*.elf (docs/protocol/tftp.md).
        self.assertFalse(any("start" in f["path"] for f in result["files"]))

    def test_serial_dir_missing(self):
        result, context = self.run_probe(NO_TREE, expect_rc=1)
        self.assertIn("serial-dir-missing", codes(result, "fail"), context)
        self.assertEqual(result["prefix"], "", context)

    def test_tftp_unreachable(self):
        result, context = self.run_probe(TFTP_DOWN, expect_rc=1)
        self.assertEqual(result["tftp_server"], probelab.TFTP_DOWN, context)
        self.assertEqual(codes(result, "fail"), ["tftp-unreachable"], context)

    def test_no_oack(self):
        result, context = self.run_probe(NO_OACK, expect_rc=1)
        self.assertEqual(result["tftp_server"], probelab.TFTP_NO_OACK, context)
        self.assertIn("no-oack", codes(result, "fail"), context)
        # ...and walks on as the Pi 4 would: config.txt ignored, default kernel, no initramfs.
        self.assertTrue(any(e["step"] == "config.txt ignored" for e in result["timeline"]),
                        context)
        self.assertFalse(any("/initramfs" in f["path"] for f in result["files"]), context)

    def test_file_unreadable(self):
        result, context = self.run_probe(UNREADABLE, expect_rc=1)
        self.assertEqual(codes(result, "fail"), ["file-unreadable"], context)
        finding = [f for f in result["findings"] if f["code"] == "file-unreadable"][0]
        self.assertIn(UNREADABLE.serial + "/kernel8.img", finding["message"])

    def test_kernel_too_many_blocks_for_rom3(self):
        started = time.monotonic()
        result, context = self.run_probe(BIG_KERNEL, expect_rc=1)
        self.assertEqual(codes(result, "fail"), ["kernel-too-many-blocks"], context)
        # Decided from the OACK's tsize: the 40 MiB are never transferred.
        self.assertLess(time.monotonic() - started, 30, context)

    def test_cmdline_without_vers(self):
        result, context = self.run_probe(NO_VERS, expect_rc=1)
        self.assertIn("cmdline-no-vers", codes(result, "fail"), context)

    def test_nfs_not_exported(self):
        result, context = self.run_probe(NOT_EXPORTED, expect_rc=1)
        self.assertEqual(codes(result, "fail"), ["nfs-not-exported"], context)
        self.assertIs(result["nfs_exported"], False, context)
        self.assertIn("192.0.2.77", result["findings"][-1]["message"], context)

    def test_nfs_server_option_and_unreachable_mountd(self):
        # --nfs-server asks another host: the Pi namespace's own address, where no rpcbind runs
        # (every address of the server namespace reaches its rpcbind).
        result, context = self.run_probe(GOOD["pi4"], "--nfs-server", probelab.CLIENT,
                                         expect_rc=1)
        self.assertEqual(codes(result, "fail"), ["nfs-unreachable"], context)
        self.assertIsNone(result["nfs_exported"], context)
        self.assertIn(probelab.CLIENT, result["findings"][-1]["message"], context)

    def test_tftp_only_skips_dhcp(self):
        rc, result, res = self.setup.probe(*LOCAL_ROOT.args(), "--tftp-only", probelab.SERVER)
        context = f"rc={rc}\n{res.stdout}\n{res.stderr}"
        self.assertEqual(rc, 0, context)
        self.assertFalse(any(e["stage"] == "dhcp" and e["step"] == "DISCOVER"
                             for e in result["timeline"]), context)
        self.assertEqual(result["offers"], [], context)
        self.assertEqual(result["address"], probelab.CLIENT, context)
        self.assertEqual(result["prefix"], LOCAL_ROOT.serial + "/", context)
        self.assertIn("not-nfs-root", codes(result), context)

    def test_json_is_one_valid_object_with_stable_keys(self):
        rc, _, res = self.setup.probe(*GOOD["pi4"].args())
        self.assertEqual(rc, 0, res.stdout + res.stderr)
        result = json.loads(res.stdout)  # the whole of stdout is one JSON document
        for key in ("model", "mac", "serial", "interface", "address", "tftp_server", "prefix",
                    "nfs_root", "nfs_exported", "sound", "timeline", "files", "findings"):
            self.assertIn(key, result)
        self.assertEqual(result["mac"], GOOD["pi4"].mac)
        self.assertEqual(result["serial"], GOOD["pi4"].serial)
        for f in result["files"]:
            self.assertEqual(set(f), {"path", "found", "bytes", "oack"})
        for e in result["timeline"]:
            self.assertIn(e["verdict"], ("ok", "info", "warn", "fail"))
            self.assertGreaterEqual(e["t_ms"], 0)

    def test_text_output_names_the_diagnosis(self):
        rc, _, res = self.setup.probe(*NOT_EXPORTED.args(), json_output=False)
        self.assertEqual(rc, 1, res.stdout + res.stderr)
        self.assertIn("Diagnosis:", res.stdout)
        self.assertIn("[fail] nfs-not-exported:", res.stdout)
        self.assertIn("The Pi would not boot", res.stdout)
        if os.environ.get("RPI_NETBOOT_PRINT_EXAMPLE"):
            print(res.stdout, file=sys.stderr)


class BrokenDhcp(unittest.TestCase):
    """DHCP setups a Pi cannot boot from; each test starts its own kea-dhcp4 (or none)."""

    PI4 = GOOD["pi4"]
    ROM3 = GOOD["rom3"]

    @classmethod
    def setUpClass(cls):
        cls.setup = probelab.Setup()

    @classmethod
    def tearDownClass(cls):
        cls.setup.close()

    def tearDown(self):
        self.setup.stop_kea()

    def diagnose(self, pi, code):
        rc, result, res = self.setup.probe(*pi.args())
        context = f"rc={rc}\n{res.stdout}\n{res.stderr}"
        self.assertEqual(rc, 1, context)
        self.assertIn(code, codes(result, "fail"), context)
        self.assertEqual(result["files"], [], context)  # the Pi never got to TFTP
        return result

    def test_no_dhcp_server(self):
        result = self.diagnose(self.PI4, "no-offer")
        self.assertEqual(result["offers"], [])

    def test_kea_without_hook(self):
        self.setup.start_kea([self.PI4], with_hook=False)
        result = self.diagnose(self.PI4, "no-option-43")
        self.assertEqual(result["offers"][0]["server"], probelab.SERVER)

    def test_hook_with_other_menu_text(self):
        self.setup.start_kea([self.PI4], hook_params={"menu-text": "Acme Network Boot"})
        self.diagnose(self.PI4, "no-pi-boot-text")

    def test_rom3_without_rom_padding(self):
        self.setup.start_kea([self.ROM3], hook_params={"rom-padding": "never"})
        self.diagnose(self.ROM3, "no-rom-padding")

    def test_option66_binary(self):
        # A hand-written Kea configuration (no hook): option 43 right, option 66 as the four
        # address bytes instead of dotted-quad text.
        classes = [{
            "name": "pi-by-hand",
            "test": "substring(option[60].hex,0,9) == 'PXEClient'",
            "option-def": [{"name": "pi-vendor", "code": 43, "type": "binary"}],
            "option-data": [{"name": "pi-vendor", "data": probelab.keatest.PLAIN_OPTION43},
                            {"name": "tftp-server-name", "csv-format": False,
                             "data": "C0000201"}],
        }]
        self.setup.start_kea([self.PI4], with_hook=False, classes=classes)
        self.diagnose(self.PI4, "option66-binary")


class SeveralServers(unittest.TestCase):
    """Kea with the hook and a plain dnsmasq answer on the same segment; a second interface of
    the Pi namespace leads nowhere."""

    @classmethod
    def setUpClass(cls):
        cls.setup = probelab.Setup(probelab.BridgedLab())
        cls.setup.add_pi(LOCAL_ROOT)
        cls.setup.start_tftpd()
        cls.setup.start_dnsmasq()
        cls.setup.start_kea([LOCAL_ROOT])

    @classmethod
    def tearDownClass(cls):
        cls.setup.close()

    def test_pi_takes_the_offer_with_option_43(self):
        rc, result, res = self.setup.probe(*LOCAL_ROOT.args())
        context = f"rc={rc}\n{res.stdout}\n{res.stderr}"
        self.assertEqual(rc, 0, context)
        by_server = {o["server"]: o for o in result["offers"]}
        self.assertEqual(set(by_server), {"192.0.2.1", "192.0.2.2"}, context)
        self.assertTrue(by_server["192.0.2.1"]["chosen"], context)
        self.assertFalse(by_server["192.0.2.2"]["chosen"], context)
        self.assertFalse(by_server["192.0.2.2"]["netboot"], context)
        self.assertEqual(result["address"], LOCAL_ROOT.ip, context)
        ignored = [f for f in result["findings"] if f["code"] == "offer-ignored"]
        self.assertEqual(len(ignored), 1, context)
        self.assertIn("192.0.2.2", ignored[0]["message"])
        self.assertIn("no-option-43", ignored[0]["message"])

    def test_sends_only_on_the_named_interface(self):
        stats = self.setup.kea.statistics()
        self.assertIn("pkt4-received", stats)
        kea_before = stats["pkt4-received"]
        dnsmasq = self.setup.procs[1]
        dnsmasq_before = dnsmasq.output().count("DHCPDISCOVER")
        rc, result, res = self.setup.probe(*LOCAL_ROOT.args(),
                                           interface=self.setup.lab.other_if)
        context = f"rc={rc}\n{res.stdout}\n{res.stderr}"
        self.assertEqual(rc, 1, context)
        self.assertEqual(codes(result, "fail"), ["no-offer"], context)
        # Neither server saw the DISCOVERs: they left through the other interface only.
        self.assertEqual(self.setup.kea.statistics()["pkt4-received"], kea_before)
        self.assertEqual(dnsmasq.output().count("DHCPDISCOVER"), dnsmasq_before)

    def test_tftp_only_refuses_a_server_routed_elsewhere(self):
        tftpd = self.setup.procs[0]
        before = tftpd.output().count("RRQ")
        rc, result, res = self.setup.probe(*LOCAL_ROOT.args(), "--tftp-only", probelab.SERVER,
                                           interface=self.setup.lab.other_if)
        context = f"rc={rc}\n{res.stdout}\n{res.stderr}"
        self.assertEqual(rc, 1, context)
        self.assertEqual(codes(result, "fail"), ["route-elsewhere"], context)
        self.assertEqual(result["files"], [], context)
        self.assertEqual(tftpd.output().count("RRQ"), before, context)


class ProxyDhcp(unittest.TestCase):
    """The router's DHCP server (Kea, no hook) gives the address; dnsmasq in proxy mode gives
    the boot options and serves TFTP, as raspberrypi/documentation's Pi 3 network boot tutorial
    sets it up."""

    LOCAL_ROM3 = Pi("rom3", "0000ab0c", "b8:27:eb:00:ab:0c", "192.0.2.29", cmdline="stock")

    @classmethod
    def setUpClass(cls):
        cls.setup = probelab.Setup(probelab.BridgedLab())
        for pi in (LOCAL_ROOT, cls.LOCAL_ROM3):
            cls.setup.add_pi(pi)
        cls.setup.start_dnsmasq(proxy=True)
        cls.setup.start_kea([LOCAL_ROOT, cls.LOCAL_ROM3], with_hook=False)

    @classmethod
    def tearDownClass(cls):
        cls.setup.close()

    def test_pi4_boots_from_a_proxy_reply_with_the_routers_address(self):
        rc, result, res = self.setup.probe(*LOCAL_ROOT.args())
        context = f"rc={rc}\n{res.stdout}\n{res.stderr}"
        self.assertEqual(rc, 0, context)
        self.assertEqual(result["address"], LOCAL_ROOT.ip, context)  # Kea's reservation
        self.assertEqual(result["tftp_server"], "192.0.2.2", context)  # the proxy (option 54)
        by_server = {o["server"]: o for o in result["offers"]}
        self.assertEqual(by_server["192.0.2.2"]["address"], "0.0.0.0", context)
        self.assertTrue(by_server["192.0.2.2"]["chosen"] and by_server["192.0.2.1"]["chosen"])
        self.assertIn("proxy-offer", codes(result), context)
        self.assertIn("address-offer", codes(result), context)
        self.assertEqual(result["prefix"], LOCAL_ROOT.serial + "/", context)
        self.assertTrue(any(e["step"] == "ACK from 192.0.2.1" for e in result["timeline"]))

    def test_rom3_needs_padding_that_the_tutorial_lacks(self):
        # pxe-service=0,"Raspberry Pi Boot" is unpadded: the Pi 3B ROM needs three spaces
        # (docs/protocol/dhcp.md, [boot-net] "Known problems").
        rc, result, res = self.setup.probe(*self.LOCAL_ROM3.args())
        context = f"rc={rc}\n{res.stdout}\n{res.stderr}"
        self.assertEqual(rc, 1, context)
        self.assertIn("no-rom-padding", codes(result, "fail"), context)


class WireFormat(unittest.TestCase):
    """What the probe puts on the wire, captured in the server namespace (no DHCP server), against
    docs/protocol/dhcp.md: options 53, 55, 93, 94, 97, 60 in that order, the 55 lists, 93 = 00 00,
    94 = 01 02 01, the option 97 layouts, the constant xid and IP ttl 128 / id 0 / UDP checksum 0
    of shapes A and B, BOOTP lengths 320 / 322."""

    LIST_55 = {"rom3": "2b3c43808182838485868742", "bootcode": "2b3c438081828384858687420103",
               "pi4": "01032b3c42438081828384858687"}
    VENDOR = b"PXEClient:Arch:00000:UNDI:002001"

    @classmethod
    def setUpClass(cls):
        cls.lab = probelab.keatest.Lab()

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def capture(self, pi):
        cap = self.lab.server.start([sys.executable, os.path.join(os.path.dirname(__file__),
                                                                  "capture_dhcp.py"),
                                     self.lab.server_if, "2.5"], name="capture")
        probelab.netlab.wait_for(lambda: "capturing" in cap.output(), timeout=10,
                                 what="capture")
        argv = [probelab.probe_path(), "--interface", self.lab.client_if, "--timeout-ms", "300",
                "--json"] + pi.args()
        res = self.lab.client.exec(argv, check=False, timeout=60)
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)  # no-offer
        cap.popen.wait(timeout=15)
        frames = [bytes.fromhex(line) for line in cap.output().split() if len(line) > 100]
        self.assertEqual(len(frames), 2, cap.output())  # the DISCOVER and its repeat
        return frames[0]

    def parse(self, frame):
        ip = frame[14:34]
        udp = frame[34:42]
        bootp = frame[42:]
        opts, i = [], 240
        while bootp[i] != 255:
            opts.append((bootp[i], bootp[i + 2:i + 2 + bootp[i + 1]]))
            i += 2 + bootp[i + 1]
        return ip, udp, bootp, opts

    def check_common(self, pi, frame, length):
        ip, udp, bootp, opts = self.parse(frame)
        self.assertEqual(frame[6:12].hex(":"), pi.mac)  # Ethernet source: the Pi's MAC
        self.assertEqual(bootp[28:34].hex(":"), pi.mac)  # chaddr
        self.assertEqual(len(bootp), length)
        self.assertEqual(bootp[10:12], b"\0\0")  # flags: no broadcast bit
        self.assertEqual([c for c, _ in opts], [53, 55, 93, 94, 97, 60])
        d = dict(opts)
        self.assertEqual(d[53], b"\x01")
        self.assertEqual(d[55].hex(), self.LIST_55[pi.model])
        self.assertEqual(d[93], b"\0\0")
        self.assertEqual(d[94], bytes([1, 2, 1]))
        self.assertEqual(d[60], self.VENDOR)
        return ip, udp, bootp, d

    def test_rom3_discover_is_shape_a(self):
        pi = GOOD["rom3"]
        ip, udp, bootp, d = self.check_common(pi, self.capture(pi), 320)
        self.assertEqual(ip[8], 128)  # ttl
        self.assertEqual(ip[4:6], b"\0\0")  # IP id
        self.assertEqual(udp[6:8], b"\0\0")  # UDP checksum
        self.assertEqual(bootp[4:8].hex(), "26f30339")
        self.assertEqual(d[97], b"\0" + b"\x44" * 16)

    def test_bootcode_discover_is_shape_b(self):
        pi = GOOD["bootcode"]  # serial 00ab0302
        ip, udp, bootp, d = self.check_common(pi, self.capture(pi), 322)
        self.assertEqual((ip[8], ip[4:6], udp[6:8]), (128, b"\0\0", b"\0\0"))
        self.assertEqual(bootp[4:8].hex(), "26f30339")
        self.assertEqual(d[97], b"\0" + bytes.fromhex("0203ab00") * 4)  # le32(serial) x 4

    def test_pi4_discover_is_shape_c(self):
        pi = GOOD["pi4"]  # serial bf9fed6f, MAC dc:a6:32:01:36:c2
        ip, udp, bootp, d = self.check_common(pi, self.capture(pi), 322)
        self.assertEqual(len(d[97]), 17)
        self.assertEqual(d[97][0], 0)
        self.assertIn(d[97][1:5], (b"RPi4", b"4iPR"))  # magic, either byte order
        self.assertEqual(d[97][9:13], bytes.fromhex("320136c2"))  # MAC 2..5
        self.assertEqual(d[97][13:17], bytes.fromhex("6fed9fbf"))  # le32(serial)


class Usage(unittest.TestCase):
    """Exit codes 2 and 3 need no servers."""

    def probe(self, *args):
        return probelab.netlab.run([probelab.probe_path()] + list(args), check=False)

    def test_bad_model_is_usage_error(self):
        res = self.probe("--interface", "lo", "--model", "pi9")
        self.assertEqual(res.returncode, 2, res.stderr)
        self.assertIn("pi9", res.stderr)

    def test_bad_serial_is_usage_error(self):
        res = self.probe("--interface", "lo", "--model", "pi4", "--serial", "xyz")
        self.assertEqual(res.returncode, 2, res.stderr)

    def test_missing_interface_is_local_error(self):
        res = self.probe("--interface", "rpinb-none0", "--model", "pi4")
        self.assertEqual(res.returncode, 3, res.stderr)
        self.assertIn("rpinb-none0", res.stderr)

    def test_no_raw_socket_permission_is_local_error(self):
        # As nobody without capabilities the raw socket cannot be opened; nothing is sent.
        res = probelab.netlab.run(["setpriv", "--reuid", "nobody", "--regid", "nogroup",
                                   "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                                   probelab.probe_path(), "--interface", "lo", "--model", "pi4"],
                                  check=False)
        self.assertEqual(res.returncode, 3, res.stdout + res.stderr)
        self.assertIn("CAP_NET_RAW", res.stderr)

    def test_help_lists_every_option(self):
        res = self.probe("--help")
        self.assertEqual(res.returncode, 0)
        for opt in ("--interface", "--model", "--serial", "--mac", "--json", "--tftp-only",
                    "--timeout-ms", "--nfs-server", "Exit status"):
            self.assertIn(opt, res.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
