#!/usr/bin/env python3
"""Hook parameters as kea-dhcp4 sees them at a real start (kea-dhcp4 -c): each bad parameter makes
Kea refuse the configuration with a log line naming the parameter and the value (Kea's -t does
not call the hook's load()); a hook built for another Kea is refused; and the example
configurations start cleanly and answer a Pi. Run against the Kea RPI_NETBOOT_KEA selects.
"""

import ipaddress
import json
import os
import re
import shutil
import sys
import unittest

import kea_install
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
    ("hostname_template_unknown_placeholder", {"hostname-template": "pi-{serail}"},
     "parameter 'hostname-template' value \"pi-{serail}\": unknown placeholder {serail} "
     "(expected {serial}, {mac}, {model}, {address}, {tftp-server})"),
    ("root_path_template_unknown_placeholder",
     {"root-path-template": "{tftp-server}:/srv/nfs/pi/{hostname}"},
     "parameter 'root-path-template' value \"{tftp-server}:/srv/nfs/pi/{hostname}\": unknown "
     "placeholder {hostname}"),
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

    def check_file(self, option, params):
        """kea-dhcp4 OPTION FILE (a check, no server) on a configuration with these parameters."""
        paths = keatest.INSTALL.new_paths()
        try:
            path = os.path.join(paths.tmp, "check.conf")
            with open(path, "w") as f:
                json.dump(keatest.base_config(self.lab.server_if, paths, hook_params=params), f)
            return self.lab.server.exec(keatest.INSTALL.argv([option, path], paths),
                                        check=False, timeout=60)
        finally:
            paths.remove()

    def test_check_only_modes(self):
        """kea-dhcp4 -t opens the hook and asks version() but never calls load() (2.2, 2.6.3 and
        3.0.4 alike): a bad parameter passes it, which the README and the examples state. Kea
        2.4+'s -T does call load(): there the bad parameter is refused and named."""
        res = self.check_file("-t", {"allow-macs": ["b8:27:eb"]})
        self.assertEqual(res.returncode, 0, "kea-dhcp4 -t now checks hook parameters: update "
                         "README section kea-hook and the examples\n" + res.stdout + res.stderr)
        self.assertNotIn("RPI_NETBOOT_LOAD", res.stdout + res.stderr)
        if keatest.VERSION == "2.2":
            return
        res = self.check_file("-T", {"allow-macs": ["b8:27:eb"]})
        self.assertNotEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("RPI_NETBOOT_LOAD_FAILED", res.stdout)
        self.assertIn("parameter 'allow-macs[0]' value \"b8:27:eb\"", res.stdout)
        good = self.check_file("-T", {"tftp-server": "192.0.2.53"})
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)


def _make(params, expected):
    return lambda self: self.refuse(params, expected)


for _name, _params, _expected in BAD:
    setattr(BadParameterTest, "test_bad_" + _name, _make(_params, _expected))


# What each Kea answers to config-set when the hook's load() fails: 2.2 and 2.6 answer 1
# (CONTROL_RESULT_ERROR); 3.0.4 answers 5 (CONTROL_RESULT_FATAL_ERROR, new in Kea 3.0: "the
# configuration could not be reverted to a working state", cc/command_interpreter.h) with the text
# "One or more hook libraries failed to load". config-reload answers 1 on all three. Either way
# the log names the parameter.
CONFIG_SET_REFUSED = {"2.2": 1, "2.6": 1, "3.0": 5}


