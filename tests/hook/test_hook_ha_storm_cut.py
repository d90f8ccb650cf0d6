#!/usr/bin/env python3
"""The HA failover storm (hastorm.py) with the two servers cut from each other only, at 4 s of an
8 s storm of 16 emulated Pis and 4 plain clients (TFTP node B stopped then drained): the bridge
drops whatever one server sends the other, the clients still reach both. HA's
max-unacked-clients is Kea's default, 10 (hastorm.CUT_BETWEEN_UNACKED), as an admin whose
servers can lose each other keeps it.

What Kea's HA does then (Kea ARM, "High Availability Hook": the communication-interrupted state,
"Load-Balancing Configuration"; docs/kea.md "Cut between the servers"): each server's heartbeat
or lease update fails once HA's HTTP timeout (10 s) runs out. A server then watches the DHCP traffic meant for
its partner and counts a client "unacked" only when its secs field exceeds max-ack-delay; these
clients send secs 0, as the Pi loaders' DISCOVERs carry it, so no server sees its partner fail
its clients:

- hot-standby: the primary, which cannot watch a standby that answers nobody, goes to
  partner-down and serves on without sending updates; the standby stays in hot-standby (it never
  counts an unacked client) and answers nobody;
- load-balancing: both go to communication-recovery, each serves its own clients and queues its
  updates, and neither goes to partner-down.

Until the heartbeat fails, each lease update waits for the same timeout and HA drops its reply:
held OFFERs are withheld, and the Pis' retries get them once updates stop being sent. No address
goes to two MACs (the capture); after the cut heals both return to their mode with the same
leases, one per client.
"""

import halab
import test_hook_ha_storm as storm


class CutBetween(storm.StormTest):
    def cut(self):
        r, m = self.storm("cut-between")
        first, second = halab.SERVERS["server1"], halab.SERVERS["server2"]
        states = r["states_after_storm"]
        if self.mode == "hot-standby":
            self.assertIn("HA_HEARTBEAT_COMMUNICATIONS_FAILED", r["logs_since_event"]["server2"])
            self.assertEqual(states["server1"], "partner-down")
            self.assertEqual(states["server2"], "hot-standby")
            self.assertNotIn("to partner-down state", r["logs_since_event"]["server2"].lower())
            self.assertEqual([x for x in r["replies"] if x["src"] == second], [])
            self.assertTrue([x for x in r["replies"] if x["src"] == first and
                             x["time"] > r["event_at"] + m["takeover_s"]])
        else:
            for name, addr in halab.SERVERS.items():
                self.assertEqual(states[name], "communication-recovery", name)
                self.assertNotIn("to partner-down state", r["logs_since_event"][name].lower())
                self.assertTrue([x for x in r["replies"] if x["src"] == addr and
                                 x["time"] > r["event_at"] + m["takeover_s"]], name)


class HotStandby(CutBetween):
    mode = "hot-standby"

    def test_cut_between_servers(self):
        self.cut()


class LoadBalancing(CutBetween):
    mode = "load-balancing"

    def test_cut_between_servers(self):
        self.cut()


if __name__ == "__main__":
    storm.main()
