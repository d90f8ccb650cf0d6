#!/usr/bin/python3
"""Which transfer I/O engine rpi-tftpd runs, and that it says so: io_uring when the kernel
allows it; epoll, with the reason logged, when io_uring_setup(2) is refused (here by a seccomp
filter, as systemd's SystemCallFilter= or a container profile refuses it: no_io_uring.py);
RPI_TFTPD_ENGINE=io_uring refused at start-up when io_uring is not there, and a bad value
refused; io_uring's multishot receive and cooperative completions, and what it falls back to. Each
daemon then serves a Pi 4 kernel byte-identical (curl and the Pi-pattern client)."""

import os
import sys
import tempfile
import unittest

os.environ.pop("RPI_TFTPD_ENGINE", None)  # this test chooses per daemon
import tftpd_lab as lab  # noqa: E402
from tftpd_lab import netlab  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NO_IO_URING = [sys.executable, os.path.join(HERE, "no_io_uring.py")]
KERNEL = f"{lab.SERIAL}/kernel8.img"


class Engine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_tools("curl", lab.daemon_path())
        cls.tree = lab.Tree()
        cls.out = tempfile.mkdtemp(prefix="rpinb-engine-")
        netlab._cleanups.append(lambda: os.system(f"rm -rf '{cls.out}'"))

    def serves(self, d):
        local = os.path.join(self.out, "kernel8.img")
        r = netlab.run(["curl", "-sS", "--max-time", "30", "--tftp-blksize", "1468", "-o", local,
                        f"tftp://127.0.0.1:{d.port}/{KERNEL}"], check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(local, "rb") as f:
            self.assertEqual(f.read(), self.tree.files[f"root/{KERNEL}"])
        r = lab.pi_client(d, "fetch", "--file", KERNEL, "--option", "tsize=0", "--option",
                          "blksize=1468")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def engine_line(self, d):
        lines = [l for l in d.log().splitlines() if "transfer I/O: " in l]
        self.assertEqual(len(lines), 1, d.log())
        return lines[0]

    def test_io_uring_when_the_kernel_allows_it(self):
        if not lab.built_with_io_uring() or not lab.io_uring_available():
            netlab.skip_or_fail("io_uring not available to this build or kernel")
        d = lab.Daemon(self.tree, log_level="info")
        try:
            # A kernel 6.0+ takes the provided-buffer ring: one receive entry per transfer;
            # 5.19+ cooperative task running (IORING_SETUP_COOP_TASKRUN).
            release = tuple(int(x) for x in os.uname().release.split(".")[:2])
            mode = "multishot receive" if release >= (6, 0) else "one receive per datagram"
            if release >= (5, 19):
                mode += ", cooperative completions"
            self.assertTrue(self.engine_line(d).endswith(f"transfer I/O: io_uring, {mode}"),
                            d.log())
            self.serves(d)
        finally:
            d.stop()
        # The receive entry per datagram (kernels before 6.0, or RPI_TFTPD_MULTISHOT=0) and
        # completions that interrupt the loop (before 5.19, or RPI_TFTPD_COOP_TASKRUN=0) serve
        # the same bytes.
        off = {"RPI_TFTPD_MULTISHOT": "0", "RPI_TFTPD_COOP_TASKRUN": "0"}
        os.environ.update(off)  # inherited by the daemon
        try:
            d = lab.Daemon(self.tree, log_level="info")
        finally:
            for k in off:
                del os.environ[k]
        try:
            self.assertTrue(self.engine_line(d).endswith(
                "transfer I/O: io_uring, one receive per datagram"), d.log())
            self.serves(d)
        finally:
            d.stop()

    def test_epoll_with_the_reason_when_io_uring_is_refused(self):
        d = lab.Daemon(self.tree, log_level="info", argv_prefix=NO_IO_URING)
        try:
            line = self.engine_line(d)
            self.assertIn("transfer I/O: epoll (io_uring not available: ", line)
            if lab.built_with_io_uring():
                self.assertIn("io_uring_setup: Operation not permitted", line)
            self.serves(d)
        finally:
            d.stop()

    def test_forced_io_uring_without_it_stops_start_up(self):
        env = dict(os.environ, RPI_TFTPD_ENGINE="io_uring")
        r = netlab.run(NO_IO_URING + [lab.daemon_path(), "--config", "/dev/null", "--root",
                                      self.tree.root, "--listen",
                                      f"127.0.0.1:{lab.free_port()}"],
                       check=False, timeout=10, env=env)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("RPI_TFTPD_ENGINE=io_uring, but io_uring is not available",
                      r.stdout + r.stderr)

    def test_forced_epoll_and_a_bad_value(self):
        os.environ["RPI_TFTPD_ENGINE"] = "epoll"  # inherited by the daemon
        try:
            d = lab.Daemon(self.tree, log_level="info")
        finally:
            del os.environ["RPI_TFTPD_ENGINE"]
        try:
            self.assertIn("transfer I/O: epoll (RPI_TFTPD_ENGINE=epoll)", self.engine_line(d))
            self.serves(d)
        finally:
            d.stop()
        env = dict(os.environ, RPI_TFTPD_ENGINE="uring\x01")
        r = netlab.run([lab.daemon_path(), "--config", "/dev/null", "--root", self.tree.root,
                        "--listen", f"127.0.0.1:{lab.free_port()}"],
                       check=False, timeout=10, env=env)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("RPI_TFTPD_ENGINE must be epoll or io_uring", r.stdout + r.stderr)


if __name__ == "__main__":
    netlab.require_root()
    unittest.main(verbosity=2)
