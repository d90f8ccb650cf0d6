#!/usr/bin/python3
"""rpi-tftp-loadgen plays the Pi pattern faithfully (ctest bench_loadgen_pattern).

A scripted TFTP responder in a network namespace answers every transfer from its one port
(127.0.0.1:69, as a server with a shared transfer socket does) and records what it sees. It
also sends what a generator keyed wrongly would accept: a short DATA from another port (a stray
TID), a short DATA to the Pi's previous port (the probe's), and every DATA 3 twice. Checked:
each RRQ (tsize 0, blksize B: docs/protocol/tftp.md) comes from the Pi's own 127.2.x.y with
--distinct-sources 1, probe and fetch from different ports, the probe ended with ERROR 0
"Early terminate" from the probe's port, every fetch complete and of the right size despite
the decoys, and each duplicate counted (and answered with its ACK again). Without distinct sources (the per-Pi socket fallback)
the same holds but for the source address. A --plan boot (a probe of a missing file, a probe,
two fetches) walks its steps in order and counts what the server had to send. Packets as RFC 1350 (opcodes, DATA/ACK/ERROR)
and RFC 2347 (OACK) lay them out.

    test_loadgen.py                 the test (root: namespaces)
    test_loadgen.py --responder LOG SIZE    the responder, run inside the namespace
"""

import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "lib"))
import netlab  # noqa: E402

SIZE = 5000  # four blocks of 1468: 1468 * 3 + 596
BLKSIZE = 1468
PIS = 5
ROUNDS = 3  # the pool has 4 sockets: round 3 reuses round 1's ports
FILE = "bf9fed6f/kernel8.img"


