#!/usr/bin/python3
"""File data: memory bounded by the cache limit whatever the clients fetch, and a cold file read
off the event loop, so other transfers' next DATA is not held up.

- 100 clients fetching 100 distinct 8 MB files: the daemon's peak RSS stays under
  --cache-mb + 64 MB (each transfer once kept a full copy of its file: 803 MB against 256).
- A cold 100 MB file, cached (loaded in the background) or streamed, delays another transfer's
  next DATA by a few milliseconds at most (it was read whole on the event loop)."""

import json
import os
import socket
import struct
import subprocess
import time
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab

MB = 1 << 20


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def make_cold(path, size, sparse=True):
    """A file of `size` bytes evicted from the page cache: real data on disk, or (sparse, for
    the memory test, which must not write GBs) distinct only in its first block."""
    with open(path, "wb") as f:
        if sparse:
            f.write(os.path.basename(path).encode().ljust(4096, b"-"))
            f.truncate(size)
        else:
            for _ in range(size // MB):
                f.write(os.urandom(MB))
            f.write(os.urandom(size % MB))
        f.flush()
        os.fsync(f.fileno())
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


class FileData(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_tools(lab.daemon_path(), lab.client_path())
        cls.tree = lab.Tree()

    def daemon(self, *extra):
        d = lab.Daemon(self.tree, extra=list(extra), log_level="info")
        self.addCleanup(d.stop)
        return d

    def test_100_clients_100_distinct_8mb_files_bounded_memory(self):
        names = []
        for i in range(100):
            name = f"many/file{i:03}.bin"
            path = os.path.join(self.tree.root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            make_cold(path, 8 * MB)
            names.append(name)
        d = self.daemon("--cache-mb", "128", "--max-transfers", "200", "--max-per-client", "200")
        procs = []
        try:
            for name in names:
                procs.append(subprocess.Popen(
                    [lab.client_path(), "fetch", "--file", name, "--option", "tsize=0",
                     "--option", "blksize=1468", "--timeout-ms", "2000", "--retries", "10",
                     "--file-timeout-ms", "150000",
                     "--server", "127.0.0.1", "--port", str(d.port)],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
            outcomes = []
            for p in procs:
                out, _ = p.communicate(timeout=180)
                outcomes.append(json.loads(out.splitlines()[-1]) if out.strip() else {})
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=5)
        complete = [o for o in outcomes if o.get("outcome") == "complete"
                    and o.get("bytes") == 8 * MB]
        peak = peak_rss_kib(d.proc.pid) // 1024
        print(f"100 x 8 MB distinct files: {len(complete)} complete, peak RSS {peak} MB "
              f"(bound 128 + 64)")
        self.assertEqual(len(complete), 100, [o for o in outcomes if o not in complete][:3])
        self.assertLess(peak, 128 + 64)
        d.wait_log("file cache full")

    def next_data_delays(self, d, cold_name, cold_size):
        """A lock-step transfer of a warm file measures ACK -> next DATA while another client
        starts the cold file. Returns the delays (s) seen while the cold one starts."""
        warm = lab.RawClient(d, source="127.0.0.2")
        self.assertEqual(warm.request(f"{lab.SERIAL}/kernel8.img", (("blksize", "512"),))[0],
                         "oack")
        for _ in range(200):  # warmed up: the file is in memory, the path hot
            warm.step()
        cold = subprocess.Popen(
            [lab.client_path(), "fetch", "--file", cold_name, "--option", "tsize=0",
             "--option", "blksize=1468", "--server", "127.0.0.1", "--port", str(d.port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(lambda: cold.poll() is None and (cold.kill(), cold.wait(5)))
        delays = []
        t_end = time.monotonic() + 1.5  # the cold file's first second and a half
        while time.monotonic() < t_end:
            t0 = time.perf_counter()
            warm.step()
            delays.append(time.perf_counter() - t0)
        warm.abort()
        out, _ = cold.communicate(timeout=120)
        result = json.loads(out.splitlines()[-1])
        self.assertEqual((result["outcome"], result["bytes"]), ("complete", cold_size), result)
        return sorted(delays)

    def check_delays(self, what, delays):
        p50, p99, worst = (delays[len(delays) // 2], delays[int(len(delays) * 0.99)],
                           delays[-1])
        print(f"{what}: next DATA after ACK over {len(delays)} blocks: p50 {p50 * 1e3:.2f} ms, "
              f"p99 {p99 * 1e3:.2f} ms, max {worst * 1e3:.2f} ms")
        # The goal is 5 ms; the assertions leave room for a loaded CI machine (the Python
        # client's own scheduling: 2 cores, load average 8 gave p99 8 ms, max 47 ms) while still
        # catching a loop that reads the 100 MB itself (441 ms there).
        self.assertLess(p99, 0.025)
        self.assertLess(worst, 0.150)

    def test_cold_100mb_cached_file_does_not_stall_other_transfers(self):
        make_cold(os.path.join(self.tree.root, "cold-cached.bin"), 100 * MB, sparse=False)
        d = self.daemon("--cache-mb", "256", "--max-cached-file-mb", "128")
        self.check_delays("cold 100 MB, loaded into the cache",
                          self.next_data_delays(d, "cold-cached.bin", 100 * MB))

    def test_cold_100mb_streamed_file_does_not_stall_other_transfers(self):
        make_cold(os.path.join(self.tree.root, "cold-streamed.bin"), 100 * MB, sparse=False)
        d = self.daemon("--cache-mb", "256", "--max-cached-file-mb", "64")
        self.check_delays("cold 100 MB, streamed",
                          self.next_data_delays(d, "cold-streamed.bin", 100 * MB))


if __name__ == "__main__":
    unittest.main(verbosity=2)
