#!/usr/bin/env python3
"""The lab's boot trees follow core's table: <build>/pi-facts.json is what the freshly built
`rpinetboot-facts --json` prints, its columns agree with the C++ table that core_test checks,
and every file a model's plan requires is in the tree boot_files writes for it.

No privileges or network needed.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import boot_files  # noqa: E402

MODELS = ("rom3", "bootcode", "pi4", "pi5")


class BootFilesMatchCore(unittest.TestCase):
    def test_export_is_current(self):
        build = os.path.dirname(boot_files.facts_path())
        tool = os.path.join(build, "core", "rpinetboot-facts")
        fresh = json.loads(subprocess.run([tool, "--json"], check=True, capture_output=True,
                                          text=True, timeout=30).stdout)
        self.assertEqual(fresh, boot_files.facts())

    def test_columns(self):
        models = boot_files.facts()["models"]
        self.assertEqual(sorted(models), sorted(MODELS))
        # The same facts core_test checks on the C++ side, seen through the export.
        self.assertEqual([m for m in MODELS if not models[m]["sends_request"]], ["rom3", "bootcode"])
        self.assertEqual(models["rom3"]["shape"], "A")
        self.assertEqual(models["pi5"]["class"], "RPI_NETBOOT_PI5")
        self.assertEqual(models["pi4"]["firmware_tftp"], {"tsize": True, "blksize": 1468})
        self.assertEqual(models["rom3"]["boot_plan"][0],
                         {"kind": "root-file", "file": "bootcode.bin", "required": True,
                          "purpose": "second stage", "tftp": {"tsize": False, "blksize": None}})
        self.assertEqual(len(models["bootcode"]["request_list"]), 14)
        self.assertEqual(boot_files.kernel("pi5"), "kernel_2712.img")
        # auto_initramfs: the initramfs is named after the kernel (core's autoInitramfs).
        self.assertEqual(boot_files.initramfs("pi5"), "initramfs_2712")
        self.assertEqual(boot_files.initramfs("pi4"), "initramfs8")

    def test_trees_hold_every_required_file(self):
        with tempfile.TemporaryDirectory(prefix="rpinb-boot-files-") as tmp:
            root = boot_files.rom_files(tmp)
            for model in MODELS:
                written = boot_files.boot_files(os.path.join(tmp, model), model, "root=/dev/nfs\n")
                for step in boot_files.plan(model):
                    if not step["required"] or step["kind"] == "reread":
                        continue
                    have = root if step["kind"] == "root-file" else written
                    self.assertIn(step["file"], have, f"{model}: {step}")
                    if step["kind"] != "root-file":
                        self.assertTrue(os.path.isfile(os.path.join(tmp, model, step["file"])))
                self.assertIn(f"kernel={boot_files.kernel(model)}\n",
                              written["config.txt"].decode())
                self.assertIn("auto_initramfs=1\n" if model == "pi5" else
                              f"initramfs {boot_files.initramfs(model)} followkernel\n",
                              written["config.txt"].decode())
                self.assertIn(boot_files.initramfs(model), written)


if __name__ == "__main__":
    unittest.main()
