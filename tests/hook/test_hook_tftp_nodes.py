#!/usr/bin/env python3
"""Several rpi-tftpd nodes behind one Kea with the hook's tftp-groups (docs/kea.md, "Several TFTP
nodes"): two rpi-tftpd instances serve one tree (shared storage is only a directory to them);
a storm of emulated Pis (rpi-netboot-probe, every model) is spread over both by serial, or by
MAC for the Pi 3B ROM; node B is stopped midway: the Pis option 66 sends to B fail visibly
(tftp-unreachable), the others boot; B is drained with a config reload, after which every Pi
boots from A and only B's Pis changed node. Also: the group selectors (a class Kea evaluates,
the hook's stage classes, subnets, the tftp-server fallback) and examples/kea-dhcp4-tftp-nodes.conf
loaded as written, with its drain procedure.

The node each Pi must get is computed here independently of the hook (rendezvous hashing with
SplitMix64's finaliser, kea-hook/src/tftp_nodes.h), so a hook that spread differently, or moved
Pis that were not on B, fails. Addresses: TEST-NET-1 in namespaces this test creates.
"""

import json
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "probe"))
import keatest  # noqa: E402
import probelab  # noqa: E402
from probelab import Pi  # noqa: E402

NODE_A = probelab.SERVER  # 192.0.2.1, also Kea's address
NODE_B = "192.0.2.3"
M64 = (1 << 64) - 1


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def ip_int(text):
    a, b, c, d = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


def expected_node(pi, nodes):
    """The rendezvous choice: the Pi 3B ROM sends no serial, so its MAC is the key."""
    if pi.model == "rom3":
        key = 2 << 48 | int(pi.mac.replace(":", ""), 16)
    else:
        key = 1 << 32 | int(pi.serial, 16)
    return max(nodes, key=lambda n: (mix64(key ^ mix64(ip_int(n))), -ip_int(n)))


OUI = {"rom3": "b8:27:eb", "bootcode": "b8:27:eb", "pi4": "dc:a6:32", "pi5": "2c:cf:67"}


def make_pis(first, count):
    """`count` Pis of every model in turn, with reserved addresses from .`first`."""
    models = ["pi4", "pi5", "bootcode", "rom3"]
    pis = []
    for i in range(count):
        n = first + i
        model = models[i % 4]
        serial = f"7e{n:06x}"  # Pi 1-3 MACs end in the serial's low three bytes
        mac = f"{OUI[model]}:{serial[2:4]}:{serial[4:6]}:{serial[6:8]}"
        pis.append(Pi(model, serial, mac, f"192.0.2.{n}", cmdline="stock"))
    return pis


# Rounds of DHCP a Pi gets again after its DHCP went unanswered (the probe itself sends DISCOVER
# twice and REQUEST once, 2 s apart; the EEPROM's DHCP_REQ_TIMEOUT is 4 s, its DHCP_TIMEOUT 45 s:
# raspberrypi/documentation, "Raspberry Pi bootloader configuration").
RETRIES = 2
NO_ANSWER = {"no-offer", "no-ack"}


def unanswered(outcome):
    """True when the probe failed only because its DHCP got no OFFER or no ACK in time."""
    rc, result, _ = outcome
    if rc == 0 or not result:
        return False
    failed = {f["code"] for f in result["findings"] if f["verdict"] == "fail"}
    return bool(failed) and failed <= NO_ANSWER


WAVE1 = make_pis(20, 12)  # both nodes up
WAVE2 = make_pis(40, 12)  # B stopped, not yet drained; then drained
PIS = WAVE1 + WAVE2