class ControlSocketTest(unittest.TestCase):
    """config-set over Kea's control socket runs load(): a bad parameter is refused with the same
    message and the running configuration stays (the hook keeps answering Pis as before, on 3.0
    too despite its "fatal" result code); a good one takes effect. Kea's config-test (2.2, 2.6.3,
    3.0.4), like -t, only opens the library and checks version() (its answer says hook libraries
    were "sanity checked"): it cannot see hook parameters, which the README states."""

    def test_config_test_and_config_set(self):
        lab = keatest.lab_for(self)
        refused = CONFIG_SET_REFUSED[keatest.VERSION]
        kea = keatest.kea_for(self, lab, hook_params={"tftp-server": "192.0.2.53"}).wait_ready()
        bad = keatest.base_config(lab.server_if, kea.paths,
                                  hook_params={"allow-macs": ["b8:27:eb:12:34"]})
        expected = "parameter 'allow-macs[0]' value \"b8:27:eb:12:34\""
        res = kea.command("config-test", bad)
        self.assertEqual(res["result"], 0, "Kea's config-test now checks hook parameters: "
                         f"update README section kea-hook: {res}")
        self.assertNotIn(expected, kea.log())
        res = kea.command("config-set", bad)
        self.assertEqual(res["result"], refused, f"config-set accepted a bad parameter: {res}")
        self.assertIn(expected, kea.log())
        # config-reload (what SIGHUP and systemctl reload do) re-reads the file: same refusal.
        with open(kea.config_path, "w") as f:
            json.dump(keatest.base_config(lab.server_if, kea.paths,
                                          hook_params={"rom-padding": "often"}), f)
        res = kea.command("config-reload")
        self.assertEqual(res["result"], 1, f"config-reload accepted a bad parameter: {res}")
        self.assertIn("parameter 'rom-padding' value \"often\"", kea.log())
        self.assertTrue(kea.proc.alive())
        pi4 = pi("pi4", "e4:5f:01:98:e0:82", "bf9fed6f")
        for r in lab.exchange(*pi4):  # still the configuration it started with
            self.assertEqual(options(r)[66], "192.0.2.53".encode().hex())
        good = keatest.base_config(lab.server_if, kea.paths,
                                   hook_params={"tftp-server": "192.0.2.54"})
        self.assertEqual(kea.command("config-test", good)["result"], 0)
        res = kea.command("config-set", good)
        self.assertEqual(res["result"], 0, res)
        for r in lab.exchange(*pi("pi4", "e4:5f:01:98:e0:82", "bf9fed6f", xid="1234abcd")):
            self.assertEqual(options(r)[66], "192.0.2.54".encode().hex())
        # The reloaded hook registered its statistics afresh: one Pi 4 DISCOVER + REQUEST.
        self.assertEqual(kea.statistics()["pkt4-rpi-netboot-answered"], 2)


# How Kea refuses the other version's build (as measured on 2.2, 2.6.3 and 3.0.4): the dynamic
# loader cannot find that Kea's libraries by their sonames (libkea-*.so.N differ per release), so
# dlopen() fails (HOOKS_OPEN_ERROR, naming the library and the missing libkea-*) before version()
# is asked, and the configuration is refused naming the library.
FOREIGN_REFUSAL = r"HOOKS_OPEN_ERROR failed to open hook library {lib}: libkea-[a-z+-]*\.so\.\d+: "


class ForeignBuildTest(unittest.TestCase):
    """A hook built for another Kea (another KEA_HOOKS_VERSION, other libkea-* sonames) must be
    refused by Kea at start-up with a message naming the library, never loaded: Kea checks each
    library's version() and dlopen() resolves its Kea libraries by soname (Kea ARM, "Hooks
    Libraries"). The build of the other version is taken from the checkout (kea_install)."""

    def test_hook_built_for_another_kea_is_refused(self):
        other = kea_install.Installation(kea_install.foreign_version(keatest.VERSION))
        build = os.path.join(other.build, "kea-hook", kea_install.HOOK_NAME)
        if not os.path.exists(build):
            if keatest.netlab.in_ci():
                self.fail(f"no Kea {other.version} build of the hook at {build}")
            self.skipTest(f"no Kea {other.version} build of the hook at {build}")
        lab = keatest.lab_for(self)
        kea = keatest.kea_for(self, lab, hook_build=other.build)
        library = kea.paths.installed_hooks[0] if kea.paths.installed_hooks else build
        code, log = kea.wait_exit()
        self.assertNotEqual(code, 0, "kea-dhcp4 started with a hook built for another Kea")
        self.assertNotIn("RPI_NETBOOT_LOAD_OK", log)
        self.assertRegex(log, FOREIGN_REFUSAL.format(lib=re.escape(library)))
        self.assertIn("DHCP4_CONFIG_LOAD_FAIL", log)
        self.assertIn("hooks libraries failed to validate - library or libraries in error are: "
                      + library, log)


