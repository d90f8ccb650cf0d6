#!/usr/bin/env python3
"""Pool exhaustion by forged Pi 3B ROM DISCOVERs. The ROM never sends DHCPREQUEST, so the hook
holds each ROM OFFER as a lease (raspberrypi/firmware#1303); anyone can send DISCOVERs of that
shape from random MACs. Holds are therefore short until the Pi comes back at its next stage
(rom-hold-lifetime) and capped per subnet (rom-hold-max-unconfirmed), oldest given back first.

At least 5000 ROM-shaped DISCOVERs from random MACs (the flood goes on until the Pi and the client
below are served, bounded), paced to what one kea-dhcp4 thread takes in, against a 241-address
pool; the clients retransmit a bounded number of times, as real ones do: a plain client still
gets a lease during and after the flood, a real Pi 3B
booting during the flood gets its OFFERs with options 43 (padded), 60 and 66 at both stages and
its hold is confirmed, and the cap is logged once. The control run (cap and lifetime set so high
that the hook behaves as before) shows that the same flood empties the pool.
"""

import subprocess
import sys
import unittest

import keatest
from keatest import netlab, options, pi

POOL = ("192.0.2.10", "192.0.2.250")
POOL_SIZE = 241
SUBNET = {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "%s - %s" % POOL}]}
FLOOD = 5000  # at least this many; the flood goes on until the Pi and the client are served
FLOOD_MOST, FLOOD_MOST_S = 120000, 120  # its bounds, far beyond any served run
ATTEMPTS = 6  # a client's DISCOVERs (or DORAs) before it gives up, as a real one retransmits
# The Pi 3B ROM's DISCOVER, shape A (options 53, 55 with 12 codes, 93, 94, 97 = 00 + sixteen
# 0x44, 60; constant xid 0x26f30339, no broadcast flag; BOOTP length 320): raspberrypi/
# documentation boot-net capture. Built by the sender with a random chaddr per packet.
_FLOOD_SCRIPT = r"""
import os, select, socket, sys, time
iface, least, most, most_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
opts = (bytes([53, 1, 1, 55, 12]) + bytes.fromhex("2b3c438081828384858687 42".replace(" ", "")) +
        bytes([93, 2, 0, 0, 94, 3, 1, 2, 1, 97, 17, 0]) + bytes([0x44]) * 16 +
        bytes([60, 32]) + b"PXEClient:Arch:00000:UNDI:002001" + b"\xff")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
s.bind(("0.0.0.0", 68))
start = time.monotonic()
told = False  # the test closes stdin once its clients are served
i = 0
while i < most and time.monotonic() - start < most_s and not (told and i >= least):
    mac = bytes([0x02]) + os.urandom(5)  # random, locally administered
    head = bytes([1, 1, 6, 0]) + bytes.fromhex("26f30339") + bytes(20) + mac + bytes(10)
    pkt = head + bytes(192) + bytes.fromhex("63825363") + opts
    assert len(pkt) == 320
    s.sendto(pkt, ("255.255.255.255", 67))
    i += 1
    if i % 50 == 0:  # about 1000 a second: what one kea-dhcp4 thread answers here
        time.sleep(max(0.0, start + i / 1000.0 - time.monotonic()))
        told = told or bool(select.select([sys.stdin], [], [], 0)[0])
print(i)
"""

PI_MAC, PI_SERIAL = "b8:27:eb:5e:a1:01", "005ea101"


def flood(lab):
    """The flood's sender; it stops once it has sent FLOOD and its stdin is closed."""
    argv = ["ip", "netns", "exec", lab.client.name, sys.executable, "-c", _FLOOD_SCRIPT,
            lab.client_if, str(FLOOD), str(FLOOD_MOST), str(FLOOD_MOST_S)]
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def acked(replies):
    """The address of the ACK among dhcp_exchange's replies, or None."""
    acks = [r["yiaddr"] for r in replies if r["message_type"] == 5]
    return acks[0] if acks else None


def retried(lab, args, done, log):
    """lab.exchange(*args) up to ATTEMPTS times until done(replies): behind a flood a loaded
    kea-dhcp4 answers late or its socket drops the packet, and a real client sends again
    (RFC 2131 section 4.1; the Pi ROM repeats its DISCOVER)."""
    for attempt in range(1, ATTEMPTS + 1):
        replies = lab.exchange(*args)
        if done(replies):
            break
    log.append(f"{args[1] if args[0] == '--model' else 'plain'}: {attempt} attempt(s)")
    return replies


def plain_dora(lab, mac, xid, log):
    return retried(lab, ["--payload-hex", keatest.linux_discover(mac, xid), "--request"],
                   acked, log)


def quiet(kea, timeout=60):
    """Waits until Kea has taken in all it was sent: its received count stops rising (two reads
    a second apart agree)."""
    last = [None]

    def settled():
        now = kea.statistics().get("pkt4-received")
        done, last[0] = now == last[0], now
        return done
    netlab.wait_for(settled, timeout=timeout, interval=1.0, what="kea-dhcp4 to drain the flood")


