#!/usr/bin/env python3
"""The HA failover storm (hastorm.py) with only the primary's kea-ctrl-agent SIGKILLed (by PID)
at 4 s of an 8 s storm of 16 emulated Pis and 4 plain clients, TFTP node B stopped then drained,
in hot-standby and in load-balancing, with the agents as an admin of the Kea under test deploys
them (hastorm.ha_via_agent; docs/kea.md, "Only the control agent dies"):

- Kea 2.2, HA through the agents (halab.Pair(via_agent=True)): the partner cannot reach the
  primary (its heartbeats fail); the primary, whose DHCP service needs no agent and whose own
  updates go to the partner's agent, serves on and has every hold acknowledged. In hot-standby
  the standby (max-unacked-clients at Kea's default) does not take over and answers nobody; in
  load-balancing the secondary, whose updates to the primary fail, goes to
  communication-recovery (delayed-updates-limit, Kea's default 100), serves its own clients and
  sends them its queued updates when the agent is back.
- Kea 2.6 and 3.0, HA on kea-dhcp4's own listener (HA+MT, their default) and the agents for the
  admin's commands only (halab.Pair(admin_agent=True)): nothing happens to HA. Neither server
  logs a failed heartbeat or leaves its mode, every hold is acknowledged; the admin's command
  through the dead agent gets no answer, the same command to kea-dhcp4's control socket does.

Either way no address goes to two MACs (the capture), and when the agent is back both servers
are in their mode with the same leases, one per client.
"""

import halab
import test_hook_ha_storm as storm

FAILED = ("HA_HEARTBEAT_COMMUNICATIONS_FAILED", "HA_COMMUNICATION_INTERRUPTED",
          "HA_LEASE_UPDATE_COMMUNICATIONS_FAILED")


class AgentKilled(storm.StormTest):
    def agent_killed(self):
        r, m = self.storm("kill-agent")
        primary, partner = halab.SERVERS["server1"], halab.SERVERS["server2"]
        # The admin's view: the agent answered before, not after; kea-dhcp4 itself always.
        self.assertEqual(r["commands_before"], {"agent": 0, "direct": 0})
        self.assertEqual(r["commands_after"], {"agent": None, "direct": 0})
        # The primary served on, and every hold it made reached the partner first.
        self.assertTrue([x for x in r["replies"] if x["src"] == primary and
                         x["time"] > r["event_at"] + m["takeover_s"]])
        stats = r["stats"]["server1"]
        self.assertGreater(stats["pkt4-rpi-netboot-rom-holds-to-partner"], 0)
        self.assertEqual(stats["pkt4-rpi-netboot-rom-holds-partner-acked"],
                         stats["pkt4-rpi-netboot-rom-holds-to-partner"])
        for name in halab.SERVERS:
            self.assertNotEqual(r["states_after_storm"][name], "partner-down")
            self.assertNotIn("to partner-down state", r["logs_since_event"][name].lower())
        if self.mode == "hot-standby":
            self.assertEqual([x for x in r["replies"] if x["src"] == partner], [])
        else:
            self.assertTrue([x for x in r["replies"] if x["src"] == partner and
                             x["time"] > r["event_at"]])
        if r["ha_via_agent"]:
            self.assertIn("HA_HEARTBEAT_COMMUNICATIONS_FAILED", r["logs_since_event"]["server2"])
            if self.mode == "load-balancing":
                self.assertEqual(r["states_after_storm"]["server2"], "communication-recovery")
        else:
            # HA never noticed: no failed heartbeat or update, both in their mode throughout.
            for name in halab.SERVERS:
                for word in FAILED:
                    self.assertNotIn(word, r["logs_since_event"][name], name)
                self.assertEqual(r["states_after_storm"][name], self.mode)
            stats = r["stats"]["server2"]
            self.assertEqual(stats.get("pkt4-rpi-netboot-rom-holds-partner-acked", 0),
                             stats.get("pkt4-rpi-netboot-rom-holds-to-partner", 0))


class HotStandby(AgentKilled):
    mode = "hot-standby"

    def test_primary_agent_killed(self):
        self.agent_killed()


class LoadBalancing(AgentKilled):
    mode = "load-balancing"

    def test_primary_agent_killed(self):
        self.agent_killed()


if __name__ == "__main__":
    storm.main()
