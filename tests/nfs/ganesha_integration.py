#!/usr/bin/python3
"""rpi-nfs-exports --backend ganesha against the real nfs-ganesha (VFS FSAL).

Network namespaces: the server (192.0.2.1 towards the Pi, 198.51.100.1 towards another host)
runs rpcbind and ganesha.nfsd in a private mount namespace (nfs_ns.py); "pi" is the Pi at
192.0.2.10, "other" a stranger at 198.51.100.66. The client is libnfs-utils (nfs-ls, nfs-cp), a
user-space NFS client that sends AUTH_SYS uid 0 when run as root. `provision` clones a Raspberry Pi
OS-shaped root (stock cmdline.txt and fstab forms, docs/nfs.md) and exports it; the Pi can then
read and write it as root, the stranger is refused, and `remove` takes the Pi's access away.

ganesha's D-Bus interface is on a private dbus-daemon (its address passed to ganesha in
DBUS_SYSTEM_BUS_ADDRESS): `watch-mounts` asks ganesha's client manager for its clients and emits one
NFS_MOUNT event per Pi client, with the NFS version, and none for the stranger. A second Pi
("pi2", 192.0.2.130 behind the server's 192.0.2.129) is there because ganesha keys its clients by
address: one address is one client, whatever versions it uses.
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nfs_ns  # noqa: E402
from nfs_ns import netlab  # noqa: E402

SERVER_PI_SIDE = "192.0.2.1"
PI = "192.0.2.10"
OTHER = "198.51.100.66"
SERVER_PI2_SIDE = "192.0.2.129"
PI2 = "192.0.2.130"
SERIAL = "0c0ffee1"
SB = None
GANESHA = None
BUS = None

# Raspberry Pi OS (bookworm) writes these forms: cmdline.txt as one line with root=PARTUUID=...
# and a firstboot init=, fstab mounting the two SD card partitions by PARTUUID.
STOCK_CMDLINE = ("console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
                 "fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot "
                 "splash plymouth.ignore-serial-consoles cfg80211.ieee80211_regdom=GB\n")
STOCK_FSTAB = ("proc            /proc           proc    defaults          0       0\n"
               "PARTUUID=4e639091-01  /boot/firmware  vfat    defaults          0       2\n"
               "PARTUUID=4e639091-02  /               ext4    defaults,noatime  0       1\n"
               "# a swapfile is not a swap partition\n")


def paths():
    g = SB.path("ganesha")
    return {"conf": os.path.join(g, "ganesha.conf"), "include": os.path.join(g, "rpi-netboot.conf"),
            "pid": os.path.join(g, "ganesha.pid"), "log": os.path.join(g, "ganesha.log"),
            "bus_conf": os.path.join(g, "bus.conf"), "bus": os.path.join(g, "bus.sock")}


def bus_address():
    return "unix:path=" + paths()["bus"]


def start_bus():
    """A private dbus-daemon for ganesha's D-Bus interface (the host's system bus is left alone):
    root may own ganesha's name and call it, as Debian's nfs-ganesha-dbus.conf allows on the
    system bus."""
    p = paths()
    with open(p["bus_conf"], "w") as f:
        f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>{bus_address()}</listen>
  <auth>EXTERNAL</auth>
  <policy user="root">
    <allow own="org.ganesha.nfsd"/>
    <allow send_destination="org.ganesha.nfsd"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.DBus"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow send_type="signal"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
</busconfig>
""")
    bus = netlab.Proc(["dbus-daemon", "--nofork", "--nopidfile", "--config-file", p["bus_conf"]],
                      name="dbus-daemon", log=nfs_ns.log_path(SB, "dbus-daemon"))
    netlab.wait_for(lambda: os.path.exists(p["bus"]), timeout=15, what="dbus-daemon's socket")
    return bus