def responder(log_path, size):
    """Answers RRQs with OACK, ACK n with DATA n+1; logs every RRQ and ERROR as JSON lines."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 69))
    decoy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    decoy.bind(("127.0.0.1", 0))
    payload = bytes(i % 251 for i in range(size))
    blocks = {}  # (ip, port) -> last DATA block sent
    previous = {}  # Pi address -> (address, port) of its previous RRQ
    log = open(log_path, "w")

    def record(**event):
        log.write(json.dumps(event) + "\n")
        log.flush()

    def data(block):
        return struct.pack("!HH", 3, block) + payload[(block - 1) * BLKSIZE:block * BLKSIZE]

    for _ in range(100000):  # bounded: far more packets than the test sends
        pkt, peer = srv.recvfrom(65536)
        op = struct.unpack("!H", pkt[:2])[0]
        if op == 1:
            fields = pkt[2:].split(b"\0")
            opts = dict(zip(fields[2::2], fields[3::2]))
            record(kind="rrq", ip=peer[0], port=peer[1], file=fields[0].decode(),
                   options={k.decode(): v.decode() for k, v in opts.items() if k})
            if fields[0].startswith(b"missing"):  # what a Pi probes for and may not find
                srv.sendto(struct.pack("!HH", 5, 1) + b"File not found\0", peer)
                continue
            blocks[peer] = 0
            srv.sendto(struct.pack("!H", 6) + b"tsize\0%d\0blksize\0%d\0" % (size, BLKSIZE), peer)
            if peer[0] != "127.0.0.1":  # one address per Pi: its previous port is known
                earlier = previous.get(peer[0])
                previous[peer[0]] = peer
                if earlier and earlier != peer:
                    # Right server port, but to the Pi's previous request: must be ignored.
                    srv.sendto(struct.pack("!HH", 3, 1) + b"stale", earlier)
        elif op == 5:
            code = struct.unpack("!H", pkt[2:4])[0]
            record(kind="error", ip=peer[0], port=peer[1], code=code,
                   message=pkt[4:].split(b"\0")[0].decode())
            blocks.pop(peer, None)
        elif op == 4 and peer in blocks:
            ack = struct.unpack("!H", pkt[2:4])[0]
            if ack != blocks[peer]:
                continue
            block = ack + 1
            if (block - 1) * BLKSIZE > size:
                record(kind="done", ip=peer[0], port=peer[1])
                blocks.pop(peer)
                continue
            blocks[peer] = block
            if block == 2:
                decoy.sendto(struct.pack("!HH", 3, 2) + b"stray", peer)  # another TID
            srv.sendto(data(block), peer)
            if block == 3:
                srv.sendto(data(block), peer)  # a duplicate, as after a lost ACK


class LoadgenPattern(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_root()
        build = netlab.build_dir()
        cls.gen = os.path.join(build, "bench", "tftp", "rpi-tftp-loadgen")
        if not os.path.exists(cls.gen):
            netlab.skip_or_fail(f"{cls.gen} not built (target rpi-tftp-loadgen)")
        cls.ns = netlab.Netns("loadgen")

    def run_pattern(self, distinct, plan=None):
        tmp = tempfile.mkdtemp(prefix="rpinb-loadgen-")
        netlab._cleanups.append(lambda: shutil.rmtree(tmp, ignore_errors=True))
        log = os.path.join(tmp, "responder.jsonl")
        proc = self.ns.start([sys.executable, os.path.abspath(__file__), "--responder", log,
                              str(SIZE)], name="responder")
        try:
            # The log is opened once port 69 is bound.
            netlab.wait_for(lambda: os.path.exists(log) or not proc.alive(), timeout=10,
                            what="responder on port 69")
            self.assertTrue(proc.alive(), proc.output())
            what = ["--file", FILE, "--expect-size", str(SIZE)]
            if plan:
                path = os.path.join(tmp, "plan.txt")
                with open(path, "w") as f:
                    f.write(plan)
                what = ["--plan", path]
            r = self.ns.exec([self.gen, "--server", "127.0.0.1", "--port", "69", "--pis",
                              str(PIS), "--blksize", str(BLKSIZE)] + what + ["--rounds",
                              str(ROUNDS), "--timeout-ms", "300",
                              "--retries", "3", "--max-seconds", "30", "--distinct-sources",
                              "1" if distinct else "0"], check=False, timeout=60)
            expected_done = PIS * ROUNDS * (2 if plan else 1)

            def done_logged():
                with open(log) as f:
                    return sum('"kind": "done"' in line for line in f) >= expected_done

            # The generator exits once its last ACKs are sent; the responder logs them a moment
            # later (a shortfall is then caught by check()).
            try:
                netlab.wait_for(done_logged, timeout=5, what="last ACKs at the responder")
            except TimeoutError:  # check() reports what is missing
                pass
        finally:
            proc.stop()
        out = json.loads(r.stdout.strip().splitlines()[-1])
        with open(log) as f:
            events = [json.loads(line) for line in f]
        return r.returncode, out, events

    def check(self, distinct):
        rc, out, events = self.run_pattern(distinct)
        fetches = PIS * ROUNDS
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["failures"], 0, out)
        self.assertEqual(out["fetches_ok"], fetches)
        self.assertEqual(out["bytes"], fetches * SIZE)
        self.assertEqual(out["wrong_size"], 0)
        self.assertEqual(out["duplicates"], fetches)  # every DATA 3 came twice
        self.assertEqual(out["rrq_count"], 2 * fetches)
        for key in ("pis", "blksize", "rounds", "seconds", "retransmits", "rrq_p50_us",
                    "rrq_p99_us", "rrq_max_us", "errors"):
            self.assertIn(key, out)
        rrqs = [e for e in events if e["kind"] == "rrq"]
        errors = [e for e in events if e["kind"] == "error"]
        self.assertEqual(len(rrqs), 2 * fetches)
        for e in rrqs:
            self.assertEqual(e["file"], FILE)
            self.assertEqual(e["options"], {"tsize": "0", "blksize": str(BLKSIZE)})
        # Probes (ended by ERROR) and fetches (ended by the last ACK) never share a port.
        probe_ports = {(e["ip"], e["port"]) for e in errors}
        fetch_ports = {(e["ip"], e["port"]) for e in events if e["kind"] == "done"}
        self.assertTrue(probe_ports and fetch_ports)
        self.assertFalse(probe_ports & fetch_ports)
        if distinct:
            self.assertEqual({e["ip"] for e in rrqs},
                             {f"127.2.0.{i + 1}" for i in range(PIS)})
            by_pi = {}
            for e in rrqs:
                by_pi.setdefault(e["ip"], []).append(e["port"])
            for ip, ports in by_pi.items():
                self.assertEqual(len(ports), 2 * ROUNDS, ip)
                for a, b in zip(ports, ports[1:]):
                    self.assertNotEqual(a, b, f"{ip}: two requests in a row from port {a}")
        else:
            self.assertEqual({e["ip"] for e in rrqs}, {"127.0.0.1"})
        # Each probe ends with ERROR 0 "Early terminate" from the port it was asked from.
        self.assertEqual(len(errors), fetches)
        asked = {(e["ip"], e["port"]) for e in rrqs}
        for e in errors:
            self.assertEqual((e["code"], e["message"]), (0, "Early terminate"))
            self.assertIn((e["ip"], e["port"]), asked)
        self.assertEqual(len([e for e in events if e["kind"] == "done"]), fetches)

    def test_plan(self):
        """A --plan boot: a probe answered "file not found" (normal), a probe ended early, a
        fetch of a known size and one of any size, in order, each from a new port."""
        plan = (f"# a comment\nprobe missing.bin\nprobe {FILE}\nfetch {FILE} {SIZE}\n"
                f"fetch {FILE} -\n")
        rc, out, events = self.run_pattern(True, plan)
        rounds = PIS * ROUNDS
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["not_found"], rounds)
        self.assertEqual(out["probes_ended"], rounds)
        self.assertEqual(out["fetches_ok"], 2 * rounds)
        self.assertEqual(out["bytes"], 2 * rounds * SIZE)
        self.assertEqual(out["boots_ok"], rounds)
        self.assertGreater(out["boot_max_s"], 0)
        self.assertEqual(out["duplicates"], 2 * rounds)  # DATA 3 twice in each fetch
        # Answers the server had to send: per round 1 ERROR + 1 OACK + 2 x (OACK + 4 DATA).
        self.assertEqual(out["answers"], rounds * 12)
        # Sent: per round 2 probe RRQs, 1 early terminate, 2 x (RRQ + ACK 0 + 4 ACKs + ACK 3
        # again, answering the second DATA 3 as a Pi whose ACK was lost would).
        self.assertEqual(out["sent"], rounds * 17)
        rrqs = [e for e in events if e["kind"] == "rrq"]
        self.assertEqual([e["file"] for e in rrqs if e["ip"] == "127.2.0.1"],
                         ["missing.bin", FILE, FILE, FILE] * ROUNDS)
        ports = [e["port"] for e in rrqs if e["ip"] == "127.2.0.1"]
        for a, b in zip(ports, ports[1:]):
            self.assertNotEqual(a, b)

    def test_distinct_sources(self):
        self.check(distinct=True)

    def test_one_source_fallback(self):
        self.check(distinct=False)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--responder":
        responder(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    unittest.main()
