#!/usr/bin/env python3
"""A boot storm against a multi-threaded kea-dhcp4 (4 packet threads): 500 emulated Pis of every
shape and 500 other clients at once, sent by dhcp_storm (tests/hook/dhcp_storm.cpp) with at most
64 queries in flight, so that Kea's packet queue never overflows and every packet sent is one
Kea processed.

The Pis: 125 Pi 3B (the boot ROM's DISCOVER, then bootcode.bin's from the same MAC), 125 Pi 3B+
(bootcode.bin's DISCOVER; the ROM hold stays unconfirmed), 125 Pi 4 and 125 Pi 5 (DISCOVER and
REQUEST). The others: 250 Linux clients and 250 x86 BIOS PXE clients with the Pi's own vendor
class (a PC request list), DISCOVER only.

Addresses: two TEST-NET /24s in one shared network give 506; the Pis need 500 at once (every ROM
OFFER is held, every Pi 4/5 leases), so the other clients get OFFERs from six addresses of their
own (an OFFER takes no address without offer-lifetime) and send no REQUEST. A class on their MAC
prefix (02, locally administered) keeps them there; the hook's RPI_NETBOOT class keeps the Pis in
the rest. rom-hold-max-unconfirmed is set above the 250 Pi 3B/3B+ that power on at once, as the
README advises (the cap itself is kea_hook_rom_flood's subject).

Checked: Kea runs multi-threaded and survives; every Pi completes its stages with options 43
(padded for the ROM only), 60 and 66, each Pi 3B keeps its address across both stages; the Pis'
final addresses are distinct, and Kea's lease database (lease_cmds' lease4-get-all) holds exactly
one lease per Pi, at that address and MAC, and no other; assigned-addresses equals that count; the
other clients' OFFERs carry none of 43/60/66; the hook's counters and Kea's packet counters equal
what was sent and answered. On Kea 2.4+ the storm runs again with offer-lifetime on the
RPI_NETBOOT class, where Kea's offer leases replace the hook's holds; and on every version with
lease_cmds after the hook, which moves the holds from pkt4_send to buffer4_send.
"""

import os
import sys
import time
import unittest

import keatest
from keatest import pool_class

PIS = 500
OTHERS = 500
IN_FLIGHT = 64
OFFER_LIFETIME = 90  # longer than the test: no lease expires during it
TFTP = "192.0.2.1"
MODELS = ("rom3", "bootcode", "pi4", "pi5")


def fleet():
    """Pis as docs/protocol/dhcp.md gives their identities: a Pi 1-3 MAC is b8:27:eb and the
    serial's low three bytes; Pi 4 (dc:a6:32) and Pi 5 (2c:cf:67) MACs are not derived."""
    pis = []
    for i in range(PIS):
        model = MODELS[i % 4]
        if model in ("rom3", "bootcode"):
            serial = 0x10a00000 | i
            mac = "b8:27:eb:" + ":".join("%02x" % ((serial >> s) & 255) for s in (16, 8, 0))
        elif model == "pi4":
            serial, mac = 0x4b000000 | i, "dc:a6:32:b0:%02x:%02x" % (i >> 8, i & 255)
        else:
            serial, mac = 0x5c000000 | i, "2c:cf:67:c0:%02x:%02x" % (i >> 8, i & 255)
        pis.append({"model": model, "mac": mac, "serial": "%08x" % serial})
    others = []
    for i in range(OTHERS):
        mac = "02:00:%02x:00:%02x:%02x" % (i % 2, i >> 8, i & 255)
        xid = 0x20000000 + i
        payload = (keatest.linux_discover(mac, xid) if i % 2 == 0 else
                   keatest.x86_bios_pxe_discover(mac, xid))
        others.append({"payload_hex": payload})
    # Interleaved, so that Pis and the others reach Kea's threads side by side.
    return [c for pair in zip(pis, others) for c in pair]


