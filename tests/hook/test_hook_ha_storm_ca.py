#!/usr/bin/env python3
"""The HA failover storm (hastorm.py) on a hot-standby pair whose HA traffic goes through
kea-ctrl-agent (halab.Pair(via_agent=True)), as Kea 2.2 admins mostly run it, with only the
primary's agent SIGKILLed (by PID) at 4 s of an 8 s storm of 16 emulated Pis and 4 plain clients,
and TFTP node B stopped then drained.

What must happen (docs/kea.md, "High Availability"): the standby cannot reach the primary (its
heartbeats fail); the primary, whose DHCP service needs no agent and whose own updates go to the
standby's agent, carries on serving every client and sending every hold to the standby, which
acknowledges it; the standby, with max-unacked-clients at Kea's default, does not take over
(clients are answered) and answers nobody; no address goes to two MACs (the capture); when the
agent is back both return to hot-standby with the same leases, one per client.
"""
# kea-versions: 2.2
# (kea-ctrl-agent is installed on the host, deps/hook.txt; the Kea 2.6/3.0 chroots have none)

import halab
import test_hook_ha_storm as storm


class AgentKilled(storm.StormTest):
    mode = "hot-standby"

    def test_primary_agent_killed(self):
        r, m = self.storm("kill-agent")
        primary, standby = halab.SERVERS["server1"], halab.SERVERS["server2"]
        self.assertIn("HA_HEARTBEAT_COMMUNICATIONS_FAILED", r["logs"]["server2"])
        self.assertNotEqual(r["states_after_storm"]["server2"], "partner-down")
        self.assertEqual([x for x in r["replies"] if x["src"] == standby], [])
        self.assertTrue([x for x in r["replies"] if x["src"] == primary and
                         x["time"] > r["event_at"] + m["takeover_s"]])
        stats = r["stats"]["server1"]
        self.assertGreater(stats["pkt4-rpi-netboot-rom-holds-to-partner"], 0)
        self.assertEqual(stats["pkt4-rpi-netboot-rom-holds-partner-acked"],
                         stats["pkt4-rpi-netboot-rom-holds-to-partner"])


if __name__ == "__main__":
    storm.main()
