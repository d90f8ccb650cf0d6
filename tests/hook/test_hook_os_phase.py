#!/usr/bin/env python3
"""One Pi, one identity from boot firmware to running OS, with Debian's real clients and the
shipped examples/kea-dhcp4.conf.

After a Pi's firmware netboots (Pi 4 and Pi 5 EEPROM exchanges; a Pi 3B ROM and its bootcode.bin,
whose offers the hook holds), its Linux asks again from the same MAC with other clients, each
with its own request list and client identifier: the kernel's ip=dhcp (a real kernel under QEMU,
tests/lib/qemu_kernel.py), klibc's ipconfig, dhclient (no client-id), dhcpcd (a DUID client-id),
systemd-networkd (DUID-EN), udhcpc (01:MAC) (tests/lib/os_clients.py), then the firmware boots
again. Throughout the Pi must keep one address, get the hostname (option 12) and root path (option
17) the example's templates make for its serial, and end with exactly one live lease for its MAC
(lease4-get-all of Kea's lease_cmds); also when Kea restarts between phases. The kernel, given
only `root=/dev/nfs ip=dhcp`, mounts its root from the lab's NFS server, the Linux kernel NFS
server (knfsd) in a second QEMU guest (tests/lib/knfsd_guest.py), exported there for the Pi's
serial by rpi-nfs-exports (knfsd backend), and its init prints a marker from there. That server
has its own address behind the lab's server namespace (which routes to it; the example's subnet
names that namespace as the router), so the example's root-path template is used with its
{tftp-server} replaced by the server's address: the only change to the example besides its file
paths.

Expected values are computed here from the example's own parameters (templates, clients[]
overrides) and the placeholders docs/kea.md documents, not read back from the hook.
"""

import ipaddress
import json
import os
import re
import sys
import time
import unittest

import keatest
from keatest import KeaServer, Lab, netlab, pi

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import knfsd_guest  # noqa: E402
import os_clients  # noqa: E402
import qemu_kernel  # noqa: E402

EXAMPLE = os.path.join(netlab.source_dir(), "examples", "kea-dhcp4.conf")
EXAMPLE_HOOK = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_rpi_netboot.so"
EXAMPLE_FILES = {"leases": "/var/lib/kea/kea-leases4.csv", "log": "/var/log/kea/kea-dhcp4.log",
                 "socket": "/run/kea/kea4-ctrl-socket"}
LEASE_CMDS = "libdhcp_lease_cmds.so"
PI_POOL = (ipaddress.ip_address("192.0.2.100"), ipaddress.ip_address("192.0.2.149"))

# The Pis: none of them in the example's clients[] (whose serial has another TFTP server), so
# {tftp-server} is the example's tftp-server, where the lab's NFS server runs.
PIS = {
    "pi4": {"mac": "dc:a6:32:01:36:c2", "serial": "0c0ffee4", "stages": ["pi4"]},
    "pi5": {"mac": "2c:cf:67:00:00:05", "serial": "5a5a0005", "stages": ["pi5"]},
    # Pi 3B: boot ROM (sends no serial), then bootcode.bin (its serial; low 3 bytes = MAC's).
    "pi3": {"mac": "b8:27:eb:65:43:21", "serial": "00654321", "stages": ["rom3", "bootcode"]},
}
# In the sequence systemd-networkd is told SendRelease=no: stopped with its default (yes, as at
# shutdown) it releases the lease, which test_networkd_release_keeps_address covers on its own.
OS_CLIENTS = ["klibc", "dhclient", "dhcpcd", "networkd", "udhcpc"]
ROOT_PATH_ASKERS = {"kernel", "klibc"}  # the clients whose option 55 lists 17
# The client identifier (option 61) each phase sends, as Kea logs it (cid=[...] of
# DHCP4_LEASE_ALLOC): none from the kernel, klibc and dhclient; RFC 4361's ff + IAID + DUID from
# dhcpcd (DUID-LLT, type 1) and systemd-networkd (DUID-EN, type 2, RFC 8415 section 11); 01 + MAC
# (RFC 2132 section 9.14) from udhcpc. The sequence is only worth its name if these differ.
CLIENT_IDS = {"kernel": r"no info", "klibc": r"no info", "dhclient": r"no info",
              "dhcpcd": r"ff:(?:[0-9a-f]{2}:){4}00:01:[0-9a-f:]+",
              "networkd": r"ff:(?:[0-9a-f]{2}:){4}00:02:[0-9a-f:]+",
              "udhcpc": r"01:{mac}"}


