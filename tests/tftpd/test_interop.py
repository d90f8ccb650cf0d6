#!/usr/bin/python3
"""Interoperability: real clients from Debian (curl, atftp, tftp-hpa) fetch files byte-identical
from per-serial trees, symlinked shared trees, MAC trees and the template layout."""

import os
import shutil
import tempfile
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab


class Interop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_tools("curl", "atftp", "tftp", lab.daemon_path())
        cls.tree = lab.Tree()
        t = cls.tree
        cls.d = lab.Daemon(t, config_text=(
            f"root = {t.root}\nallow-root = {t.allowed}\n"
            f"layout = {t.layout}/{{serial}}/boot/{{path}}\n"))
        cls.out = tempfile.mkdtemp(prefix="rpinb-tftpd-out-")
        netlab._cleanups.append(lambda: shutil.rmtree(cls.out, ignore_errors=True))

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    # (request name, file under the test base that must come back)
    CASES = [
        (f"{lab.SERIAL}/start4.elf", f"root/{lab.SERIAL}/start4.elf"),        # per-serial
        (f"{lab.SERIAL}/config.txt", f"root/{lab.SERIAL}/config.txt"),        # 3 x 1468
        (f"{lab.SERIAL}/cmdline.txt", f"root/{lab.SERIAL}/cmdline.txt"),      # 2 x 512
        (f"{lab.SERIAL}/overlays/overlay_map.dtb",
         f"root/{lab.SERIAL}/overlays/overlay_map.dtb"),                       # empty file
        (f"{lab.SHARED_SERIAL}/start.elf", "root/shared/start.elf"),          # symlinked tree
        (f"{lab.MAC_DIR}/start4.elf", f"root/{lab.MAC_DIR}/start4.elf"),      # MAC tree
        (f"{lab.MAC_LINK}/start4.elf", "trees/pi4-common/start4.elf"),        # into allow-root
        (f"{lab.LAYOUT_SERIAL}/kernel8.img", f"nfs/{lab.LAYOUT_SERIAL}/boot/kernel8.img"),
        ("//bootcode.bin", "root/bootcode.bin"),                              # normalised
    ]

    def check_file(self, local, rel, how):
        with open(local, "rb") as f:
            got = f.read()
        want = self.tree.data(rel)
        self.assertEqual(len(got), len(want), f"{how}: size of {rel}")
        self.assertTrue(got == want, f"{how}: content of {rel}")

    def test_curl(self):
        for blksize in (512, 1468):
            for name, rel in self.CASES:
                if not self.tree.data(rel):
                    # curl 7.88 always asks tsize and rejects "tsize 0" in an OACK as illegal
                    # (its tftp.c), so no server can give it an empty file with tsize honoured.
                    continue
                local = os.path.join(self.out, f"curl-{blksize}")
                r = netlab.run(["curl", "-sS", "--max-time", "30", "--tftp-blksize", str(blksize),
                                "-o", local, f"tftp://127.0.0.1:{self.d.port}/{name}"],
                               check=False)
                self.assertEqual(r.returncode, 0, f"curl {name}: {r.stderr}")
                self.check_file(local, rel, f"curl blksize {blksize}")

    def test_atftp(self):
        for opts in ([], ["--option", "blksize 1468", "--option", "tsize 0"],
                     ["--option", "windowsize 4", "--option", "blksize 1024"]):
            for name, rel in self.CASES:
                local = os.path.join(self.out, "atftp")
                r = netlab.run(["atftp"] + opts + ["-g", "-r", name, "-l", local, "127.0.0.1",
                                                   str(self.d.port)], check=False)
                self.assertEqual(r.returncode, 0, f"atftp {opts} {name}: {r.stderr}")
                self.check_file(local, rel, f"atftp {opts}")

    def test_tftp_hpa(self):
        for name, rel in self.CASES:
            local = os.path.join(self.out, "hpa")
            if os.path.exists(local):
                os.unlink(local)
            r = netlab.run(["tftp", "-m", "binary", "127.0.0.1", str(self.d.port),
                            "-c", "get", name, local], check=False)
            self.assertEqual(r.returncode, 0, f"tftp {name}: {r.stderr}")
            self.check_file(local, rel, "tftp-hpa")

    def test_block_number_rollover(self):
        # 600000 bytes in 8-byte blocks = 75001 blocks: the block number wraps past 65535 to 0.
        data = bytes(range(256)) * 2343 + b"tail"
        lab.write(os.path.join(self.tree.root, "big.bin"), data)
        local = os.path.join(self.out, "big")
        r = netlab.run(["curl", "-sS", "--max-time", "120", "--tftp-blksize", "8", "-o", local,
                        f"tftp://127.0.0.1:{self.d.port}/big.bin"], check=False, timeout=150)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(local, "rb") as f:
            self.assertTrue(f.read() == data)
        self.d.wait_log("rolls over")

    def test_missing_and_refused_fail_cleanly_for_real_clients(self):
        local = os.path.join(self.out, "missing")
        r = netlab.run(["curl", "-sS", "-o", local,
                        f"tftp://127.0.0.1:{self.d.port}/deadbeef/start4.elf"], check=False)
        # 68 = CURLE_TFTP_NOTFOUND (the message is masked by curl/curl#11332's getpeername).
        self.assertEqual(r.returncode, 68, r.stderr)
        r = netlab.run(["atftp", "-g", "-r", "escape/secret.txt", "-l", local, "127.0.0.1",
                        str(self.d.port)], check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn(self.tree.base, r.stderr + r.stdout)


if __name__ == "__main__":
    if not os.path.exists(lab.daemon_path()):
        netlab.skip_or_fail("rpi-tftpd not built")
    unittest.main(verbosity=2)
