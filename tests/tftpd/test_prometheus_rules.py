#!/usr/bin/python3
"""The monitoring examples against the real exporters.

examples/prometheus/rpi-netboot-alerts.yml: promtool accepts the rules, its unit tests
(rpi-netboot-alerts.test.yml) fire each alert on a broken fleet and none on a healthy one.
examples/prometheus/rpi-netboot-kea-stats: given a statistic-get-all answer holding every
statistic the Kea hook registers (read from kea-hook/src), it writes one series per statistic
that `promtool check metrics` accepts, and refuses an error answer. examples/grafana: the
dashboard is JSON Grafana can import, and each query is PromQL promtool parses. Every metric
name the rules and the dashboard use is one a running rpi-tftpd exports (loopback scrape) or
one rpi-netboot-kea-stats writes from the hook's statistics."""

import glob
import json
import os
import re
import socket
import subprocess
import tempfile
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab

EXAMPLES = os.path.join(netlab.source_dir(), "examples", "prometheus")
RULES = os.path.join(EXAMPLES, "rpi-netboot-alerts.yml")
KEA_STATS = os.path.join(EXAMPLES, "rpi-netboot-kea-stats")
DASHBOARD = os.path.join(netlab.source_dir(), "examples", "grafana", "rpi-netboot-fleet.json")
NAME = re.compile(r"\b(rpi_(?:tftpd|netboot_kea)_[a-z0-9_]+)\b")


def hook_statistics():
    """The statistic names the Kea hook registers, from its sources."""
    names = set()
    src = os.path.join(netlab.source_dir(), "kea-hook", "src")
    for path in glob.glob(os.path.join(src, "*.cpp")) + glob.glob(os.path.join(src, "*.h")):
        with open(path) as f:
            text = f.read()
        names.update(re.findall(r'"(pkt4-rpi-netboot-[a-z0-9-]+)"', text))
        if '"rpi-netboot-unconfirmed-holds"' in text:
            names.update({"subnet[1].rpi-netboot-unconfirmed-holds",
                          "subnet[22].rpi-netboot-unconfirmed-holds"})
    return names


def kea_stats(answer):
    """rpi-netboot-kea-stats run on `answer` (a statistic-get-all response) into a file."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "answer.json")
        out = os.path.join(tmp, "kea.prom")
        with open(src, "w") as f:
            json.dump(answer, f)
        r = subprocess.run([KEA_STATS, "/nonexistent/socket", out], text=True, timeout=30,
                           env=dict(os.environ, RPI_NETBOOT_KEA_STATS_JSON=src),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        text = None
        if os.path.exists(out):
            with open(out) as f:
                text = f.read()
        return r, text


def exported_families(text):
    return set(re.findall(r"^# TYPE (\S+) ", text, re.M))


def used_names(text, families):
    """Metric names in PromQL `text`, a histogram's _bucket/_sum/_count as its family."""
    out = set()
    for name in NAME.findall(text):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        out.add(base if base in families and base != name else name)
    return out