def strip_comments(text):
    """The example is JSON with // comments (Kea accepts them); none inside its strings."""
    return re.sub(r"^\s*//.*$", "", text, flags=re.M)


def example_params():
    with open(EXAMPLE) as f:
        cfg = json.loads(strip_comments(f.read()))
    hook = next(h for h in cfg["Dhcp4"]["hooks-libraries"] if h["library"] == EXAMPLE_HOOK)
    return hook["parameters"]


def nfs_root_path_template(template):
    """The example's root-path template with the knfsd guest as the server: the shipped one names
    {tftp-server} (where the lab's Kea runs); the path layout stays the example's."""
    prefix = "{tftp-server}:"
    assert template.startswith(prefix), f"the example's root-path template changed: {template}"
    return knfsd_guest.ADDRESS + ":" + template[len(prefix):]


def expand(template, serial, mac, address, tftp_server):
    """docs/kea.md's placeholders; {model} is not used by the shipped templates."""
    if "{model}" in template:
        raise AssertionError("the test's oracle does not know {model}'s spelling: " + template)
    out = (template.replace("{serial}", serial).replace("{mac}", mac.replace(":", "-"))
           .replace("{address}", address).replace("{tftp-server}", tftp_server))
    assert "{" not in out, f"unknown placeholder in {template}"
    return out


class Example:
    """The shipped example as Kea reads it, with only its file paths replaced by this server's
    own (keatest.KeaServer paths: the hook, lease file, log and control socket under unique
    names in the directories the Kea under test allows, since other tests may run the example in
    the same chroot at the same time), and Kea's own lease_cmds library loaded first when the
    example does not load it, for lease4-get-all."""

    def __init__(self):
        with open(EXAMPLE) as f:
            text = f.read()
        self.paths = keatest.INSTALL.new_paths()
        for old, new in ((EXAMPLE_HOOK, self.paths.hook()),
                         (EXAMPLE_FILES["leases"], self.paths.leases),
                         (EXAMPLE_FILES["log"], self.paths.log),
                         (EXAMPLE_FILES["socket"], self.paths.socket)):
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        template = example_params()["root-path-template"]
        old = f'"root-path-template": "{template}"'
        assert text.count(old) == 1, old
        text = text.replace(old, f'"root-path-template": "{nfs_root_path_template(template)}"')
        hooks_dir = keatest.INSTALL.hooks_dir if keatest.INSTALL.chroot else os.path.dirname(
            EXAMPLE_HOOK)
        if LEASE_CMDS not in text:
            text = text.replace('"hooks-libraries": [', '"hooks-libraries": [ { "library": "'
                                + os.path.join(hooks_dir, LEASE_CMDS) + '" },', 1)
        self.text = text

    def start(self, lab):
        return KeaServer(lab, config_text=self.text, paths=self.paths).wait_ready()


def restart(kea, lab, example):
    """Stops kea-dhcp4 by PID (SIGTERM, as systemd does) keeping its lease file, starts it again
    from the same configuration."""
    kea.proc.stop()
    return example.start(lab)


class OsPhaseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.params = example_params()
        for key in ("hostname-template", "root-path-template"):
            assert key in cls.params, f"examples/kea-dhcp4.conf sets no {key}"
        cls.params["root-path-template"] = nfs_root_path_template(
            cls.params["root-path-template"])
        cls.tftp_server = cls.params["tftp-server"]
        cls.kernel = qemu_kernel.kernel_image()
        cls.lab = Lab(server_ifname="eth0")
        cls.nfs = None  # the knfsd guest, booted by the first test that needs it

    @classmethod
    def tearDownClass(cls):
        if cls.nfs:
            cls.nfs.close()
        cls.lab.close()

    def nfs_server(self):
        cls = type(self)
        if cls.nfs is None:
            start = time.monotonic()
            cls.nfs = knfsd_guest.Server(self.lab.server, self.kernel)
            self.timings.append(("knfsd guest boot", time.monotonic() - start))
        return cls.nfs

    def setUp(self):
        self.example = Example()
        self.kea = None
        self.state = os.path.join(self.example.paths.tmp, "pi-os")
        self.timings = []

    def tearDown(self):
        if self.kea:
            self.kea.stop()
        else:
            self.example.paths.remove()
        print("timings: " + ", ".join(f"{n} {t:.1f}s" for n, t in self.timings), file=sys.stderr)

    def expected(self, model, address):
        p = PIS[model]
        return (expand(self.params["hostname-template"], p["serial"], p["mac"], address,
                       self.tftp_server),
                expand(self.params["root-path-template"], p["serial"], p["mac"], address,
                       self.tftp_server))

    def firmware(self, model):
        """The Pi's firmware exchange(s); returns the address it was given."""
        p = PIS[model]
        address = None
        for stage in p["stages"]:
            replies = self.lab.exchange(*pi(stage, p["mac"], p["serial"]))
            if not replies:
                # A Pi's firmware sends DISCOVER again when nothing came back (the boot ROM five
                # times: raspberrypi/documentation boot-net.adoc); once here, for a reply lost
                # on a loaded machine (seen once on Kea 2.6 at load average 15). Logged, so a
                # pattern would show.
                print(f"{stage}: no reply in 3 s, DISCOVER again", file=sys.stderr)
                replies = self.lab.exchange(*pi(stage, p["mac"], p["serial"]))
            types = [r["message_type"] for r in replies]
            self.assertEqual(types, [2, 5] if stage in ("pi4", "pi5") else [2],
                             f"{stage}: {types}\n" + self.kea.log()[-3000:])
            self.assertIn(43, keatest.options(replies[0]), f"{stage}: not answered as a Pi")
            got = replies[-1]["yiaddr"]
            if address and stage == "bootcode":
                # bootcode.bin comes back to the ROM's held offer.
                self.assertEqual(got, address, "bootcode.bin left the ROM's address")
            address = got
        self.assertTrue(PI_POOL[0] <= ipaddress.ip_address(address) <= PI_POOL[1], address)
        return address

    def live_leases(self, mac):
        res = self.kea.command("lease4-get-all")
        self.assertIn(res["result"], (0, 3), res)  # 3: empty
        now = time.time()
        leases = res.get("arguments", {}).get("leases", [])
        return [lease for lease in leases if lease["hw-address"].lower() == mac and
                lease.get("state", 0) == 0 and lease["cltt"] + lease["valid-lft"] > now]

    def last_client_id(self, mac):
        """cid=[...] of Kea's last DHCP4_LEASE_ALLOC for `mac` (INFO, the example's severity)."""
        pattern = r"DHCP4_LEASE_ALLOC \[hwtype=1 " + re.escape(mac) + r"\], cid=\[([^]]*)\]"
        found = re.findall(pattern, self.kea.log())
        self.assertTrue(found, "no DHCP4_LEASE_ALLOC for " + mac)
        return found[-1]

    def check(self, what, got_address, got_hostname, got_rootpath, address, hostname, rootpath,
              asks_root_path):
        self.assertEqual(got_address, address, f"{what}: another address\n"
                         + self.kea.log()[-3000:])
        self.assertEqual(got_hostname, hostname, f"{what}: hostname (option 12)")
        self.assertEqual(got_rootpath, rootpath if asks_root_path else None,
                         f"{what}: root path (option 17)")

    def sequence(self, model, restart_between=(), kernel=True):
        p = PIS[model]
        self.kea = self.example.start(self.lab)
        address = self.firmware(model)
        hostname, rootpath = self.expected(model, address)
        phases = (["kernel"] if kernel else []) + OS_CLIENTS
        host = None
        for phase in phases:
            if phase in restart_between:
                self.kea = restart(self.kea, self.lab, self.example)
            start = time.monotonic()
            if phase == "kernel":
                server, _, path = rootpath.partition(":")
                self.assertEqual(server, knfsd_guest.ADDRESS, "the root path's server is the lab's")
                nfs = self.nfs_server()
                qemu_kernel.make_root(nfs.root_dir(p["serial"]))
                exported = nfs.export(p["serial"], address, path, nfs.root_dir(p["serial"]))
                self.assertIn(f"{path} to {address}", exported, "rpi-nfs-exports' report")
                boot = qemu_kernel.boot(self.lab.client, self.lab.client_if, p["mac"],
                                        self.kernel,
                                        os.path.join(self.example.paths.tmp, "console.log"))
                self.check("kernel ip=dhcp", boot.address, boot.hostname, boot.rootpath,
                           address, hostname, rootpath, True)
                self.assertTrue(boot.root_ran, "the NFS root's init did not run:\n"
                                + boot.console[-3000:])
                self.assertEqual(boot.os_hostname, hostname, "the kernel's host name")
                self.assertEqual(boot.mounted_root, rootpath, "the mounted root")
            else:
                if host is None:
                    host = os_clients.Host(self.lab.client, self.lab.client_if, p["mac"],
                                           self.state)
                lease = (host.networkd(send_release=False) if phase == "networkd"
                         else host.run(phase))
                self.check(phase, lease.address, lease.hostname, lease.rootpath, address,
                           hostname, rootpath, phase in ROOT_PATH_ASKERS)
            self.assertRegex(self.last_client_id(p["mac"]),
                             "^" + CLIENT_IDS[phase].replace("{mac}", p["mac"]) + "$",
                             f"{phase}: the client-id Kea saw")
            self.timings.append((phase, time.monotonic() - start))
        # The hook's registry (rpi-netboot-get over Kea's control channel) knows the Pi by the
        # address its OS used, as an OS-phase Pi.
        res = self.kea.command("rpi-netboot-get", {"address": address})
        self.assertEqual(res["result"], 0, res)
        keys = ("serial", "mac", "address", "phase")
        self.assertEqual({k: res["arguments"].get(k) for k in keys},
                         {"serial": p["serial"], "mac": p["mac"], "address": address,
                          "phase": "os"}, res)
        if "firmware" in restart_between:
            self.kea = restart(self.kea, self.lab, self.example)
        self.assertEqual(self.firmware(model), address, "the next firmware boot")
        live = self.live_leases(p["mac"])
        self.assertEqual([lease["ip-address"] for lease in live], [address],
                         json.dumps(live, indent=1))

    def test_pi4_kernel_and_os_clients(self):
        self.sequence("pi4")

    def test_pi5_across_kea_restarts(self):
        self.sequence("pi5", restart_between=("kernel", "dhcpcd", "udhcpc", "firmware"))

    def test_pi3_rom_and_bootcode(self):
        self.sequence("pi3")

    def debug_log(self):
        """Kea's and the hook's DEBUG messages (the example logs INFO), so the release shows."""
        old = '"severity": "INFO",\n            "debuglevel": 0'
        self.assertEqual(self.example.text.count(old), 1, "the example's logger changed")
        self.example.text = self.example.text.replace(
            old, '"severity": "DEBUG",\n            "debuglevel": 55')

    def networkd_release(self, mac):
        """systemd-networkd with its default SendRelease=yes, stopped: returns its address after
        checking that Kea logged its DHCPRELEASE (DHCP4_RELEASE and, on 2.6 and 3.0,
        DHCP4_RELEASE_DELETED or _EXPIRED when a lease goes; DHCP4_HOOK_LEASE4_RELEASE_SKIP when
        the hook keeps it)."""
        host = os_clients.Host(self.lab.client, self.lab.client_if, mac, self.state)
        address = host.networkd().address
        release = re.compile(r"DHCP4_(?:RELEASE\w*|HOOK_LEASE4_RELEASE_SKIP) .*(?:"
                             + re.escape(mac) + "|" + re.escape(address) + ")")
        self.assertTrue(netlab.wait_for(lambda: release.search(self.kea.log()), timeout=10,
                                        what="Kea logging the DHCPRELEASE"))
        return address

    def test_networkd_release_keeps_address(self):
        """systemd-networkd's DHCPRELEASE when it stops (its default, as at every shutdown), then
        the next firmware boot: same address, one live lease. Without the hook's
        keep-pi-leases-on-release (default true) Kea 2.2 deleted the released lease, and the
        identity stored with it, and the next boot got the pool's next free address; the hook
        skips the release of a Pi's lease (lease4_release, next step SKIP) on every version."""
        p = PIS["pi4"]
        self.debug_log()
        self.kea = self.example.start(self.lab)
        address = self.firmware("pi4")
        self.assertEqual(self.networkd_release(p["mac"]), address)
        log = self.kea.log()
        self.assertIn("DHCP4_HOOK_LEASE4_RELEASE_SKIP", log)
        self.assertRegex(log, r"RPI_NETBOOT_RELEASE_KEPT .*" + re.escape(address) + r" by Pi "
                         + p["serial"])
        self.assertEqual([lease["ip-address"] for lease in self.live_leases(p["mac"])],
                         [address], "the released lease must stay")
        self.assertEqual(self.firmware("pi4"), address, "the firmware boot after the release")
        live = self.live_leases(p["mac"])
        self.assertEqual([lease["ip-address"] for lease in live], [address],
                         json.dumps(live, indent=1))

    def test_other_clients_release(self):
        """A client the registry does not know (not a Pi MAC; and a Pi-OUI MAC that never booted
        here) releases as Kea does without the hook: its lease is no longer live."""
        self.debug_log()
        self.kea = self.example.start(self.lab)
        for mac in ("02:00:5e:10:00:07", "dc:a6:32:77:00:01"):
            self.networkd_release(mac)
            self.assertEqual(self.live_leases(mac), [], mac + ": the released lease stayed")
        self.assertNotIn("RPI_NETBOOT_RELEASE_KEPT", self.kea.log())

    def test_release_with_keep_off(self):
        """keep-pi-leases-on-release false: a Pi's release ends its lease as Kea alone does."""
        p = PIS["pi4"]
        self.debug_log()
        old = '"parameters": {'
        self.assertEqual(self.example.text.count(old), 1)
        self.example.text = self.example.text.replace(
            old, old + ' "keep-pi-leases-on-release": false,')
        self.kea = self.example.start(self.lab)
        address = self.firmware("pi4")
        self.assertEqual(self.networkd_release(p["mac"]), address)
        self.assertEqual(self.live_leases(p["mac"]), [], "the released lease stayed")
        self.assertNotIn("RPI_NETBOOT_RELEASE_KEPT", self.kea.log())


def require():
    keatest.require()
    missing = (os_clients.missing_tools() + qemu_kernel.missing_tools()
               + knfsd_guest.missing_tools())
    if missing:
        netlab.skip_or_fail("missing: " + ", ".join(missing))
    if qemu_kernel.kernel_image() is None:
        netlab.skip_or_fail("the tiny kernel is not built (tests/lib/tiny_kernel.sh; `make test` "
                            "builds it first)")


if __name__ == "__main__":
    require()
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
