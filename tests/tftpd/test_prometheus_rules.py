#!/usr/bin/python3
"""examples/prometheus/rpi-netboot-alerts.yml: promtool accepts the rules, its unit tests
(rpi-netboot-alerts.test.yml) fire each alert on a broken fleet and none on a healthy one, and
every rpi_tftpd_* name the rules use is one a running rpi-tftpd exports (loopback)."""

import os
import re
import socket
import subprocess
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab

EXAMPLES = os.path.join(netlab.source_dir(), "examples", "prometheus")
RULES = os.path.join(EXAMPLES, "rpi-netboot-alerts.yml")


def promtool(*args):
    return subprocess.run(["promtool", *args], cwd=EXAMPLES, text=True, timeout=60,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


class AlertRules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_tools("promtool", lab.daemon_path())

    def test_rules_check(self):
        r = promtool("check", "rules", RULES)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("SUCCESS: 6 rules found", r.stdout)

    def test_rule_unit_tests(self):
        r = promtool("test", "rules", "rpi-netboot-alerts.test.yml")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("SUCCESS", r.stdout)

    def test_rules_use_exported_names(self):
        with open(RULES) as f:
            text = "\n".join(line for line in f if not line.lstrip().startswith("#"))
        used = set(re.findall(r"\b(rpi_tftpd_[a-z_]+?)(?:_bucket)?\b", text))
        self.assertIn("rpi_tftpd_requests_total", used)
        tree = lab.Tree()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        d = lab.Daemon(tree, extra=["--metrics-listen", f"127.0.0.1:{port}"])
        self.addCleanup(d.stop)
        r = netlab.run(["curl", "-sS", "--max-time", "5", f"http://127.0.0.1:{port}/metrics"])
        exported = set(re.findall(r"^# TYPE (\S+) ", r.stdout, re.M))
        self.assertFalse(used - exported, f"not exported: {sorted(used - exported)}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