class TftpNodes(unittest.TestCase):
    def setUp(self):
        self.setup = probelab.Setup()
        self.lab = self.setup.lab
        self.nodes = {}
        try:
            self.lab.server.exec(["ip", "addr", "add", NODE_B + "/32", "dev", self.lab.server_if])
            for pi in PIS:
                self.setup.add_pi(pi)
        except BaseException:
            self.setup.close()  # tearDown does not run when setUp fails
            raise

    def tearDown(self):
        self.setup.close()

    def start_node(self, address):
        # One configuration file per node, both naming the same root: the shared tree. Every
        # emulated Pi sends from the Pi namespace's one address, where real Pis have one each:
        # max-per-client is raised above the storm's size.
        config = os.path.join(self.setup.base, f"rpi-tftpd-{address}.conf")
        with open(config, "w") as f:
            f.write(f"root = {self.setup.tftp_root}\nmax-per-client = 64\n")
        proc = self.lab.server.start([probelab.tftpd_path(), "--config", config, "--listen",
                                      f"{address}:69", "--user", "nobody"],
                                     name=f"rpi-tftpd-{address}")
        self.setup.procs.append(proc)
        proc.wait_ready(lambda: "listening on" in proc.output(), what=f"rpi-tftpd on {address}")
        self.nodes[address] = proc
        return proc

    def storm(self, pis):
        """Boots `pis` at once (one probe each); returns {serial: (rc, result, output)}. A Pi whose
        DHCP got no answer in the probe's window (no-offer, no-ack: a kea-dhcp4 slowed by a loaded
        machine) boots again, at most RETRIES times, as a Pi restarts its DHCP sequence until the
        EEPROM's DHCP_TIMEOUT; any other failure stands."""
        results = self.boot_at_once(pis)
        for _ in range(RETRIES):
            again = [pi for pi in pis if unanswered(results[pi.serial])]
            if not again:
                break
            print(f"{len(again)} Pi(s) got no DHCP answer in time, booting again: "
                  f"{' '.join(pi.serial for pi in again)}", flush=True)
            results.update(self.boot_at_once(again))
        return results

    def boot_at_once(self, pis):
        running = []
        for pi in pis:
            argv = ["ip", "netns", "exec", self.lab.client.name, probelab.probe_path(),
                    "--interface", self.lab.client_if, "--timeout-ms", "2000", "--json"] + pi.args()
            running.append((pi, subprocess.Popen(argv, stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE, text=True)))
        results = {}
        for pi, popen in running:
            try:
                out, err = popen.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                popen.kill()  # by its own handle: only what this test started
                out, err = popen.communicate()
            result = json.loads(out) if out.strip() else None
            results[pi.serial] = (popen.returncode, result,
                                  f"{pi.model} {pi.serial}:\n{out}\n{err}")
        return results

    def assert_boots(self, pi, outcome, node):
        rc, result, context = outcome
        self.assertEqual(rc, 0, context)
        self.assertEqual(result["tftp_server"], node, context)
        self.assertEqual(result["address"], pi.ip, context)
        self.assertEqual(result["prefix"], pi.serial + "/", context)
        self.assertEqual([f["code"] for f in result["findings"] if f["verdict"] == "fail"], [],
                         context)

    def reload_hook(self, params):
        kea = self.setup.kea
        with open(kea.config_path) as f:
            config = json.load(f)
        config["Dhcp4"]["hooks-libraries"][-1]["parameters"] = params
        with open(kea.config_path, "w") as f:
            json.dump(config, f, indent=2)
        res = kea.command("config-reload")
        self.assertEqual(res["result"], 0, res)

    def test_two_nodes_one_tree(self):
        """The same Pi boots from either node: both serve the one tree, including a Pi's tree
        added after both started (what a shared mount looks like to them)."""
        self.start_node(NODE_A)
        self.start_node(NODE_B)
        late = Pi("pi4", "7e00ffff", "dc:a6:32:00:ff:ff", "192.0.2.90", cmdline="stock")
        self.setup.add_pi(late)
        for pi in (PIS[0], PIS[2], PIS[3], late):
            seen = {}
            for node in (NODE_A, NODE_B):
                rc, result, res = self.setup.probe(*pi.args(), "--tftp-only", node)
                context = f"{pi.model} via {node}: rc={rc}\n{res.stdout}\n{res.stderr}"
                self.assertEqual(rc, 0, context)
                self.assertEqual(result["tftp_server"], node, context)
                seen[node] = sorted((f["path"], f["bytes"]) for f in result["files"] if f["found"])
                self.assertTrue(seen[node], context)
            self.assertEqual(seen[NODE_A], seen[NODE_B], pi.serial)

    def test_storm_with_a_node_stopped_midway_then_drained(self):
        self.start_node(NODE_A)
        self.start_node(NODE_B)
        both = [NODE_A, NODE_B]
        # tftp-server stays set: the group takes precedence over it for every Pi it matches.
        self.setup.start_kea(PIS, hook_params={"tftp-groups": [{"nodes": both}]})
        log = self.setup.kea.log()
        self.assertIn("tftp-groups=1 group, 2 nodes", log)

        expect = {pi.serial: expected_node(pi, both) for pi in PIS}
        for wave in (WAVE1, WAVE2):  # each wave has Pis on both nodes, ROM Pis among them
            self.assertEqual({expect[p.serial] for p in wave}, set(both))
        self.assertEqual({expect[p.serial] for p in WAVE1 if p.model == "rom3"}, set(both))

        # Wave 1, both nodes up: every Pi boots, from the node its serial (or MAC) hashes to.
        results = self.storm(WAVE1)
        for pi in WAVE1:
            self.assert_boots(pi, results[pi.serial], expect[pi.serial])

        # Midway, node B stops (by PID). Wave 2 before the drain: B's Pis fail visibly.
        self.nodes[NODE_B].stop()
        results = self.storm(WAVE2)
        on_b = [pi for pi in WAVE2 if expect[pi.serial] == NODE_B]
        for pi in WAVE2:
            rc, result, context = results[pi.serial]
            if pi in on_b:
                self.assertEqual(rc, 1, context)
                self.assertEqual(result["tftp_server"], NODE_B, context)
                self.assertEqual([f["code"] for f in result["findings"]
                                  if f["verdict"] == "fail"], ["tftp-unreachable"], context)
            else:
                self.assert_boots(pi, results[pi.serial], NODE_A)

        # The drain: B marked "drain": true, and the configuration reloaded (as systemctl
        # reload kea-dhcp4-server does). The Pis retry (a new DHCP round, as the EEPROM's
        # NET_BOOT_MAX_RETRIES or BOOT_ORDER restart does) and every one boots from A; the Pis
        # that were on A keep A (rendezvous hashing moves only B's Pis).
        started = time.monotonic()
        self.reload_hook({"tftp-groups": [{"nodes": [NODE_A, {"address": NODE_B,
                                                               "drain": True}]}]})
        self.assertIn("drained: " + NODE_B, self.setup.kea.log())
        results = self.storm(WAVE1 + WAVE2)
        moved = 0
        for pi in WAVE1 + WAVE2:
            self.assert_boots(pi, results[pi.serial], NODE_A)
            moved += expect[pi.serial] == NODE_B
        print(f"{len(PIS)} Pis after the drain: all from {NODE_A}, {moved} moved off {NODE_B} "
              f"({time.monotonic() - started:.1f} s)", flush=True)
        stats = self.setup.kea.statistics()
        self.assertGreater(stats.get("pkt4-rpi-netboot-answered", 0), 0)

        # Undrained (B back up), each Pi returns to its own node: the choice is a function of the
        # serial and the node list only.
        self.start_node(NODE_B)
        self.reload_hook({"tftp-groups": [{"nodes": both}]})
        results = self.storm(WAVE2)
        for pi in WAVE2:
            self.assert_boots(pi, results[pi.serial], expect[pi.serial])