def run(test, hook_params, clients_during=True):
    """The flood, with a Pi 3B booting and a plain client served during it (unless not
    `clients_during`), and a plain client after it; the lab, Kea and the sender end with `test`."""
    lab = keatest.lab_for(test)
    # INFO only: 5000 packets at debug level would make the log the bottleneck.
    loggers = [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]
    kea = keatest.kea_for(test, lab, subnet=SUBNET, extra={"loggers": loggers},
                          hook_params=dict({"tftp-server": "192.0.2.1"}, **hook_params))
    kea.wait_ready()
    result, attempts = {}, []
    sender = flood(lab)

    def stop_sender():  # by its own handle: only what this test started
        if sender.poll() is None:
            sender.kill()
            sender.wait(timeout=10)
    test.addCleanup(stop_sender)
    # The flood is under way once Kea has counted a pool's worth of ROM DISCOVERs.
    netlab.wait_for(lambda: kea.statistics().get("pkt4-rpi-netboot-rom3-received", 0) >
                    POOL_SIZE, timeout=60, interval=0.2, what="the flood reaching Kea")
    if clients_during:
        # A real Pi 3B boots during the flood: its ROM, then bootcode.bin, from the same MAC.
        result["rom"] = retried(lab, pi("rom3", PI_MAC, PI_SERIAL), bool, attempts)
        result["bootcode"] = retried(lab, pi("bootcode", PI_MAC, PI_SERIAL), bool, attempts)
        result["during"] = plain_dora(lab, "52:54:00:00:00:01", 0x11110001, attempts)
    result["flood_running"] = sender.poll() is None
    out, err = sender.communicate(input="", timeout=FLOOD_MOST_S + 30)
    if sender.returncode != 0 or int(out.strip() or 0) < FLOOD:
        raise AssertionError(f"flood sender failed ({sender.returncode}, sent {out}): {err}")
    print(f"flood: {out.strip()} DISCOVERs; {', '.join(attempts)}", flush=True)
    quiet(kea)
    result["after"] = plain_dora(lab, "52:54:00:00:00:02", 0x11110002, attempts)
    result["stats"] = kea.statistics()
    result["log"] = kea.log()
    return result


class RomFloodTest(unittest.TestCase):
    def check_pi_offer(self, replies, padded):
        self.assertTrue(replies, "the Pi got no OFFER during the flood")
        opts = options(replies[0])
        self.assertEqual(opts.get(43), keatest.ROM_OPTION43 if padded else keatest.PLAIN_OPTION43)
        self.assertEqual(bytes.fromhex(opts.get(60, "")), b"PXEClient")
        self.assertEqual(bytes.fromhex(opts.get(66, "")), b"192.0.2.1")

    def test_flood_leaves_free_addresses_and_pis_boot(self):
        r = run(self, {})
        stats = r["stats"]
        # The flood reached the hook: far more ROM DISCOVERs than the pool has addresses.
        self.assertGreater(stats["pkt4-rpi-netboot-rom3-received"], 3 * POOL_SIZE)
        self.assertTrue(r["flood_running"], "the flood ended before the Pi and client were served")
        self.check_pi_offer(r["rom"], padded=True)
        self.check_pi_offer(r["bootcode"], padded=False)
        # The Pi boots either way. Its ROM's hold is unconfirmed until bootcode.bin asks, and at
        # the cap the oldest unconfirmed hold gives way: a flood faster than the cap per ROM-to-
        # bootcode gap can release it first (README: rom-hold-max-unconfirmed), so keeping the
        # address is reported, not required.
        kept = r["rom"][0]["yiaddr"] == r["bootcode"][0]["yiaddr"]
        print(f"bootcode.bin kept the ROM's address: {kept}")
        if kept:
            self.assertGreaterEqual(stats["pkt4-rpi-netboot-rom-holds-confirmed"], 1)
        self.assertIsNotNone(acked(r["during"]), "a plain client got no lease during the flood")
        self.assertIsNotNone(acked(r["after"]), "a plain client got no lease after the flood")
        self.assertGreater(stats["pkt4-rpi-netboot-rom-holds-released"], 0)
        self.assertEqual(stats["pkt4-rpi-netboot-rom-hold-cap-reached"], 1)
        self.assertEqual(r["log"].count("RPI_NETBOOT_ROM_HOLD_CAP_REACHED"), 1)
        self.assertEqual(stats["subnet[1].rpi-netboot-unconfirmed-holds"], 64)
        # 64 unconfirmed holds, the Pi's confirmed one, the two plain clients' leases; when the
        # ROM's hold was released, bootcode.bin's own hold may be one of the 64.
        self.assertIn(stats["subnet[1].assigned-addresses"], (64 + 1 + 2,) if kept else (66, 67))

    def test_control_without_limits_the_flood_empties_the_pool(self):
        # No client during this flood: nothing about them is checked here, and each would spend
        # all its attempts on a pool the flood has emptied.
        r = run(self, {"rom-hold-lifetime": 86400, "rom-hold-max-unconfirmed": 1000000},
                clients_during=False)
        stats = r["stats"]
        self.assertEqual(stats["subnet[1].assigned-addresses"], POOL_SIZE)
        self.assertIsNone(acked(r["after"]), "the control flood left the pool with free addresses")
        self.assertEqual(stats["pkt4-rpi-netboot-rom-holds-released"], 0)


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