def start_ganesha():
    p = paths()
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus_address())
    if os.path.exists(p["pid"]):
        os.unlink(p["pid"])  # a stopped ganesha's: the wait below is for the new one's
    proc = netlab.Proc(["ganesha.nfsd", "-F", "-f", p["conf"], "-L", p["log"], "-p", p["pid"],
                        "-N", "NIV_EVENT"], name="ganesha", env=env,
                       log=nfs_ns.log_path(SB, "ganesha-stdout"))
    try:
        netlab.wait_for(lambda: SB.nfs.registered(100003) and SB.nfs.registered(100005)
                        and os.path.exists(p["pid"]), timeout=30, what="ganesha to register")
    except TimeoutError:
        with open(p["log"], errors="replace") as f:
            sys.stderr.write(f.read()[-3000:])
        raise
    return proc


def tool_argv(pid_file=None, conf=None):
    p = paths()
    return [nfs_ns.tool_path(), "--backend", "ganesha", "--base", SB.path("srv", "pi"),
            "--ganesha-config", conf or p["conf"], "--ganesha-include", p["include"],
            "--ganesha-pid-file", pid_file or p["pid"], "--verify-timeout", "30"]


def tool(*args, pid_file=None, conf=None, timeout=120):
    return netlab.run(tool_argv(pid_file, conf) + list(args), check=False, timeout=timeout)