class PathRulesTest(unittest.TestCase):
    """Why the harness installs the hook and places sockets and logs as it does: Kea 2.6.3 and
    later refuse a hook library outside their hooks directory, a control socket outside /run/kea
    and a log file outside /var/log/kea, naming the supported path (Kea ARM, "Securing a Kea
    Deployment"); Kea 2.2 has no such rules and starts with all three in a temp dir."""

    def start(self, misplace):
        lab = keatest.lab_for(self)
        paths = keatest.paths_for(self)
        config = None
        if misplace == "hook":
            library = os.path.join(paths.tmp, kea_install.HOOK_NAME)
            shutil.copyfile(os.path.join(keatest.INSTALL.build, "kea-hook",
                                         kea_install.HOOK_NAME), library)
            config = keatest.base_config(lab.server_if, paths, with_hook=False)
            config["Dhcp4"]["hooks-libraries"] = [{"library": library}]
        else:
            setattr(paths, misplace, os.path.join(paths.tmp, misplace))
        kea = keatest.kea_for(self, lab, config=config, paths=paths)
        if keatest.INSTALL.chroot:
            return kea.wait_exit()
        kea.wait_ready()
        return 0, kea.log()

    def check(self, misplace, supported, what):
        code, log = self.start(misplace)
        if not keatest.INSTALL.chroot:
            self.assertIn("DHCP4_STARTED", log)
            return
        self.assertNotEqual(code, 0, f"Kea {keatest.VERSION} accepted a {what} outside {supported}")
        self.assertRegex(log, r"invalid path specified: '/tmp/rpinb-kea-[^']+', supported path is '"
                         + re.escape(supported) + "'")

    def test_hook_outside_the_hooks_directory(self):
        self.check("hook", keatest.INSTALL.hooks_dir or "", "hook library")

    def test_control_socket_outside_run_kea(self):
        self.check("socket", "/run/kea", "control socket")

    def test_log_outside_var_log_kea(self):
        self.check("log", "/var/log/kea", "log file")


# The example configurations and the Kea versions each is for. Kea 3.0 deprecates a pool's
# "client-class" for "client-classes" (a list), which 2.2 and 2.6 do not know (Kea 3.0 release
# notes): kea-dhcp4.conf loads on all three (3.0 logs the deprecation), kea-dhcp4-3.0.conf is the
# same configuration in 3.0's words and loads there without any deprecation.
EXAMPLES = {"kea-dhcp4.conf": ("2.2", "2.6", "3.0"), "kea-dhcp4-3.0.conf": ("3.0",)}


class ExampleConfigTest(unittest.TestCase):
    def run_example(self, name):
        # kea-dhcp4 -t (what the file's header tells admins to run) accepts it as well, and it
        # starts with this run's own files (keatest.start_example).
        lab, _, kea = keatest.start_example(self, name)
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
        return log

    def test_example_config_starts_and_answers_a_pi(self):
        log = self.run_example("kea-dhcp4.conf")
        # The one deprecation Kea 3.0 logs for it, which kea-dhcp4-3.0.conf avoids.
        self.assertEqual("client-class" in deprecations(log), keatest.VERSION == "3.0",
                         deprecations(log))

    def test_example_config_for_kea_3_0_has_no_deprecation(self):
        if keatest.VERSION in EXAMPLES["kea-dhcp4-3.0.conf"]:
            self.assertEqual(deprecations(self.run_example("kea-dhcp4-3.0.conf")), "")
            return
        # Older Keas do not know a pool's "client-classes": they refuse the file, which is why
        # kea-dhcp4.conf keeps "client-class".
        lab = keatest.lab_for(self, server_ifname="eth0")
        paths = keatest.paths_for(self)
        code, output = keatest.config_check(lab.server, keatest.example_text("kea-dhcp4-3.0.conf"),
                                            paths)
        self.assertNotEqual(code, 0)
        self.assertIn("client-classes", output)


def deprecations(log):
    return "\n".join(line for line in log.splitlines() if "deprecat" in line.lower())


if __name__ == "__main__":
    keatest.require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
