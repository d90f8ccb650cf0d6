#!/usr/bin/python3
"""The Pi-pattern client (rpinetboot_probe_tftp) walks a Pi 4 and a Pi 3 boot:
tsize+blksize probes with early terminate after OACK or after DATA 1, re-requests from new
ports, missing-file probes, the prefix probe and its root fallback (docs/protocol/tftp.md)."""

import json
import os
import shutil
import tempfile
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab


class PiPattern(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_tools(lab.daemon_path(), lab.client_path())
        cls.tree = lab.Tree()
        t = cls.tree
        cls.d = lab.Daemon(t, config_text=f"root = {t.root}\nallow-root = {t.allowed}\n")

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def walk(self, model, prefix, style="oack"):
        out = tempfile.mkdtemp(prefix="rpinb-pi-")
        self.addCleanup(shutil.rmtree, out, True)
        r = lab.pi_client(self.d, "boot", "--model", model, "--prefix", prefix,
                          "--probe-style", style, "--out", out)
        lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
        self.assertTrue(lines and lines[-1].get("done"), r.stdout + r.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.d.log()[-3000:])
        return lines[:-1], lines[-1], out

    def check_fetched(self, steps, out, tree_dir, files):
        fetched = set()
        for s in steps:
            self.assertTrue(s["ok"], s)
            if "fetch" not in s:
                continue
            name = s["requested"].replace("/", "_")
            with open(os.path.join(out, name), "rb") as f:
                got = f.read()
            rel = f"{tree_dir}/{s['file']}" if "/" in s["requested"] else f"root/{s['file']}"
            self.assertTrue(got == self.tree.data(rel), f"content of {s['requested']}")
            fetched.add(s["file"])
        for f in files:
            self.assertIn(f, fetched)

    def check_pi4(self, steps, blksize, style):
        for s in steps:
            if "probe" in s and s["probe"]["outcome"] == "early-terminated":
                p = s["probe"]
                # Always OACK tsize and blksize when asked (firmware#1012); tsize is real.
                self.assertEqual(p["oack"].get("blksize"), str(blksize))
                self.assertIn("tsize", p["oack"])
                self.assertEqual(list(p["oack"]), ["tsize", "blksize"])  # asked order, once
                if style == "data1":
                    self.assertEqual(p["bytes"], min(blksize, p["tsize"]))
                if "fetch" in s:
                    self.assertNotEqual(s["fetch"]["local_port"], p["local_port"])
                    self.assertEqual(s["fetch"]["tsize"], s["fetch"]["bytes"])
                    self.assertEqual(s["fetch"]["duplicates"], 0)
            elif "probe" in s:
                self.assertEqual(s["probe"]["outcome"], "server-error")
                self.assertEqual(s["probe"]["error_code"], 1)  # file not found

    def test_pi4_current_eeprom(self):
        steps, done, out = self.walk("pi4", lab.SERIAL)
        self.assertEqual(done["prefix"], lab.SERIAL + "/")
        self.check_pi4(steps, 1468, "oack")
        self.check_fetched(steps, out, f"root/{lab.SERIAL}",
                           ["config.txt", "start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb",
                            "cmdline.txt", "kernel8.img", "overlays/overlay_map.dtb"])
        missing = [s["file"] for s in steps
                   if "probe" in s and s["probe"]["outcome"] == "server-error"]
        self.assertIn("recover4.elf", missing)
        self.assertIn("armstub8-gic.bin", missing)

    def test_pi4_2019_eeprom_terminates_after_data1(self):
        steps, done, out = self.walk("pi4-2019", lab.SERIAL, style="data1")
        self.check_pi4(steps, 1024, "data1")
        self.check_fetched(steps, out, f"root/{lab.SERIAL}", ["kernel8.img"])

    def test_pi4_mac_prefix_into_allowed_root(self):
        steps, done, _ = self.walk("pi4", lab.MAC_LINK)
        self.assertEqual(done["prefix"], lab.MAC_LINK + "/")
        self.assertEqual(steps[0]["probe"]["tsize"], len(self.tree.data("trees/pi4-common/start4.elf")))

    def test_pi3_symlinked_shared_tree(self):
        steps, done, out = self.walk("pi3", lab.SHARED_SERIAL)
        self.assertEqual(done["prefix"], lab.SHARED_SERIAL + "/")
        rom = steps[0]
        self.assertEqual(rom["file"], "bootcode.bin")
        self.assertFalse(rom["fetch"]["oack_received"])  # the ROM asks no options
        self.assertEqual(rom["fetch"]["blksize"], 512)
        for s in steps:
            # Root files come from the ROM (no options); missing optional files get an ERROR.
            found = "probe" in s and s["probe"]["outcome"] != "server-error"
            if found and s["kind"] != "root-file":
                self.assertEqual(list(s["probe"]["oack"]), ["tsize"])  # tsize only, 512 blocks
                self.assertEqual(s["probe"]["blksize"], 512)
        self.check_fetched(steps, out, "root/shared",
                           ["bootcode.bin", "start.elf", "fixup.dat", "bcm2710-rpi-3-b.dtb",
                            "cmdline.txt", "kernel8.img", "config.txt"])

    def test_pi3_root_fallback_when_serial_missing(self):
        # No <serial>/ directory: the start.elf probe gets file-not-found and the Pi falls back
        # to the root, where these files do not exist here, so the walk must fail on them.
        lab.write(os.path.join(self.tree.root, "start.elf"), self.tree.data("root/shared/start.elf"))
        r = lab.pi_client(self.d, "boot", "--model", "pi3", "--prefix", "0badc0de")
        lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
        self.assertEqual(lines[-1]["prefix"], "")
        probe = next(x for x in lines if x.get("kind") == "prefix-probe")
        self.assertEqual(probe["probe"]["error_code"], 1)
        firmware = next(x for x in lines if x.get("kind") == "file" and x["file"] == "start.elf")
        self.assertEqual(firmware["requested"], "start.elf")
        self.assertEqual(firmware["fetch"]["outcome"], "complete")
        self.assertFalse(lines[-1]["ok"])  # fixup.dat etc. are not in the root

    def test_probe_is_quiet_in_the_log(self):
        log = self.d.log()
        self.assertIn("probe \"", log)
        self.assertNotIn(" WARN ", log)
        self.assertNotIn(" ERROR ", log)
        for line in log.splitlines():
            if " INFO " in line and line.split(" INFO ")[1].startswith("failed"):
                self.assertIn("not found", line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