class Selectors(unittest.TestCase):
    """Group selectors inside the real kea-dhcp4: a class Kea evaluates from its own "test"
    expression (seen by the hook at pkt4_send), the hook's stage classes, and subnet prefixes;
    first match wins; Pis no group matches get tftp-server."""

    def test_class_subnet_and_fallback(self):
        lab = keatest.lab_for(self)
        classes = [{"name": "LAB_B", "test": "pkt4.mac == 0xdca632770001"}]
        params = {"tftp-server": "192.0.2.9", "tftp-groups": [
            {"client-class": "LAB_B", "nodes": ["192.0.2.12"]},
            {"client-class": "RPI_NETBOOT_PI5", "subnet": "192.0.2.0/24",
             "nodes": ["192.0.2.13"]},
            {"subnet": "198.51.100.0/24", "nodes": ["192.0.2.14"]}]}
        kea = keatest.kea_for(self, lab, hook_params=params, classes=classes).wait_ready()

        def node_of(model, mac, serial, xid):
            replies = lab.exchange(*keatest.pi(model, mac, serial, xid=xid))
            self.assertTrue(replies, kea.log()[-3000:])
            served = {bytes.fromhex(keatest.options(r)[66]).decode() for r in replies}
            self.assertEqual(len(served), 1, served)
            return served.pop()

        self.assertEqual(node_of("pi4", "dc:a6:32:77:00:01", "77000001", "00005001"),
                         "192.0.2.12")  # Kea's own class
        self.assertEqual(node_of("pi5", "dc:a6:32:77:00:01", "77000002", "00005002"),
                         "192.0.2.12")  # in both: the first group
        self.assertEqual(node_of("pi5", "2c:cf:67:77:00:03", "77000003", "00005003"),
                         "192.0.2.13")  # stage class and subnet
        # A Pi 4 of neither class, offered 192.0.2.x (not 198.51.100.0/24): tftp-server.
        self.assertEqual(node_of("pi4", "dc:a6:32:77:00:04", "77000004", "00005004"),
                         "192.0.2.9")


