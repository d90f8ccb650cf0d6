#!/usr/bin/env python3
"""Hook parameters as kea-dhcp4 sees them at a real start (kea-dhcp4 -c): each bad parameter makes
Kea refuse the configuration with a log line naming the parameter and the value (Kea 2.2's -t
does not call the hook's load(): facts section 8), and examples/kea-dhcp4.conf starts cleanly
and answers a Pi.
"""

import ipaddress
import json
import os
import shutil
import sys
import tempfile
import unittest

import keatest
from keatest import KeaServer, Lab, options, pi

# (test name, parameters, the text the log must contain: parameter name and value)
BAD = [
    ("tftp_server_not_an_address", {"tftp-server": "tftp.example"},
     "parameter 'tftp-server' value \"tftp.example\""),
    ("tftp_server_broadcast", {"tftp-server": "255.255.255.255"},
     "parameter 'tftp-server' value \"255.255.255.255\""),
    ("menu_text_empty", {"menu-text": ""}, "parameter 'menu-text' value \"\""),
    ("rom_padding_unknown", {"rom-padding": "sometimes"},
     "parameter 'rom-padding' value \"sometimes\""),
    ("extra_ouis_bad_entry", {"extra-ouis": ["dc:a6:32", "zz:zz:zz"]},
     "parameter 'extra-ouis[1]' value \"zz:zz:zz\""),
    ("require_oui_not_bool", {"require-oui": "yes"}, "parameter 'require-oui' value \"yes\""),
    ("allow_serials_bad_serial", {"allow-serials": ["bf9fed6"]},
     "parameter 'allow-serials[0]' value \"bf9fed6\""),
    ("allow_macs_bad_mac", {"allow-macs": ["b8:27:eb"]},
     "parameter 'allow-macs[0]' value \"b8:27:eb\""),
    ("clients_bad_serial", {"clients": [{"serial": "not-a-serial", "tftp-server": "192.0.2.9"}]},
     "parameter 'clients[0].serial' value \"not-a-serial\""),
    ("clients_bad_tftp_server",
     {"clients": [{"serial": "bf9fed6f", "tftp-server": "192.0.2.300"}]},
     "parameter 'clients[0].tftp-server' value \"192.0.2.300\""),
    ("clients_unknown_key", {"clients": [{"serial": "bf9fed6f", "tftp": "192.0.2.9"}]},
     "parameter 'clients[0].tftp' value \"192.0.2.9\""),
    ("hold_rom_offers_not_bool", {"hold-rom-offers": "no"},
     "parameter 'hold-rom-offers' value \"no\""),
    ("rom_hold_lifetime_too_short", {"rom-hold-lifetime": 5},
     "parameter 'rom-hold-lifetime' value 5: must be an integer from 10 to 86400"),
    ("rom_hold_lifetime_not_integer", {"rom-hold-lifetime": "60"},
     "parameter 'rom-hold-lifetime' value \"60\""),
    ("rom_hold_max_unconfirmed_zero", {"rom-hold-max-unconfirmed": 0},
     "parameter 'rom-hold-max-unconfirmed' value 0: must be an integer from 1"),
    ("unknown_parameter", {"tftp_server": "192.0.2.1"},
     "parameter 'tftp_server' value \"192.0.2.1\""),
    # Wrong JSON types: each names the parameter, the value and the type it must have.
    ("tftp_server_not_a_string", {"tftp-server": 3221225985},
     "parameter 'tftp-server' value 3221225985: must be a string"),
    ("tftp_server_multicast", {"tftp-server": "224.0.0.1"},
     "parameter 'tftp-server' value \"224.0.0.1\""),
    ("menu_text_too_long", {"menu-text": "Raspberry Pi Boot " + "x" * 60},
     "parameter 'menu-text' value \"Raspberry Pi Boot " + "x" * 60 + "\": menu text is 78"),
    ("menu_text_control_character", {"menu-text": "Raspberry Pi Boot\n"},
     "parameter 'menu-text' value \"Raspberry Pi Boot\\n\": menu text has a non-printable"),
    ("menu_text_not_a_string", {"menu-text": ["Raspberry Pi Boot"]},
     "parameter 'menu-text' value [ \"Raspberry Pi Boot\" ]: must be a string"),
    ("rom_padding_not_a_string", {"rom-padding": True},
     "parameter 'rom-padding' value true: must be a string"),
    ("extra_ouis_not_a_list", {"extra-ouis": "dc:a6:32"},
     "parameter 'extra-ouis' value \"dc:a6:32\": must be a list"),
    ("extra_ouis_full_mac", {"extra-ouis": ["dc:a6:32:01:02:03"]},
     "parameter 'extra-ouis[0]' value \"dc:a6:32:01:02:03\""),
    ("allow_serials_not_a_list", {"allow-serials": "bf9fed6f"},
     "parameter 'allow-serials' value \"bf9fed6f\": must be a list"),
    ("allow_serials_not_hex", {"allow-serials": ["bf9fed6g"]},
     "parameter 'allow-serials[0]' value \"bf9fed6g\""),
    ("allow_serials_number", {"allow-serials": [12345678]},
     "parameter 'allow-serials[0]' value 12345678: must be a string"),
    ("allow_macs_not_a_list", {"allow-macs": "b8:27:eb:12:34:56"},
     "parameter 'allow-macs' value \"b8:27:eb:12:34:56\": must be a list"),
    ("allow_macs_not_hex", {"allow-macs": ["b8:27:eb:12:34:zz"]},
     "parameter 'allow-macs[0]' value \"b8:27:eb:12:34:zz\""),
    ("clients_not_a_list", {"clients": {"serial": "bf9fed6f", "tftp-server": "192.0.2.9"}},
     "parameter 'clients' value { \"serial\": \"bf9fed6f\", \"tftp-server\": \"192.0.2.9\" }: "
     "must be a list"),
    ("clients_entry_not_a_map", {"clients": ["bf9fed6f"]},
     "parameter 'clients[0]' value \"bf9fed6f\": must be a map"),
    ("clients_missing_serial", {"clients": [{"tftp-server": "192.0.2.9"}]},
     "parameter 'clients[0]' value { \"tftp-server\": \"192.0.2.9\" }: needs a \"serial\""),
    ("clients_missing_tftp_server", {"clients": [{"serial": "bf9fed6f"}]},
     "parameter 'clients[0]' value { \"serial\": \"bf9fed6f\" }: needs a \"tftp-server\""),
    ("clients_duplicate_serial", {"clients": [{"serial": "bf9fed6f", "tftp-server": "192.0.2.9"},
                                              {"serial": "10000000BF9FED6F",
                                               "tftp-server": "192.0.2.10"}]},
     "parameter 'clients[1]' value { \"serial\": \"10000000BF9FED6F\", \"tftp-server\": "
     "\"192.0.2.10\" }: serial bf9fed6f appears twice"),
]


class BadParameterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab()

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def refuse(self, params, expected):
        kea = KeaServer(self.lab, hook_params=params)
        code, log = kea.wait_exit()
        self.assertNotEqual(code, 0, "kea-dhcp4 accepted a bad parameter")
        self.assertIn("RPI_NETBOOT_LOAD_FAILED", log)
        self.assertIn(expected, log)
        self.assertIn("DHCP4_CONFIG_LOAD_FAIL", log)


def _make(params, expected):
    return lambda self: self.refuse(params, expected)


for _name, _params, _expected in BAD:
    setattr(BadParameterTest, "test_bad_" + _name, _make(_params, _expected))


class ControlSocketTest(unittest.TestCase):
    """config-set over Kea's control socket runs load(): a bad parameter is refused with the same
    message and the running configuration stays; a good one takes effect. Kea 2.2's config-test,
    like -t, only opens the library and checks version() (its answer says hook libraries were
    "sanity checked"): it cannot see hook parameters, which the README states."""

    def test_config_test_and_config_set(self):
        lab = Lab()
        kea = None
        try:
            kea = KeaServer(lab, hook_params={"tftp-server": "192.0.2.53"}).wait_ready()
            bad = keatest.base_config(lab.server_if, kea.tmp,
                                      hook_params={"allow-macs": ["b8:27:eb:12:34"]})
            expected = "parameter 'allow-macs[0]' value \"b8:27:eb:12:34\""
            res = kea.command("config-test", bad)
            self.assertEqual(res["result"], 0, "Kea's config-test now checks hook parameters: "
                             f"update README section kea-hook: {res}")
            self.assertNotIn(expected, kea.log())
            res = kea.command("config-set", bad)
            self.assertEqual(res["result"], 1, f"config-set accepted a bad parameter: {res}")
            self.assertIn(expected, kea.log())
            # config-reload (what SIGHUP and systemctl reload do) re-reads the file: same refusal.
            with open(kea.config_path, "w") as f:
                json.dump(keatest.base_config(lab.server_if, kea.tmp,
                                              hook_params={"rom-padding": "often"}), f)
            res = kea.command("config-reload")
            self.assertEqual(res["result"], 1, f"config-reload accepted a bad parameter: {res}")
            self.assertIn("parameter 'rom-padding' value \"often\"", kea.log())
            self.assertTrue(kea.proc.alive())
            pi4 = pi("pi4", "e4:5f:01:98:e0:82", "bf9fed6f")
            for r in lab.exchange(*pi4):  # still the configuration it started with
                self.assertEqual(options(r)[66], "192.0.2.53".encode().hex())
            good = keatest.base_config(lab.server_if, kea.tmp,
                                       hook_params={"tftp-server": "192.0.2.54"})
            self.assertEqual(kea.command("config-test", good)["result"], 0)
            res = kea.command("config-set", good)
            self.assertEqual(res["result"], 0, res)
            for r in lab.exchange(*pi("pi4", "e4:5f:01:98:e0:82", "bf9fed6f", xid="1234abcd")):
                self.assertEqual(options(r)[66], "192.0.2.54".encode().hex())
            # The reloaded hook registered its statistics afresh: one Pi 4 DISCOVER + REQUEST.
            self.assertEqual(kea.statistics()["pkt4-rpi-netboot-answered"], 2)
        finally:
            if kea:
                kea.stop()
            lab.close()


