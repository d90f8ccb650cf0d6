#!/usr/bin/env python3
"""The parsers of os_clients.py and qemu_kernel.py on the texts those programs really wrote (kept
from runs of Debian's klibc-utils 2.0.12, isc-dhcp-client 4.4.3 and the tiny 6.1 kernel), and on
malformed input. No privileges, no network."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import os_clients  # noqa: E402
import qemu_kernel  # noqa: E402

KLIBC_CONF = """DEVICE='vb111801'
PROTO='dhcp'
IPV4ADDR='192.0.2.100'
IPV4NETMASK='255.255.255.0'
HOSTNAME='pi-0c0ffee4'
DNSDOMAIN=''
ROOTSERVER='192.0.2.1'
ROOTPATH='192.0.2.1:/srv/nfs/pi/0c0ffee4'
"""

DHCLIENT_LEASES = """lease {
  interface "vb158681";
  fixed-address 192.0.2.101;
  option host-name "old";
}
lease {
  interface "vb158681";
  fixed-address 192.0.2.100;
  option subnet-mask 255.255.255.0;
  option host-name "pi-0c0ffee4";
  renew 6 2026/12/05 21:54:04;
}"""

CONSOLE = """Sending DHCP requests ., OK
IP-Config: Got DHCP answer from 192.0.2.1, my address is 192.0.2.100
IP-Config: Complete:
     device=eth0, hwaddr=dc:a6:32:01:36:c2, ipaddr=192.0.2.100, mask=255.255.255.0, gw=255.255.255.255
     host=pi-0c0ffee4, domain=, nis-domain=(none)
     bootserver=0.0.0.0, rootserver=192.0.2.1, rootpath=/srv/nfs/pi/0c0ffee4
     nameserver0=192.0.2.1
IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready
RPI-NETBOOT-NFSROOT-UP host=pi-0c0ffee4 root=192.0.2.1:/srv/nfs/pi/0c0ffee4
reboot: Power down
"""


def bootp_reply(yiaddr, options):
    head = bytes([2, 1, 6, 0]) + bytes(12) + bytes(int(x) for x in yiaddr.split("."))
    body = head + bytes(236 - len(head)) + bytes.fromhex("63825363")
    for code, value in options:
        body += bytes([code, len(value)]) + value
    return body + b"\xff"


class Parsers(unittest.TestCase):
    def test_klibc_conf(self):
        v = os_clients.parse_shell_vars(KLIBC_CONF)
        self.assertEqual((v["IPV4ADDR"], v["HOSTNAME"], v["ROOTPATH"], v["DNSDOMAIN"]),
                         ("192.0.2.100", "pi-0c0ffee4", "192.0.2.1:/srv/nfs/pi/0c0ffee4", ""))

    def test_dhclient_last_lease_block(self):
        last = DHCLIENT_LEASES[DHCLIENT_LEASES.rfind("lease {"):]
        self.assertEqual(os_clients._dhclient_field(last, "fixed-address"), "192.0.2.100")
        self.assertEqual(os_clients._dhclient_field(last, "option host-name"), "pi-0c0ffee4")
        self.assertIsNone(os_clients._dhclient_field(last, "option root-path"))

    def test_bootp_reply(self):
        data = bootp_reply("192.0.2.100", [(53, b"\x05"), (12, b"pi-0c0ffee4"),
                                           (17, b"192.0.2.1:/srv/nfs/pi/0c0ffee4")])
        address, opts = os_clients.parse_bootp_reply(data)
        self.assertEqual(address, "192.0.2.100")
        self.assertEqual(os_clients._text(opts[12]), "pi-0c0ffee4")
        self.assertEqual(os_clients._text(opts[17]), "192.0.2.1:/srv/nfs/pi/0c0ffee4")
        for bad in (data[:239], b"\x01" + data[1:], data[:-1][:245] + b"\x0c\x40abc"):
            with self.assertRaises(ValueError):
                os_clients.parse_bootp_reply(bad)

    def test_kernel_console(self):
        boot = qemu_kernel.Boot(CONSOLE)
        self.assertEqual((boot.address, boot.hostname, boot.rootpath),
                         ("192.0.2.100", "pi-0c0ffee4", "192.0.2.1:/srv/nfs/pi/0c0ffee4"))
        self.assertTrue(boot.root_ran)
        self.assertEqual((boot.os_hostname, boot.mounted_root),
                         ("pi-0c0ffee4", "192.0.2.1:/srv/nfs/pi/0c0ffee4"))
        # With printk timestamps, and a kernel that got no answer.
        stamped = "".join(f"[    1.{i:06d}] {line}\n"
                          for i, line in enumerate(CONSOLE.splitlines()))
        self.assertEqual(qemu_kernel.parse_ip_config(stamped)["host"], "pi-0c0ffee4")
        nothing = qemu_kernel.Boot("IP-Config: Retrying forever (NFS root)...\n")
        self.assertEqual((nothing.address, nothing.rootpath, nothing.root_ran), (None, None, False))


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
