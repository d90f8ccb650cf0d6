#!/usr/bin/python3
"""rpi-tftpd's /metrics: real transfers (curl, the Pi-pattern client), a scrape with curl, the
exposition checked by promtool (Debian's prometheus package) and its counters compared with
what was done; a metrics port in use stops start-up with the address named; bad HTTP requests
and a silent HTTP client get their answer (or their timeout) while a TFTP transfer runs on.

Loopback only."""

import json
import os
import pwd
import re
import socket
import subprocess
import tempfile
import time
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab

BOOTCODE = "bootcode.bin"                # 52,000 bytes in the tree's root
PROBED = f"{lab.SERIAL}/start4.elf"      # 2,000,003 bytes
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(text):
    """{'name{labels}': value} of every sample (promtool has validated the syntax)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError(f"unparsed line: {line!r}")
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def http_raw(port, request, timeout=5.0):
    """Sends raw bytes, returns everything the server sent until it closed (or the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return data


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_tools(lab.daemon_path(), lab.client_path(), "curl", "promtool")
        cls.tree = lab.Tree()

    def daemon(self, extra=()):
        self.mport = free_tcp_port()
        d = lab.Daemon(self.tree, extra=["--metrics-listen", f"127.0.0.1:{self.mport}",
                                         *extra])
        self.addCleanup(d.stop)
        return d

    def scrape(self):
        r = netlab.run(["curl", "-sS", "--max-time", "5", "-D", "-",
                        f"http://127.0.0.1:{self.mport}/metrics"], check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        # Text mode has turned the header's CRLFs into newlines.
        head, _, body = r.stdout.partition("\n\n")
        self.assertTrue(head.startswith("HTTP/1.1 200"), head)
        self.assertIn("content-type: text/plain; version=0.0.4", head.lower())
        # The real parser: promtool reads the exposition (and lints the names) from stdin.
        check = subprocess.run(["promtool", "check", "metrics"], input=body, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + "\n" + body)
        self.assertEqual(check.stdout.strip(), "", check.stdout)
        return parse(body)

    def settled(self, want):
        """Scrapes until every sample in `want` has its value (transfers end a moment after
        the client's last ACK, the reader finishes a load in the background)."""
        last = {}

        def ok():
            nonlocal last
            last = self.scrape()
            return all(last.get(k) == v for k, v in want.items())
        try:
            netlab.wait_for(ok, timeout=10, interval=0.1, what="metrics")
        except TimeoutError:
            diff = {k: (last.get(k), v) for k, v in want.items() if last.get(k) != v}
            self.fail(f"metrics (got, want): {diff}")
        return last

    def curl_tftp(self, d, name):
        out = tempfile.mktemp(prefix="rpinb-metrics-")
        self.addCleanup(lambda: os.path.exists(out) and os.unlink(out))
        r = netlab.run(["curl", "-sS", "--max-time", "20", "-o", out,
                        f"tftp://127.0.0.1:{d.port}/{name}"], check=False, timeout=30)
        data = None
        if os.path.exists(out):
            with open(out, "rb") as f:
                data = f.read()
        return r.returncode, data

    def test_counters_equal_what_was_done(self):
        d = self.daemon()
        before = self.scrape()
        self.assertEqual(before["rpi_tftpd_requests_total"], 0)
        self.assertEqual(before['rpi_tftpd_first_reply_seconds_bucket{le="+Inf"}'], 0)

        rc, data = self.curl_tftp(d, BOOTCODE)                  # complete
        self.assertEqual(rc, 0)
        self.assertTrue(data == self.tree.data(f"root/{BOOTCODE}"), "bootcode.bin content")
        rc, _ = self.curl_tftp(d, "no-such-file.bin")           # not found
        self.assertNotEqual(rc, 0)
        r = lab.pi_client(d, "fetch", "--file", PROBED, "--option", "tsize=0",
                          "--option", "blksize=1468", "--stop", "oack")  # the Pi's probe
        result = json.loads(r.stdout.splitlines()[-1])
        self.assertEqual(result["outcome"], "early-terminated", r.stdout + r.stderr)

        size = len(self.tree.data(f"root/{BOOTCODE}"))
        probed = len(self.tree.data(f"root/{PROBED}"))
        m = self.settled({
            "rpi_tftpd_requests_total": 3,
            "rpi_tftpd_transfers_started_total": 2,
            "rpi_tftpd_transfers_completed_total": 1,
            "rpi_tftpd_transfers_early_terminated_total": 1,
            'rpi_tftpd_transfers_failed_total{reason="not_found"}': 1,
            "rpi_tftpd_transfers_active": 0,
            "rpi_tftpd_sent_bytes_total": size,       # the probe got an OACK, no DATA
            "rpi_tftpd_retransmits_total": 0,
            "rpi_tftpd_cache_misses_total": 2,
            "rpi_tftpd_cache_hits_total": 0,
            "rpi_tftpd_cache_entries": 2,
            "rpi_tftpd_cache_resident_bytes": size + probed,
            "rpi_tftpd_disk_read_bytes_total": size + probed,  # the probed file, loaded anyway
            "rpi_tftpd_disk_read_errors_total": 0,
            "rpi_tftpd_evictions_total": 0,
        })
        for k, v in m.items():
            if k.startswith("rpi_tftpd_transfers_failed_total") and "not_found" not in k:
                self.assertEqual(v, 0, k)
        # One latency per started transfer; buckets cumulative; +Inf holds them all.
        buckets = [(k, v) for k, v in m.items()
                   if k.startswith("rpi_tftpd_first_reply_seconds_bucket")]
        self.assertEqual(len(buckets), 12)
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets))
        self.assertEqual(m['rpi_tftpd_first_reply_seconds_bucket{le="+Inf"}'], 2)
        self.assertEqual(m["rpi_tftpd_first_reply_seconds_count"], 2)
        self.assertGreater(m["rpi_tftpd_first_reply_seconds_sum"], 0)

        # The same file again is a cache hit.
        rc, data = self.curl_tftp(d, BOOTCODE)
        self.assertEqual(rc, 0)
        self.settled({"rpi_tftpd_cache_hits_total": 1, "rpi_tftpd_transfers_completed_total": 2,
                      "rpi_tftpd_sent_bytes_total": 2 * size})

    def test_refusals_and_evictions_are_counted(self):
        d = self.daemon(extra=["--max-per-client", "1"])
        held = lab.RawClient(d)
        self.assertEqual(held.request(PROBED, (("blksize", "1024"),))[0], "oack")
        for _ in range(5):
            held.step()
        # Its quota is full with a moving transfer: refused, nothing ended.
        reply = lab.ask(d, lab.rrq(BOOTCODE))
        self.assertEqual(reply[0], "error", reply)
        self.settled({'rpi_tftpd_transfers_failed_total{reason="busy"}': 1,
                      'rpi_tftpd_refusals_total{limit="per_client"}': 1,
                      'rpi_tftpd_refusals_total{limit="total"}': 0,
                      "rpi_tftpd_transfers_active": 1})
        self.assertTrue(held.finish() == self.tree.data(f"root/{PROBED}"), "held transfer")
        # Its end is the server's once it has read the last ACK: with io_uring that completion
        # may come after a request sent right behind it, which would still find the quota full.
        self.settled({"rpi_tftpd_transfers_active": 0})
        # A half-open transfer (OACK never acknowledged) gives way to the client's next request,
        # which the helper ends with the Pi's early terminate.
        half = lab.RawClient(d)
        self.assertEqual(half.request(BOOTCODE, (("tsize", "0"),))[0], "oack")
        reply = lab.ask(d, lab.rrq(BOOTCODE, options=(("tsize", "0"),)))
        self.assertEqual(reply[0], "oack", reply)
        self.settled({"rpi_tftpd_evictions_total": 1,
                      'rpi_tftpd_transfers_failed_total{reason="evicted"}': 1,
                      "rpi_tftpd_transfers_started_total": 3,
                      "rpi_tftpd_transfers_completed_total": 1,
                      "rpi_tftpd_transfers_early_terminated_total": 1,
                      "rpi_tftpd_requests_total": 4,
                      "rpi_tftpd_transfers_active": 0})

    def test_metrics_port_in_use_is_a_startup_error(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            tftp_port = lab.free_port()
            p = netlab.Proc([lab.daemon_path(), "--config", "/dev/null", "--root", self.tree.root,
                             "--listen", f"127.0.0.1:{tftp_port}",
                             "--metrics-listen", f"127.0.0.1:{port}"], name="rpi-tftpd")
            try:
                p.popen.wait(timeout=10)
            finally:
                p.stop()
            out = p.output()
            self.assertEqual(p.popen.returncode, 1, out)
            self.assertIn(f"cannot listen for metrics on 127.0.0.1:{port}", out)
            self.assertIn("Address already in use", out)
            self.assertNotIn("listening on", out)  # it stopped before serving anything
        # The TFTP port it would have used is free again.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", tftp_port))

    def test_bound_before_privileges_are_dropped(self):
        # A port below 1024 that only root may bind: served after the drop to nobody.
        netlab.require_root()
        port = None
        for candidate in range(990, 900, -1):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", candidate))
                except OSError:
                    continue
                port = candidate
                break
        self.assertIsNotNone(port, "no free privileged TCP port on loopback")
        os.chmod(self.tree.base, 0o755)  # the tree readable by nobody
        self.mport = port
        d = lab.Daemon(self.tree, extra=["--metrics-listen", f"127.0.0.1:{port}",
                                         "--user", "nobody"], ready="running as user nobody")
        self.addCleanup(d.stop)
        with open(f"/proc/{d.proc.pid}/status") as f:
            uid = [line.split()[1:] for line in f if line.startswith("Uid:")][0]
        self.assertEqual(set(uid), {str(pwd.getpwnam("nobody").pw_uid)})
        rc, data = self.curl_tftp(d, BOOTCODE)
        self.assertEqual(rc, 0)
        self.settled({"rpi_tftpd_transfers_completed_total": 1})

    def test_bad_http_requests_do_not_disturb_a_transfer(self):
        d = self.daemon()
        held = lab.RawClient(d)
        self.assertEqual(held.request(PROBED, (("blksize", "1024"),))[0], "oack")
        for _ in range(20):
            held.step()
        self.assertEqual(self.scrape()["rpi_tftpd_transfers_active"], 1)

        # A client that connects and says nothing, one that stops mid-header.
        silent = socket.create_connection(("127.0.0.1", self.mport))
        partial = socket.create_connection(("127.0.0.1", self.mport))
        self.addCleanup(silent.close)
        self.addCleanup(partial.close)
        partial.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")

        post = http_raw(self.mport, b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 5\r\n\r\nhello")
        self.assertTrue(post.startswith(b"HTTP/1.1 405 "), post[:200])
        self.assertIn(b"\r\nAllow: GET\r\n", post)
        head = http_raw(self.mport, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
                        b"Connection: close\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 405 "), head[:200])
        other = http_raw(self.mport, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertTrue(other.startswith(b"HTTP/1.1 404 "), other[:200])
        huge = http_raw(self.mport, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: "
                        + b"a" * 100_000 + b"\r\n\r\n")
        self.assertTrue(huge.startswith(b"HTTP/1.1 431 "), huge[:200])
        garbage = http_raw(self.mport, b"\x16\x03\x01 not http at all\r\n\r\n")
        self.assertTrue(garbage.startswith(b"HTTP/1.1 400 "), garbage[:200])

        # Two requests on one kept-alive connection (as Prometheus scrapes), then a close.
        two = http_raw(self.mport, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                       b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(two.count(b"HTTP/1.1 200 OK\r\n"), 2, two[:300])
        self.assertEqual(two.count(b"# TYPE rpi_tftpd_transfers_active gauge"), 2)

        # With all that going on (and the silent clients still connected), the transfer moves
        # on and completes intact, and a scrape is answered.
        self.assertTrue(held.finish() == self.tree.data(f"root/{PROBED}"), "held transfer")
        # Its end is the server's once it has read the last ACK: with io_uring that completion
        # may come after a request sent right behind it, which would still find the quota full.
        self.settled({"rpi_tftpd_transfers_active": 0})
        m = self.settled({"rpi_tftpd_transfers_completed_total": 1,
                          "rpi_tftpd_transfers_active": 0})
        self.assertEqual(m["rpi_tftpd_transfers_started_total"], 1)

        # The silent clients are cut off by the server's 10 s timeout, not kept forever.
        for s in (silent, partial):
            s.settimeout(20)
            start = time.monotonic()
            try:
                rest = s.recv(1000)
            except ConnectionResetError:
                rest = b""
            self.assertEqual(rest, b"")
            self.assertLess(time.monotonic() - start, 15)
        self.assertTrue(d.proc.alive())
        # An open HTTP connection does not hold up SIGTERM.
        idle = socket.create_connection(("127.0.0.1", self.mport))
        self.addCleanup(idle.close)
        start = time.monotonic()
        self.assertEqual(d.stop(), 0)
        self.assertLess(time.monotonic() - start, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
