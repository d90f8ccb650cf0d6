#!/usr/bin/env python3
"""Self-test of the namespace harness: two hosts, a veth, a ping, and cleanup by PID."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402


class NetlabTest(unittest.TestCase):
    def test_two_hosts_ping_and_cleanup(self):
        a, b = netlab.Netns("a"), netlab.Netns("b")
        netlab.link(a, "192.0.2.1/24", b, "192.0.2.2/24")
        r = a.exec(["ping", "-c", "1", "-W", "2", "192.0.2.2"], check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        p = b.start(["sleep", "30"])
        self.assertTrue(p.alive())
        p.stop()
        self.assertFalse(p.alive())
        name = a.name
        a.close()
        self.assertNotIn(name, netlab.run(["ip", "netns", "list"]).stdout)

    def test_refuses_addresses_outside_test_nets(self):
        for bad in ("10.0.0.1/24", "192.168.1.1", "8.8.8.8", "198.51.101.1/24"):
            with self.assertRaises(ValueError):
                netlab.check_address(bad)
        netlab.check_address("198.51.100.7/24")

    def test_bounded_wait_times_out(self):
        with self.assertRaises(TimeoutError):
            netlab.wait_for(lambda: False, timeout=0.2)


if __name__ == "__main__":
    netlab.require_root()
    netlab.require_tools("ping")
    unittest.main()