def make_base_root(root):
    """A small Raspberry Pi OS-shaped root with the metadata a faithful copy must keep."""
    for d in ("boot/firmware", "etc/ssh", "home/pi", "usr/bin"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    files = {"boot/firmware/cmdline.txt": STOCK_CMDLINE, "etc/fstab": STOCK_FSTAB,
             "etc/machine-id": "0123456789abcdef0123456789abcdef\n", "etc/hostname": "raspberrypi\n",
             "etc/hosts": "127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n",
             "etc/ssh/ssh_host_ed25519_key": "private\n", "etc/ssh/ssh_host_ed25519_key.pub": "pub\n",
             "etc/ssh/sshd_config": "PermitRootLogin no\n", "home/pi/notes.txt": "hello from pi\n",
             "usr/bin/tool": "#!/bin/sh\n"}
    for rel, text in files.items():
        with open(os.path.join(root, rel), "w") as f:
            f.write(text)
    os.chown(os.path.join(root, "home/pi"), 1000, 1000)
    os.chown(os.path.join(root, "home/pi/notes.txt"), 1000, 1000)
    os.chmod(os.path.join(root, "home/pi/notes.txt"), 0o640)
    os.chmod(os.path.join(root, "usr/bin/tool"), 0o4755)
    os.link(os.path.join(root, "usr/bin/tool"), os.path.join(root, "usr/bin/tool-hardlink"))
    os.setxattr(os.path.join(root, "home/pi/notes.txt"), "user.rpinb", b"kept")
    netlab.run(["setfacl", "-m", "u:1234:r", os.path.join(root, "home/pi/notes.txt")])



def setUpModule():
    global SB, GANESHA, BUS
    SB = nfs_ns.Sandbox()
    g = SB.path("ganesha")
    os.makedirs(g)
    os.makedirs(SB.path("srv", "pi"))
    os.makedirs(SB.path("srv", "shared"))
    os.makedirs("/var/lib/nfs/ganesha", exist_ok=True)
    p = paths()
    # A foreign export already holds Export_Id 100 (our first choice): ours must not collide.
    with open(p["conf"], "w") as f:
        f.write(f"""# test server: NFSv3 and v4 over TCP, no grace period so the test can write at once
NFS_CORE_PARAM {{
    Protocols = 3, 4;
    Enable_NLM = false;
    Enable_RQUOTA = false;
}}
NFSV4 {{
    Graceless = true;
    RecoveryBackend = fs;
}}
LOG {{
    Default_Log_Level = EVENT;
}}
EXPORT {{
    Export_Id = 100;
    Path = "{SB.path('srv', 'shared')}";
    Pseudo = "/shared";
    Access_Type = RO;
    Squash = Root_Squash;
    Protocols = 3, 4;
    FSAL {{
        Name = VFS;
    }}
}}
%include "{p['include']}"
""")
    open(p["include"], "w").close()
    SB.nfs.start_rpcbind(log=nfs_ns.log_path(SB, "rpcbind"))
    BUS = start_bus()
    GANESHA = start_ganesha()


def tearDownModule():
    if GANESHA:
        GANESHA.stop(timeout=10)
    if BUS:
        BUS.stop(timeout=10)
    SB.close()


class Ganesha(unittest.TestCase):
    def assertOk(self, r):
        self.assertEqual(r.returncode, 0, f"stdout: {r.stdout}\nstderr: {r.stderr}")

    def nfs(self, ns, *argv):
        r = SB.run_in(ns, list(argv), timeout=60)
        # Logged so that a failure (or a surprising success) can be read in ctest's output.
        print(f"[{ns}] {' '.join(argv)} -> {r.returncode}\n{r.stdout}{r.stderr}", file=sys.stderr)
        return r

    def test_provision_export_access_and_remove(self):
        base_root = SB.path("base-root")
        make_base_root(base_root)
        root = SB.path("srv", "pi", SERIAL)
        r = tool("provision", SERIAL, "--from", base_root, "--client", PI,
                 "--server", SERVER_PI_SIDE)
        self.assertOk(r)
        self.assertIn(f"live: mountd on 127.0.0.1 exports {root} to {PI}", r.stdout)
        self.assertIn("live: nfsd on 127.0.0.1 answers", r.stdout)

        # The copy was personalised and kept owners, modes, hard links, xattrs and ACLs.
        with open(os.path.join(root, "boot/firmware/cmdline.txt")) as f:
            self.assertEqual(f.read(), "console=serial0,115200 console=tty1 fsck.repair=yes quiet "
                             "splash plymouth.ignore-serial-consoles cfg80211.ieee80211_regdom=GB "
                             f"root=/dev/nfs nfsroot={SERVER_PI_SIDE}:{root},vers=3,tcp rw ip=dhcp "
                             "rootwait\n")
        with open(os.path.join(root, "etc/fstab")) as f:
            fstab = f.read().splitlines()
        self.assertEqual(fstab[0], STOCK_FSTAB.splitlines()[0])
        self.assertTrue(fstab[1].startswith("# ") and "PARTUUID=4e639091-01" in fstab[1])
        self.assertTrue(fstab[2].startswith("# ") and "PARTUUID=4e639091-02" in fstab[2])
        self.assertEqual(fstab[3], "# a swapfile is not a swap partition")
        self.assertEqual(os.path.getsize(os.path.join(root, "etc/machine-id")), 0)
        # The base root's host keys are gone; ssh-keygen -A made the copy its own.
        for rel in ("etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ed25519_key.pub"):
            with open(os.path.join(root, rel)) as f:
                self.assertNotIn(f.read(), ("private\n", "pub\n"), rel)
        self.assertTrue(os.path.exists(os.path.join(root, "etc/ssh/sshd_config")))
        with open(os.path.join(root, "etc/hostname")) as f:
            self.assertEqual(f.read(), f"pi-{SERIAL}\n")
        notes = os.path.join(root, "home/pi/notes.txt")
        st = os.stat(notes)
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (1000, 1000, 0o640))
        self.assertEqual(os.getxattr(notes, "user.rpinb"), b"kept")
        self.assertIn("user:1234:r--", netlab.run(["getfacl", "-p", notes]).stdout)
        tool_st = os.stat(os.path.join(root, "usr/bin/tool"))
        self.assertEqual(tool_st.st_mode & 0o7777, 0o4755)
        self.assertEqual(tool_st.st_ino, os.stat(os.path.join(root, "usr/bin/tool-hardlink")).st_ino)
        # The base root itself is untouched.
        with open(os.path.join(base_root, "boot/firmware/cmdline.txt")) as f:
            self.assertEqual(f.read(), STOCK_CMDLINE)

        # Export_Id: 100 is taken by the foreign export, so ours is 101.
        listed = json.loads(tool("list", "--json").stdout)
        self.assertEqual([(e["serial"], e["client"], e["export_id"]) for e in listed],
                         [(SERIAL, PI, 101)])

        # The Pi reads its root over NFSv3 and v4 ...
        for version in (3, 4):
            r = self.nfs("gpi", "nfs-ls", f"nfs://{SERVER_PI_SIDE}{root}/etc?version={version}")
            self.assertOk(r)
            self.assertIn("hostname", r.stdout)
        local = SB.path("from-pi.txt")
        r = self.nfs("gpi", "nfs-cp", f"nfs://{SERVER_PI_SIDE}{root}/etc/hostname?version=3", local)
        self.assertOk(r)
        with open(local) as f:
            self.assertEqual(f.read(), f"pi-{SERIAL}\n")
        # ... and writes as root, which stays root on the server (no_root_squash).
        src = SB.path("written-by-pi.txt")
        with open(src, "w") as f:
            f.write("root was here\n")
        r = self.nfs("gpi", "nfs-cp", src, f"nfs://{SERVER_PI_SIDE}{root}/root-file.txt?version=3")
        self.assertOk(r)
        written = os.path.join(root, "root-file.txt")
        with open(written) as f:
            self.assertEqual(f.read(), "root was here\n")
        self.assertEqual(os.stat(written).st_uid, 0)

        # Another address is refused: no listing, no write.
        other_url = f"nfs://198.51.100.1{root}/etc?version=3"
        r = self.nfs("gother", "nfs-ls", other_url)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertNotIn("hostname", r.stdout)
        r = self.nfs("gother", "nfs-cp", src, f"nfs://198.51.100.1{root}/intruder.txt?version=3")
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(root, "intruder.txt")))
        r = self.nfs("gother", "nfs-ls", f"nfs://198.51.100.1{root}/etc?version=4")
        self.assertNotIn("hostname", r.stdout)
        # The foreign export still works for the stranger (read-only).
        r = self.nfs("gother", "nfs-ls", f"nfs://198.51.100.1{SB.path('srv', 'shared')}?version=3")
        self.assertOk(r)

        # check: state, Export_Ids and the live server agree.
        r = tool("check")
        self.assertOk(r)
        self.assertIn("ok: 1 Pi export(s)", r.stdout)

        # remove: ganesha drops the export on SIGHUP and the Pi is refused from then on.
        r = tool("remove", SERIAL)
        self.assertOk(r)
        r = self.nfs("gpi", "nfs-ls", f"nfs://{SERVER_PI_SIDE}{root}/etc?version=3")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertEqual(json.loads(tool("list", "--json").stdout), [])
        self.assertTrue(GANESHA.alive())

    def test_server_not_running_and_bad_input(self):
        d = SB.path("srv", "pi", "0badc0de")
        os.makedirs(d, exist_ok=True)
        with open(paths()["include"], "rb") as f:
            before = f.read()
        r = tool("add", "0badc0de", "--client", "*")
        self.assertEqual(r.returncode, 2)
        self.assertIn("refusing no_root_squash", r.stderr)
        # A ganesha.conf that does not %include our file: refused, with the line to add.
        lone = SB.path("ganesha", "lone.conf")
        with open(paths()["conf"]) as f, open(lone, "w") as g:
            g.write("".join(l for l in f if not l.startswith("%include")))
        r = tool("add", "0badc0de", "--client", "192.0.2.12", conf=lone)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn(f'add the line: %include "{paths()["include"]}"', r.stderr)
        r = tool("check", pid_file=SB.path("ganesha", "none.pid"))
        self.assertEqual(r.returncode, 7, r.stderr)
        self.assertIn("nfs-ganesha is not running", r.stderr)
        with open(paths()["include"], "rb") as f:
            self.assertEqual(f.read(), before)
        r = tool("watch-mounts", "--input", "none", "--nfsd-clients", "none", "--ganesha-bus", "")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--ganesha-bus must be", r.stderr)

    def test_watch_mounts_sees_ganesha_clients(self):
        """Runs last (unittest sorts by name): it restarts ganesha, whose client list (kept for its
        lifetime) then starts empty."""
        global GANESHA
        GANESHA.stop(timeout=30)
        events = SB.path("ganesha-events.jsonl")
        watch_log = nfs_ns.log_path(SB, "watch-mounts")
        # auto: the ganesha backend asks the system bus, which DBUS_SYSTEM_BUS_ADDRESS names.
        watch = netlab.Proc(tool_argv() + ["watch-mounts", "--input", "none", "--nfsd-clients",
                                           "none", "--poll-interval", "1", "--events",
                                           "json:" + events],
                            env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus_address()),
                            name="watch-mounts", log=watch_log)
        try:
            def logged():
                with open(watch_log, errors="replace") as f:
                    return f.read()

            def mounts():
                if not os.path.exists(events):
                    return []
                with open(events) as f:
                    return [json.loads(line) for line in f if line.strip()]

            netlab.wait_for(lambda: "nfs-ganesha is not on D-Bus" in logged(), timeout=20,
                            what="watch-mounts to find no ganesha on the bus")
            roots = {}
            for serial, client in (("0c0ffee2", PI), ("0c0ffee3", PI2)):
                roots[serial] = SB.path("srv", "pi", serial)
                os.makedirs(os.path.join(roots[serial], "etc"))
                with open(os.path.join(roots[serial], "etc", "hostname"), "w") as f:
                    f.write(f"pi-{serial}\n")
                r = tool("--no-reload", "add", serial, "--client", client)
                self.assertOk(r)
            GANESHA = start_ganesha()
            pi_url = f"nfs://{SERVER_PI_SIDE}{roots['0c0ffee2']}/etc"
            r = self.nfs("gpi", "nfs-ls", pi_url + "?version=3")
            self.assertOk(r)
            r = self.nfs("gpi2", "nfs-ls",
                         f"nfs://{SERVER_PI2_SIDE}{roots['0c0ffee3']}/etc?version=4")
            self.assertOk(r)
            r = self.nfs("gother", "nfs-ls",
                         f"nfs://198.51.100.1{SB.path('srv', 'shared')}?version=3")
            self.assertOk(r)
            netlab.wait_for(lambda: len(mounts()) >= 2 and "198.51.100.66 is not a Pi" in logged(),
                            timeout=20, what="two NFS_MOUNT events and the stranger's warning")
            # The same Pi again, over NFSv4 this time: the same ganesha client, no second event.
            r = self.nfs("gpi", "nfs-ls", pi_url + "?version=4")
            self.assertOk(r)
            time.sleep(3)  # three polls
            self.assertTrue(watch.alive(), logged())
        finally:
            watch.stop(timeout=10)
        got = sorted((e["step"], e["serial"], e["address"], e["file"], e["text"], e["outcome"])
                     for e in mounts())
        self.assertEqual(got, [("NFS_MOUNT", "0c0ffee2", PI, roots["0c0ffee2"], "vers=3", "ok"),
                               ("NFS_MOUNT", "0c0ffee3", PI2, roots["0c0ffee3"], "vers=4.0", "ok")],
                         logged())
        for e in mounts():
            # ganesha's time of the client's latest request: a real time, within the test's.
            self.assertLess(abs(e["timestamp_us"] / 1e6 - time.time()), 120, e)
        text = logged()
        # Each problem once, although watch-mounts polled several times meanwhile.
        self.assertEqual(text.count("nfs-ganesha is not on D-Bus"), 1, text)
        self.assertEqual(text.count("198.51.100.66 is not a Pi"), 1, text)
        self.assertIn("watching nfs-ganesha's clients over D-Bus system bus again", text)


if __name__ == "__main__":
    if not nfs_ns.is_inner():
        netlab.require_tools("ganesha.nfsd", "rpcbind", "rpcinfo", "nfs-ls", "nfs-cp", "setfacl",
                             "getfacl", "dbus-daemon")
        if not os.path.exists("/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so") and \
                not any(os.path.exists(os.path.join(d, "libfsalvfs.so"))
                        for d in ("/usr/lib/ganesha", "/usr/lib64/ganesha")):
            netlab.skip_or_fail("nfs-ganesha-vfs (libfsalvfs.so) is not installed")
        sys.exit(nfs_ns.run_outer(
            os.path.abspath(__file__), ["gsrv", "gpi", "gother", "gpi2"], timeout=280,
            links=[(0, f"{SERVER_PI_SIDE}/25", 1, f"{PI}/25"),
                   (0, "198.51.100.1/24", 2, f"{OTHER}/24"),
                   (0, f"{SERVER_PI2_SIDE}/25", 3, f"{PI2}/25")]))
    sys.argv.remove(nfs_ns.INNER_FLAG)
    started = time.monotonic()
    result = unittest.main(exit=False, verbosity=2).result
    print(f"ganesha integration: {time.monotonic() - started:.1f}s", file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() else 1)
