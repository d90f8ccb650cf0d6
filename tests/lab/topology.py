"""The lab network: a server, a directly attached Pi subnet, and a Pi subnet behind a DHCP relay.

    [pia] --- 192.0.2.0/25 --- [srv] --- 192.0.2.128/30 --- [relay] --- 198.51.100.0/24 --- [pib]

Only TEST-NET addresses, in namespaces this module creates (netlab enforces both).
The Pi 3 boot ROM cannot boot through a relay (firmware#670), so ROM Pis live on `pia`.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netlab  # noqa: E402

SERVER_A = "192.0.2.1"          # srv on the direct subnet: DHCP, TFTP, NFS
SUBNET_A = "192.0.2.0/25"
CLIENT_A = "192.0.2.2"          # the probe's own address on the direct subnet
SERVER_UPLINK = "192.0.2.129"   # srv towards the relay
RELAY_UPLINK = "192.0.2.130"
RELAY_B = "198.51.100.1"        # the relay's (router's) address on the Pi subnet: giaddr
SUBNET_B = "198.51.100.0/24"
CLIENT_B = "198.51.100.2"


class Lab:
    def __init__(self, relay=True):
        self.srv = netlab.Netns("srv")
        self.pia = netlab.Netns("pia")
        self.if_srv_a, self.if_pia = netlab.link(self.srv, SERVER_A + "/25", self.pia,
                                                 CLIENT_A + "/25")
        self.relay = self.pib = None
        if relay:
            self.relay = netlab.Netns("relay")
            self.pib = netlab.Netns("pib")
            self.if_srv_up, self.if_relay_up = netlab.link(self.srv, SERVER_UPLINK + "/30",
                                                           self.relay, RELAY_UPLINK + "/30")
            self.if_relay_b, self.if_pib = netlab.link(self.relay, RELAY_B + "/24", self.pib,
                                                       CLIENT_B + "/24")
            self.relay.exec(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
            self.srv.exec(["ip", "route", "add", SUBNET_B, "via", RELAY_UPLINK])
            self.relay.exec(["ip", "route", "add", SUBNET_A, "via", SERVER_UPLINK])
            self.pib.exec(["ip", "route", "add", "default", "via", RELAY_B])
            self.pia.exec(["ip", "route", "add", SERVER_UPLINK + "/32", "via", SERVER_A])

    def start_relay(self):
        """ISC dhcrelay in the foreground, relaying the Pi subnet to the server."""
        return self.relay.start(["dhcrelay", "-d", "-4", "-id", self.if_relay_b, "-iu",
                                 self.if_relay_up, SERVER_UPLINK], name="dhcrelay")