class ExampleConfigTest(unittest.TestCase):
    def test_example_config_starts_and_answers_a_pi(self):
        src = os.path.join(keatest.netlab.source_dir(), "examples", "kea-dhcp4.conf")
        with open(src) as f:
            text = f.read()
        lab = Lab(server_ifname="eth0")
        kea = None
        tmp = tempfile.mkdtemp(prefix="rpinb-example-")
        try:
            # Only host paths change: the hook from this build, and files in a temp dir.
            for old, new in (("/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_rpi_netboot.so",
                              keatest.hook_library()),
                             ("/var/lib/kea/kea-leases4.csv", os.path.join(tmp, "leases4.csv")),
                             ("/var/log/kea/kea-dhcp4.log", os.path.join(tmp, "kea.log")),
                             ("/run/kea/kea4-ctrl-socket", os.path.join(tmp, "ctrl.sock"))):
                self.assertEqual(text.count(old), 1, old)
                text = text.replace(old, new)
            # kea-dhcp4 -t (what the file's header tells admins to run) accepts it as well.
            path = os.path.join(tmp, "kea-dhcp4.conf")
            with open(path, "w") as f:
                f.write(text)
            checked = lab.server.exec([keatest.KEA, "-t", path], check=False, timeout=30)
            self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
            kea = KeaServer(lab, config_text=text)
            kea.log_path, kea.socket_path = os.path.join(tmp, "kea.log"), os.path.join(tmp, "ctrl.sock")
            kea.wait_ready()
            replies = lab.exchange(*pi("pi4", "e4:5f:01:98:e0:82", "bf9fed6f"))
            self.assertEqual([r["message_type"] for r in replies], [2, 5], kea.log()[-3000:])
            for r in replies:
                self.assertEqual(options(r)[66], "192.0.2.2".encode().hex())  # clients[] entry
                self.assertEqual(options(r)[43], keatest.PLAIN_OPTION43)
                addr = ipaddress.ip_address(r["yiaddr"])
                self.assertTrue(ipaddress.ip_address("192.0.2.100") <= addr <=
                                ipaddress.ip_address("192.0.2.149"), addr)
            log = kea.log()
            self.assertIn("RPI_NETBOOT_LOAD_OK", log)
            self.assertNotIn("ERROR", log)
            self.assertNotIn("WARN  [kea-dhcp4.rpi-netboot", log)  # the hook has no complaint
            self.assertIn("DHCP4_MULTI_THREADING_INFO enabled: yes", log)
            self.assertEqual(kea.command("statistic-get", {"name": "pkt4-rpi-netboot-answered"})
                             ["arguments"]["pkt4-rpi-netboot-answered"][0][0], 2)
        finally:
            if kea:
                kea.stop()
            lab.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
