#!/usr/bin/python3
"""rpi-tftpd's boot events (--events json:PATH): one TFTP_FILE line per request, checked field by
field after real transfers: a complete fetch with curl from a serial directory and from a MAC
directory, a file that is not there, and the Pi bootloader's early terminate (tftp_pi_client).
Also: the configuration-file key (kept across a reload), the default (none: nothing written), and a bad value refused
at start-up with the option named.

Loopback only."""

import json
import os
import signal
import tempfile
import time
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab

PROBED = f"{lab.SERIAL}/start4.elf"   # 2,000,003 bytes
FETCHED = f"{lab.SERIAL}/config.txt"  # 4,404 bytes
MAC_FILE = f"{lab.MAC_DIR}/start4.elf"


def read_events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class Events(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_tools(lab.daemon_path(), lab.client_path(), "curl")
        cls.tree = lab.Tree()

    def events_path(self):
        path = tempfile.mktemp(prefix="rpinb-events-", suffix=".jsonl")
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        return path

    def curl(self, d, name):
        out = tempfile.mktemp(prefix="rpinb-events-get-")
        self.addCleanup(lambda: os.path.exists(out) and os.unlink(out))
        r = netlab.run(["curl", "-sS", "--max-time", "20", "-o", out,
                        f"tftp://127.0.0.1:{d.port}/{name}"], check=False, timeout=30)
        return r.returncode

    def wait_events(self, path, count):
        # The queue's thread writes a moment after the transfer ended.
        try:
            netlab.wait_for(lambda: len(read_events(path)) >= count, timeout=10, interval=0.05,
                            what=f"{count} events")
        except TimeoutError:
            self.fail(f"events written: {read_events(path)}")
        return read_events(path)

    def test_one_event_per_request(self):
        path = self.events_path()
        d = lab.Daemon(self.tree, extra=["--events", f"json:{path}"])
        self.addCleanup(d.stop)
        t0 = time.time_ns() // 1000
        self.assertEqual(self.curl(d, FETCHED), 0)
        self.assertEqual(self.curl(d, MAC_FILE), 0)
        self.assertNotEqual(self.curl(d, f"{lab.SERIAL}/no-such-file.bin"), 0)
        r = lab.pi_client(d, "fetch", "--file", PROBED, "--option", "tsize=0",
                          "--option", "blksize=1468", "--stop", "oack")
        self.assertEqual(json.loads(r.stdout.splitlines()[-1])["outcome"], "early-terminated",
                         r.stdout + r.stderr)
        events = self.wait_events(path, 4)
        t1 = time.time_ns() // 1000
        time.sleep(0.3)  # nothing more may come
        events = read_events(path)
        self.assertEqual(len(events), 4, events)
        fetched, mac, missing, probe = events

        for e in events:
            self.assertEqual(e["step"], "TFTP_FILE", e)
            self.assertEqual(e["source"], "rpi-tftpd", e)
            self.assertEqual(e["address"], "127.0.0.1", e)
            self.assertTrue(t0 <= e["timestamp_us"] <= t1, (t0, e, t1))
            self.assertTrue(0 < e["duration_us"] <= t1 - t0, e)
            self.assertIn("message", e)

        self.assertEqual(fetched["serial"], lab.SERIAL)
        self.assertNotIn("mac", fetched)
        self.assertEqual(fetched["file"], FETCHED)
        self.assertEqual(fetched["bytes"], len(self.tree.data(f"root/{FETCHED}")))
        self.assertEqual(fetched["outcome"], "ok")
        self.assertNotIn("error", fetched)

        self.assertEqual(mac["mac"], lab.MAC_DIR.replace("-", ":"))
        self.assertNotIn("serial", mac)
        self.assertEqual(mac["bytes"], len(self.tree.data(f"root/{MAC_FILE}")))
        self.assertEqual(mac["outcome"], "ok")

        self.assertEqual(missing["serial"], lab.SERIAL)
        self.assertEqual(missing["file"], f"{lab.SERIAL}/no-such-file.bin")
        self.assertEqual(missing["outcome"], "failed")
        self.assertEqual(missing["error"], "file not found")
        self.assertEqual(missing["bytes"], 0)

        # The Pi's size probe (OACK, then ERROR "Early terminate"): the file is there, nothing
        # was sent, and the text says so.
        self.assertEqual(probe["serial"], lab.SERIAL)
        self.assertEqual(probe["file"], PROBED)
        self.assertEqual(probe["outcome"], "ok")
        self.assertEqual(probe["bytes"], 0)
        self.assertTrue(probe["text"].startswith("early terminate"), probe)
        self.assertEqual(d.stop(), 0)

    def test_configuration_key(self):
        path = self.events_path()
        d = lab.Daemon(self.tree, config_text=f"root = {self.tree.root}\nevents = json:{path}\n")
        self.addCleanup(d.stop)
        self.assertEqual(self.curl(d, "bootcode.bin"), 0)
        (e,) = self.wait_events(path, 1)
        self.assertEqual((e["file"], e["outcome"], e["bytes"]),
                         ("bootcode.bin", "ok", len(self.tree.data("root/bootcode.bin"))))
        self.assertNotIn("serial", e)
        # A reload keeps the sink it started with (and says so): the file stays open.
        other = self.events_path()
        with open(d.config, "w") as f:
            f.write(f"root = {self.tree.root}\nevents = json:{other}\n")
        d.proc.signal(signal.SIGHUP)
        d.wait_log("--events and --user change only on restart", timeout=10)
        self.assertEqual(self.curl(d, FETCHED), 0)
        self.assertEqual(self.wait_events(path, 2)[1]["file"], FETCHED)
        self.assertFalse(os.path.exists(other))

    def test_default_is_none(self):
        d = lab.Daemon(self.tree)
        self.addCleanup(d.stop)
        self.assertEqual(self.curl(d, FETCHED), 0)
        time.sleep(0.3)
        d.stop()
        self.assertNotIn("TFTP_FILE", d.log())
        self.assertNotIn("boot events to", d.log())

    def test_bad_value_refused(self):
        for spec in ("bogus", "json:"):
            with self.subTest(spec=spec):
                with self.assertRaises(RuntimeError) as ctx:
                    lab.Daemon(self.tree, extra=["--events", spec])
                self.assertIn("--events", str(ctx.exception))
        # A file that cannot be opened stops start-up too, with the path named.
        with self.assertRaises(RuntimeError) as ctx:
            lab.Daemon(self.tree, extra=["--events", "json:/nonexistent-dir/events.jsonl"])
        self.assertIn("/nonexistent-dir/events.jsonl", str(ctx.exception))


if __name__ == "__main__":
    unittest.main(verbosity=2)