EXAMPLE = "kea-dhcp4-tftp-nodes.conf"


class ExampleTest(unittest.TestCase):
    """examples/kea-dhcp4-tftp-nodes.conf, loaded as written by the real kea-dhcp4 (paths moved
    as test_hook_config's example test moves them), answers Pis as its comments say, and its
    drain procedure (edit "drain", config-reload) moves only the drained node's Pis."""

    def test_example_spreads_and_drains(self):
        lab, text, kea = keatest.start_example(self, EXAMPLE)
        self.assertIn("tftp-groups=2 groups, 3 nodes", kea.log())

        spread = ["192.0.2.10", "192.0.2.11"]
        pis = [Pi("pi4", f"5e0000{i:02x}", f"dc:a6:32:5e:00:{i:02x}", None) for i in range(6)]
        pis += [Pi("rom3", f"005e01{i:02x}", f"b8:27:eb:5e:01:{i:02x}", None) for i in range(4)]
        staged = Pi("pi5", "d0000042", "2c:cf:67:00:00:42", None)

        def node_of(pi, xid):
            replies = lab.exchange(*keatest.pi(pi.model, pi.mac, pi.serial, xid=xid))
            self.assertTrue(replies, kea.log()[-3000:])
            served = {bytes.fromhex(keatest.options(r)[66]).decode() for r in replies}
            self.assertEqual(len(served), 1, served)  # OFFER and ACK name the same node
            return served.pop()

        before = {pi.serial: node_of(pi, f"{0x1000 + i:08x}") for i, pi in enumerate(pis)}
        for pi in pis:
            self.assertEqual(before[pi.serial], expected_node(pi, spread), pi.serial)
        self.assertEqual(set(before.values()), set(spread))
        self.assertEqual(node_of(staged, "00002000"), "192.0.2.12")  # the serial range

        # The drain, as the file's comment says: "drain": true, then config-reload.
        drained = text.replace('"drain": false', '"drain": true')
        self.assertEqual(drained.count('"drain": true'), 1)
        with open(kea.config_path, "w") as f:
            f.write(drained)
        res = kea.command("config-reload")
        self.assertEqual(res["result"], 0, res)
        self.assertIn("drained: 192.0.2.11", kea.log())
        for i, pi in enumerate(pis):
            node = node_of(pi, f"{0x3000 + i:08x}")
            self.assertEqual(node, "192.0.2.10", pi.serial)  # B's Pis moved, A's stayed
        self.assertEqual(node_of(staged, "00004000"), "192.0.2.12")
        self.assertNotIn("ERROR", kea.log())


if __name__ == "__main__":
    keatest.require()
    probelab.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