def config(lab, paths, offer_lifetime=None, lease_cmds_after=False):
    pi_pools = [dict({"pool": "192.0.2.2 - 192.0.2.247"}, **pool_class("RPI_NETBOOT")),
                dict({"pool": "198.51.100.1 - 198.51.100.254"}, **pool_class("RPI_NETBOOT"))]
    other_pool = dict({"pool": "192.0.2.248 - 192.0.2.253"}, **pool_class("OTHER_CLIENT"))
    lease_cmds = {"library": os.path.join(keatest.INSTALL.hooks_dir, "libdhcp_lease_cmds.so")}
    cfg = keatest.base_config(
        lab.server_if, paths,
        hook_params={"tftp-server": TFTP, "rom-hold-max-unconfirmed": 1000},
        libraries_before=[] if lease_cmds_after else [lease_cmds],
        libraries_after=[lease_cmds] if lease_cmds_after else [],
        classes=[dict({"name": "RPI_NETBOOT"},
                      **({"offer-lifetime": offer_lifetime} if offer_lifetime else {})),
                 {"name": "OTHER_CLIENT", "test": "substring(pkt4.mac, 0, 1) == 0x02"}],
        extra={"multi-threading": {"enable-multi-threading": True, "thread-pool-size": 4,
                                   "packet-queue-size": 4 * IN_FLIGHT},
               # INFO only: a debug line per packet would make the log the bottleneck.
               "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                            "output_options": [{"output": "stdout"}]}]})
    d = cfg["Dhcp4"]
    del d["subnet4"]
    d["shared-networks"] = [{"name": "storm", "interface": lab.server_if, "subnet4": [
        {"id": 1, "subnet": "192.0.2.0/24", "pools": [pi_pools[0], other_pool]},
        {"id": 2, "subnet": "198.51.100.0/24", "pools": [pi_pools[1]]}]}]
    return cfg


def storm(lab, clients):
    return keatest.storm(lab.client.name, lab.client_if, clients, in_flight=IN_FLIGHT)


def o(text):
    return text.encode().hex()


class MtStormTest(unittest.TestCase):
    def test_storm_of_pis_and_other_clients_under_four_packet_threads(self):
        self.run_storm(None)

    @unittest.skipIf(keatest.VERSION == "2.2", "offer-lifetime is Kea 2.4+")
    def test_storm_with_offer_lifetime_on_the_pi_class(self):
        """Kea's own offer leases for the Pis (Kea 2.4+): the hook defers to them, under 4
        threads too: one lease per Pi, counted once, none of them the hook's, none lengthened,
        and no Pi 4/5 is NAKed, since an OFFER now reserves its address."""
        self.run_storm(OFFER_LIFETIME)

    def test_storm_with_holds_in_buffer4_send(self):
        """With a library after the hook (lease_cmds here), the hook holds ROM OFFERs in
        buffer4_send instead of pkt4_send: the same storm, the same results."""
        self.run_storm(None, lease_cmds_after=True)

    def run_storm(self, offer_lifetime, lease_cmds_after=False):
        lab = keatest.lab_for(self)
        paths = keatest.paths_for(self)
        kea = keatest.kea_for(self, lab,
                              config=config(lab, paths, offer_lifetime, lease_cmds_after),
                              paths=paths).wait_ready()
        log = kea.log()
        self.assertIn("DHCP4_MULTI_THREADING_INFO enabled: yes, number of threads: 4", log)
        # (Kea refuses to start with a library that is not multi-threading compatible.)
        self.assertNotIn("HOOKS_LIBRARY_MULTI_THREADING_NOT_COMPATIBLE", log)
        self.assertEqual("ROM holds in buffer4_send" in log, lease_cmds_after)

        started = time.monotonic()
        results, summary = storm(lab, fleet())
        took = time.monotonic() - started
        print(f"storm: {summary} in {took:.1f} s", flush=True)
        self.assertTrue(kea.proc.alive(), "kea-dhcp4 died in the storm:\n" + kea.log()[-4000:])
        self.assertEqual(summary["clients"], PIS + OTHERS)
        failed = [(r["mac"], r["error"]) for r in results if not r["done"]]
        self.assertEqual(failed, [], "clients without their replies")

        final = {}  # Pi MAC -> its address at the end
        answered = offers = acks = held = confirmed = naks = 0
        for r in results:
            replies = r["replies"]
            types = [x["message_type"] for x in replies]
            offers += types.count(2)
            acks += types.count(5)
            if r["kind"] == "other":
                for x in replies:
                    self.assertEqual((x["o43"], x["o60"], x["o66"]), (None, None, None),
                                     f"{r['mac']}: a non-Pi reply with netboot options")
                self.assertEqual(r["requests"], 0)
                continue
            model, mac = r["model"], r["mac"]
            answered += len(replies)
            naks += r["naks"]
            self.assertEqual(types.count(6), r["naks"])
            # A reply is told apart by its option 43 rather than by the phase it arrived
            # in: an OFFER to a retransmitted query can arrive after the client moved on.
            for x in replies:
                if x["message_type"] == 6:
                    continue
                self.assertIn(x["o43"], (keatest.ROM_OPTION43, keatest.PLAIN_OPTION43)
                              if model == "rom3" else (keatest.PLAIN_OPTION43,),
                              f"{model} {mac} {x['phase']}")
                self.assertEqual(x["o60"], o("PXEClient"), f"{model} {mac}")
                self.assertEqual(x["o66"], o(TFTP), f"{model} {mac}")
            if model in ("rom3", "bootcode"):
                addresses = {x["yiaddr"] for x in replies}
                self.assertEqual(len(addresses), 1, f"{model} {mac}: the address moved")
                final[mac] = addresses.pop()
                held += len(replies)
                if model == "rom3":
                    rom = [x for x in replies if x["o43"] == keatest.ROM_OPTION43]
                    self.assertTrue(rom and replies[0] == rom[0], f"{mac}: no ROM OFFER")
                    # bootcode.bin's OFFERs: the Pi came back at its next stage.
                    confirmed += len(replies) - len(rom)
                else:
                    confirmed += len(replies) - 1  # a second bootcode.bin query confirms
            else:
                acked = [x["yiaddr"] for x in replies if x["message_type"] == 5]
                self.assertTrue(acked, f"{model} {mac}: no ACK")
                final[mac] = acked[-1]
        self.assertEqual(len(final), PIS)
        # Every held ROM/bootcode OFFER and every Pi 4/5 lease at a different address.
        self.assertEqual(len(set(final.values())), PIS, "an address went to two Pis")

        leases = kea.command("lease4-get-all")
        self.assertEqual(leases["result"], 0, leases)
        db = {lease["hw-address"]: lease["ip-address"]
              for lease in leases["arguments"]["leases"]}
        self.assertEqual(len(leases["arguments"]["leases"]), PIS, "leases beside the Pis'")
        self.assertEqual(db, final, "the lease database disagrees with the replies")

        sent = summary["sent"]
        stats = kea.statistics()
        pi_sent = {m: sent.get(f"{m}-discover", 0) + sent.get(f"{m}-request", 0)
                   for m in MODELS}
        total_sent = sum(sent.values())
        dropped = (pi_sent["rom3"] + pi_sent["bootcode"]) - held
        expected = {
            "pkt4-received": total_sent,
            "pkt4-receive-drop": 0,
            "pkt4-offer-sent": offers,
            "pkt4-ack-sent": acks,
            "pkt4-nak-sent": naks,
            "pkt4-rpi-netboot-received": sum(pi_sent.values()),
            "pkt4-rpi-netboot-rom3-received": pi_sent["rom3"],
            "pkt4-rpi-netboot-bootcode-received": pi_sent["bootcode"],
            "pkt4-rpi-netboot-pi4-received": pi_sent["pi4"],
            "pkt4-rpi-netboot-pi5-received": pi_sent["pi5"],
            "pkt4-rpi-netboot-answered": answered - naks,
            "pkt4-rpi-netboot-rom-offers-held": held,
            "pkt4-rpi-netboot-rom-offers-dropped": dropped,
            "pkt4-rpi-netboot-rom-holds-released": 0,
            "pkt4-rpi-netboot-not-allowed": 0,
            "pkt4-rpi-netboot-malformed": 0,
            "subnet[1].assigned-addresses": sum(a.startswith("192.0.2.") for a in db.values()),
            "subnet[2].assigned-addresses": sum(a.startswith("198.51.100.")
                                                for a in db.values()),
        }
        # Counted from the replies the Pis received: under load the kernel can lose a reply
        # after the hook counted it (the client then gets a later one), so these two may
        # exceed what arrived by a few, never fall below it.
        for key in ("pkt4-rpi-netboot-answered", "pkt4-rpi-netboot-rom-offers-held"):
            received = expected.pop(key)
            self.assertGreaterEqual(stats.get(key), received, key)
            self.assertLessEqual(stats.get(key), received + max(3, received // 100), key)
        self.assertEqual({k: stats.get(k) for k in expected}, expected)
        # Each bootcode.bin OFFER after a ROM OFFER confirms; so does a ROM query that Kea
        # takes after bootcode.bin's, possible only for a retransmitted one.
        retransmitted = total_sent - (PIS + OTHERS) - PIS // 4 - PIS // 2 - 2 * naks
        self.assertGreaterEqual(stats["pkt4-rpi-netboot-rom-holds-confirmed"], confirmed)
        self.assertLessEqual(stats["pkt4-rpi-netboot-rom-holds-confirmed"],
                             confirmed + retransmitted)
        # Each Pi 3B+ hold stays unconfirmed (one query); each Pi 3B's was confirmed.
        unconfirmed = sum(stats.get(f"subnet[{n}].rpi-netboot-unconfirmed-holds", 0)
                          for n in (1, 2))
        if offer_lifetime:
            # Every ROM/bootcode lease is Kea's, at offer-lifetime, the confirmed Pi 3Bs'
            # too; Pi 4/5 leases are the ACKed ones.
            self.assertEqual(unconfirmed, 0)
            self.assertEqual(naks, 0)
            lifetimes = {lease["hw-address"]: lease["valid-lft"]
                         for lease in leases["arguments"]["leases"]}
            for r in results:
                if r["kind"] == "pi":
                    self.assertEqual(lifetimes[r["mac"]], offer_lifetime if r["model"] in
                                     ("rom3", "bootcode") else 600, r["mac"])
        else:
            self.assertEqual(unconfirmed, PIS // 4)
        self.assertEqual(pi_sent["rom3"] + pi_sent["bootcode"] + pi_sent["pi4"] +
                         pi_sent["pi5"] + sent.get("other-discover", 0), total_sent)
        log = kea.log()
        for bad in ("RPI_NETBOOT_CALLOUT_ERROR", "DHCP4_PACKET_QUEUE_FULL", "FATAL"):
            self.assertNotIn(bad, log)
        print(f"NAKs {naks}, ROM OFFERs dropped {dropped}, retransmissions "
              f"{retransmitted}", flush=True)


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