def promtool(*args):
    return subprocess.run(["promtool", *args], cwd=EXAMPLES, text=True, timeout=60,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


class AlertRules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_tools("promtool", "jq", "curl", lab.daemon_path())

    def test_rules_check(self):
        r = promtool("check", "rules", RULES)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("SUCCESS: 7 rules found", r.stdout)

    def test_rule_unit_tests(self):
        r = promtool("test", "rules", "rpi-netboot-alerts.test.yml")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("SUCCESS", r.stdout)

    def scrape(self):
        """The # TYPE families of a real rpi-tftpd's /metrics (after `promtool check metrics`)."""
        tree = lab.Tree()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        d = lab.Daemon(tree, extra=["--metrics-listen", f"127.0.0.1:{port}"])
        self.addCleanup(d.stop)
        r = netlab.run(["curl", "-sS", "--max-time", "5", f"http://127.0.0.1:{port}/metrics"])
        check = subprocess.run(["promtool", "check", "metrics"], input=r.stdout, text=True,
                               timeout=60, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(check.returncode, 0, check.stdout)
        return exported_families(r.stdout)

    def kea_families(self):
        stats = hook_statistics()
        self.assertIn("pkt4-rpi-netboot-answered", stats)
        self.assertIn("pkt4-rpi-netboot-pi4-received", stats)
        answer = {"result": 0, "arguments": {
            name: [[i, "2026-12-05 10:00:00.000000"], [0, "2026-12-05 09:00:00.000000"]]
            for i, name in enumerate(sorted(stats))}}
        answer["arguments"]["pkt4-received"] = [[5, "2026-12-05 10:00:00.000000"]]  # Kea's own
        r, text = kea_stats(answer)
        self.assertEqual(r.returncode, 0, r.stderr)
        check = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                               timeout=60, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(check.returncode, 0, check.stdout + text)
        families = exported_families(text)
        # One family per hook statistic (the per-subnet gauge is one), none of Kea's own.
        self.assertEqual(len(families), len({re.sub(r"^subnet\[\d+\]\.", "", n) for n in stats}),
                         text)
        self.assertNotIn("rpi_netboot_kea_received_total 5", text)
        self.assertIn("rpi_netboot_kea_answered_total 0\n", text)  # newest value, first
        self.assertIn('rpi_netboot_kea_unconfirmed_holds{subnet="22"}', text)
        return families

    def test_kea_stats_refuses_an_error_answer(self):
        for answer in ({"result": 1, "text": "'statistic-get-all' command not supported"},
                       [{"result": 2, "text": "no service"}], "not json {"):
            r, text = kea_stats(answer)
            self.assertEqual(r.returncode, 1, (answer, r.stdout, r.stderr))
            self.assertIsNone(text, "nothing may be written on an error")
        # Through Kea's control agent the answer is a list of one.
        r, text = kea_stats([{"result": 0, "arguments": {
            "pkt4-rpi-netboot-answered": [[3, "2026-12-05 10:00:00.000000"]]}}])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("rpi_netboot_kea_answered_total 3\n", text)

    def test_rules_use_exported_names(self):
        with open(RULES) as f:
            text = "\n".join(line for line in f if not line.lstrip().startswith("#"))
        families = self.scrape() | self.kea_families()
        used = used_names(text, families)
        self.assertIn("rpi_tftpd_requests_total", used)
        self.assertIn("rpi_tftpd_boot_files_completed_total", used)
        self.assertIn("rpi_netboot_kea_pi4_received_total", used)
        self.assertFalse(used - families, f"not exported: {sorted(used - families)}")

    def test_dashboard(self):
        with open(DASHBOARD) as f:
            dash = json.load(f)
        self.assertEqual(dash["uid"], "rpi-netboot-fleet")
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        titles = " / ".join(p["title"] for p in dash["panels"])
        for wanted in ("Boots per hour", "Failures by step", "TFTP throughput", "TFTP latency"):
            self.assertIn(wanted, titles)
        self.assertGreater(len(exprs), 15)
        # Every panel's data source is the dashboard's Prometheus variable.
        for p in dash["panels"]:
            self.assertEqual(p["datasource"]["uid"], "${datasource}", p["title"])
        # Each query is PromQL that promtool parses (as a recording rule).
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            rules = {"groups": [{"name": "dashboard", "rules": [
                {"record": f"dashboard:query{i}", "expr": e} for i, e in enumerate(exprs)]}]}
            json.dump(rules, f)  # JSON is YAML
        self.addCleanup(os.unlink, f.name)
        r = promtool("check", "rules", f.name)
        self.assertEqual(r.returncode, 0, r.stdout)
        # Every metric it queries exists.
        families = self.scrape() | self.kea_families()
        used = set()
        for e in exprs:
            used |= used_names(e, families)
        for wanted in ("rpi_tftpd_boot_files_completed_total", "rpi_tftpd_sent_bytes_total",
                       "rpi_tftpd_first_reply_seconds", "rpi_netboot_kea_answered_total",
                       "rpi_tftpd_transfers_failed_total"):
            self.assertIn(wanted, used)
        self.assertFalse(used - families, f"not exported: {sorted(used - families)}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
