"""Harness for the Kea hook's integration tests: a real kea-dhcp4 in a server namespace, a veth to
a client namespace, and the dhcp_exchange test client sending exact Pi packets from there.

Addresses: the server is 192.0.2.1/24, the client namespace 192.0.2.254/24 (TEST-NET-1 only).
The Kea is the one RPI_NETBOOT_KEA selects (kea_install: the host's 2.2, or 2.6/3.0 in a chroot).
Each KeaServer has its own files (config, log, control socket, pid and lock dirs, and in a chroot
its own copy of the hook), so tests run in parallel. Every wait is bounded; every process is
stopped by PID (netlab).
"""

import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import bootp_options  # noqa: E402
import kea_control  # noqa: E402
import netlab  # noqa: E402

import kea_install  # noqa: E402
import sqldb  # noqa: E402

KEA = "/usr/sbin/kea-dhcp4"  # the host's (Kea 2.2)
SERVER_ADDR = "192.0.2.1"
INSTALL = kea_install.Installation()  # the Kea under test
VERSION = INSTALL.version
LEASE_DB = sqldb.selected_backend()  # memfile, pgsql or mysql (RPI_NETBOOT_LEASE_DB)


def hook_library():
    """The hook of the host build (what the host's Kea 2.2 loads)."""
    return os.path.join(netlab.build_dir(), "kea-hook", "libdhcp_rpi_netboot.so")


def drop_library(hook_point, status="drop"):
    """A hooks-libraries entry for tests/hook/drop_hook.cpp: sets `status` on every packet at
    `hook_point`."""
    return {"library": os.path.join(netlab.build_dir(), "tests", "hook", "libdhcp_rpinb_drop_hook.so"),
            "parameters": {"hook-point": hook_point, "status": status}}


# Rotated kea-dhcp4 log files kept (and read back by KeaServer.log()).
LOG_MAXVER = 8

def exchange_tool():
    return os.path.join(netlab.build_dir(), "tests", "hook", "dhcp_exchange")


def storm(netns, ifname, clients, in_flight, timeout_ms=2000, attempts=4, deadline_s=90,
          wait_s=150):
    """Runs tests/hook/dhcp_storm in `netns` on `ifname` for `clients` (dicts, one JSON line
    each) and returns (one result per client, the summary line)."""
    tool = os.path.join(os.path.dirname(exchange_tool()), "dhcp_storm")
    argv = ["ip", "netns", "exec", netns, tool, "--interface", ifname, "--in-flight",
            str(in_flight), "--timeout-ms", str(timeout_ms), "--attempts", str(attempts),
            "--deadline-s", str(deadline_s)]
    popen = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        out, err = popen.communicate("".join(json.dumps(c) + "\n" for c in clients),
                                     timeout=wait_s)
    finally:
        if popen.poll() is None:  # only on a timeout: stop it by its PID
            popen.kill()
            popen.wait(timeout=10)
    if popen.returncode != 0:
        raise AssertionError(f"dhcp_storm failed ({popen.returncode}): {err}")
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return lines[:-1], lines[-1]


def require():
    netlab.require_root()
    netlab.require_tools(exchange_tool())
    missing = INSTALL.missing()
    if missing:
        netlab.skip_or_fail(missing)
    if LEASE_DB != "memfile":
        missing = sqldb.DbServer.missing(LEASE_DB)
        if missing:
            netlab.skip_or_fail(missing)
    print(f"Testing against {INSTALL.describe()}: {INSTALL.version_text()}, lease database "
          f"{LEASE_DB}", flush=True)


def use_database(paths, server, name, **extra):
    """Points the server of `paths` at database `name` of sqldb server `server`: its socket
    directory bound into a chroot, its environment; returns the lease-database entry."""
    if server.dir not in paths.binds:
        paths.binds.append(server.dir)
    paths.env.update(server.kea_env())
    paths.database = (server, name)
    return server.lease_database(name, **extra)


def new_database(kind=None):
    """(server, name): a fresh database with Kea's schema on this test's server of `kind`
    (default: the selected backend)."""
    server = sqldb.shared_server(kind or LEASE_DB)
    return server, server.create_database(INSTALL)


def option43(menu="Raspberry Pi Boot", padded=False):
    """Option 43 as docs/protocol/dhcp.md gives it (dnsmasq's pxe-service=0,"Raspberry Pi Boot"):
    06 01 03 | 0a 04 00 50 58 45 | 09 len 00 00 textlen text | ff; the Pi 3B ROM needs three
    trailing spaces ([boot-net] "Known problems")."""
    text = (menu + ("   " if padded else "")).encode()
    return (bytes.fromhex("060103" "0a0400505845") + bytes([9, len(text) + 3, 0, 0, len(text)]) +
            text + b"\xff").hex()


ROM_OPTION43 = ("0601030a0400505845091700001452617370626572727920506920426f6f74202020ff")
PLAIN_OPTION43 = ("0601030a0400505845091400001152617370626572727920506920426f6f74ff")
assert option43(padded=True) == ROM_OPTION43 and option43() == PLAIN_OPTION43


class Lab:
    """Server and client namespaces joined by a veth pair."""

    def __init__(self, server_ifname=None):
        self.server = netlab.Netns("kea")
        self.client = netlab.Netns("pi")
        self.server_if, self.client_if = netlab.link(self.server, SERVER_ADDR + "/24",
                                                     self.client, "192.0.2.254/24")
        if server_ifname:  # e.g. eth0, as examples/kea-dhcp4.conf names it
            self.server.exec(["ip", "link", "set", self.server_if, "down"])
            self.server.exec(["ip", "link", "set", self.server_if, "name", server_ifname])
            self.server.exec(["ip", "link", "set", server_ifname, "up"])
            self.server_if = server_ifname
        # Kea opens no socket on an interface without carrier: wait for both ends.
        for ns, ifname in ((self.server, self.server_if), (self.client, self.client_if)):
            netlab.wait_for(lambda: "LOWER_UP" in ns.exec(["ip", "-o", "link", "show", ifname]).stdout,
                            timeout=10, what=f"carrier on {ifname}")

    def close(self):
        self.client.close()
        self.server.close()

    def exchange(self, *args, window_ms=3000, expect=1):
        """Runs dhcp_exchange in the client namespace; returns the replies (dicts)."""
        argv = [exchange_tool(), "--interface", self.client_if, "--window-ms", str(window_ms),
                "--expect", str(expect)] + [str(a) for a in args]
        res = self.client.exec(argv, check=False, timeout=30)
        if res.returncode != 0:
            raise AssertionError(f"dhcp_exchange {args} failed ({res.returncode}): {res.stderr}")
        return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]

    def start_exchange(self, *args, window_ms=3000, expect=1):
        argv = ["ip", "netns", "exec", self.client.name, exchange_tool(), "--interface",
                self.client_if, "--window-ms", str(window_ms), "--expect", str(expect)]
        return subprocess.Popen(argv + [str(a) for a in args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


def lab_for(test, server_ifname=None):
    """A Lab that `test` (a unittest.TestCase) closes when it ends, pass or fail: unittest runs
    cleanups last-registered first, so whatever is started in the lab afterwards stops before."""
    lab = Lab(server_ifname)
    test.addCleanup(lab.close)
    return lab


def paths_for(test):
    """INSTALL.new_paths(), removed when `test` ends (KeaServer.stop removes them too; twice is
    harmless)."""
    paths = INSTALL.new_paths()
    test.addCleanup(paths.remove)
    return paths


def kea_for(test, lab, **kw):
    """A KeaServer(lab, **kw), started and not yet waited for, that `test` stops when it ends."""
    kea = KeaServer(lab, **kw)
    test.addCleanup(kea.stop)
    return kea


# The hook and the files examples/*.conf name (Debian's kea-dhcp4-server layout).
EXAMPLE_HOOK = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_rpi_netboot.so"
EXAMPLE_FILES = {"leases": "/var/lib/kea/kea-leases4.csv", "log": "/var/log/kea/kea-dhcp4.log",
                 "socket": "/run/kea/kea4-ctrl-socket"}


def example_text(name):
    with open(os.path.join(netlab.source_dir(), "examples", name)) as f:
        return f.read()


def config_check(netns, text, paths):
    """kea-dhcp4 -t on the configuration `text` (what the examples' headers tell an admin to run),
    in `netns`, as that server's files `paths`: (exit code, output)."""
    path = os.path.join(paths.tmp, "kea-dhcp4.conf")
    with open(path, "w") as f:
        f.write(text)
    res = netns.exec(INSTALL.argv(["-t", path], paths), check=False, timeout=30)
    return res.returncode, res.stdout + res.stderr


def start_example(test, name):
    """examples/`name` with this run's own files (own_example_files), accepted by kea-dhcp4 -t and
    started, ready, in a lab whose server interface is eth0 as the examples name it; all of it
    ends with `test`. Returns (lab, the configuration text, the KeaServer)."""
    lab = lab_for(test, server_ifname="eth0")
    paths = paths_for(test)
    text = own_example_files(example_text(name), paths)
    code, output = config_check(lab.server, text, paths)
    test.assertEqual(code, 0, output)
    return lab, text, kea_for(test, lab, config_text=text, paths=paths).wait_ready()


def own_example_files(text, paths, files=("leases", "log", "socket")):
    """An example's hook and `files` (EXAMPLE_FILES keys), each of which must stand in it once,
    replaced by this server's own: on 2.6 and 3.0 a name of this run in the same directory (the
    hooks directory, /run/kea, /var/log/kea, /var/lib/kea), which their path rules accept, so that
    concurrent runs in one chroot never share a hook library or a file; on 2.2 (no path rules)
    this build's hook and files in the server's temp dir. paths.remove() deletes them all."""
    replaced = [(EXAMPLE_HOOK, paths.hook())] + [(EXAMPLE_FILES[f], getattr(paths, f))
                                                 for f in files]
    for old, new in replaced:
        if text.count(old) != 1:
            raise AssertionError(f"{old} stands {text.count(old)} times in the example, not once")
        if old == new or (INSTALL.chroot and os.path.dirname(old) != os.path.dirname(new)):
            raise AssertionError(f"{old} -> {new}: not a file of this run in the same directory")
        text = text.replace(old, new)
    return text


def finish_exchange(popen, timeout=30):
    out, err = popen.communicate(timeout=timeout)
    if popen.returncode != 0:
        raise AssertionError(f"dhcp_exchange failed ({popen.returncode}): {err}")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def pi(model, mac, serial, **kw):
    return ["--model", model, "--mac", mac, "--serial", serial] + sum(
        ([f"--{k.replace('_', '-')}", v] for k, v in kw.items()), [])


def options(reply):
    """{code: hex} of a reply (each code once in Kea's replies)."""
    return {o["code"]: o["hex"] for o in reply["options"]}


def pool_class(name):
    """A pool guard for one client class: Kea 3.0 deprecates a pool's "client-class" (it logs a
    deprecation) for the list "client-classes", which Kea 2.2 and 2.6 do not know."""
    newer = tuple(int(x) for x in VERSION.split(".")) >= (3, 0)
    return {"client-classes": [name]} if newer else {"client-class": name}


def base_config(interface, paths, hook_params=None, with_hook=True, subnet=None, classes=None,
                extra=None, hook_build=None, libraries_before=(), libraries_after=(),
                database=None):
    """A configuration for the server whose files are `paths` (KeaServer.paths). Its leases are
    in memory (memfile), or with an SQL backend selected (LEASE_DB) in `database` ((server,
    name) from new_database) or a fresh database of its own."""
    lease_db = {"type": "memfile", "persist": False, "lfc-interval": 0}
    owned = database is None and LEASE_DB != "memfile"
    if owned:
        database = new_database()
    if database is not None:
        lease_db = use_database(paths, *database)
        paths.owned_database = owned  # given back when the server stops (KeaServer.stop)
        libraries_before = list(database[0].libraries(INSTALL)) + list(libraries_before)
    cfg = {
        "interfaces-config": {"interfaces": [interface]},
        "control-socket": {"socket-type": "unix", "socket-name": paths.socket},
        "lease-database": lease_db,
        "valid-lifetime": 600,
        "subnet4": [subnet or {"id": 1, "subnet": "192.0.2.0/24",
                               "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}],
        "loggers": [{"name": "kea-dhcp4", "severity": "DEBUG", "debuglevel": 55,
                     "output_options": [{"output": paths.log, "maxver": LOG_MAXVER}]}],
    }
    if classes:
        cfg["client-classes"] = classes
    if with_hook:
        entry = {"library": paths.hook(hook_build)}
        if hook_params is not None:
            entry["parameters"] = hook_params
        cfg["hooks-libraries"] = list(libraries_before) + [entry] + list(libraries_after)
    elif database is not None and libraries_before:
        cfg["hooks-libraries"] = list(libraries_before)
    if extra:
        cfg.update(extra)
    return {"Dhcp4": cfg}


class KeaServer:
    """kea-dhcp4 -c CONFIG in the lab's server namespace, from the Kea under test. `paths` are
    its files (INSTALL.new_paths()); configurations built with base_config must use them."""

    def __init__(self, lab, config=None, config_text=None, paths=None, **config_kw):
        self.lab = lab
        self.paths = paths or INSTALL.new_paths()
        self.tmp = self.paths.tmp
        try:
            if config is None and config_text is None:
                config = base_config(lab.server_if, self.paths, **config_kw)
            self.config_path = os.path.join(self.tmp, "kea-dhcp4.conf")
            with open(self.config_path, "w") as f:
                f.write(config_text if config_text is not None else json.dumps(config, indent=2))
            self.log_path = self.paths.host(self.paths.log)
            self.proc = lab.server.start(INSTALL.argv(["-c", self.config_path], self.paths),
                                         env=INSTALL.server_env(self.paths), name="kea-dhcp4",
                                         log=os.path.join(self.tmp, "stdout.log"))
        except BaseException:
            self.paths.remove()  # nothing was started: leave no copy of the hook, no temp dir
            raise
        self.socket_path = self.paths.socket_for(self.proc.pid)

    def log(self):
        with open(self.proc.log_path, errors="replace") as f:
            text = f.read()
        # Kea rotates its log at 10 MB (log_path.1 ... .N, oldest last): a storm at debug level
        # fills more than one file, and a count of log lines must see them all.
        rotated = [f"{self.log_path}.{i}" for i in range(LOG_MAXVER, 0, -1)]
        for path in rotated + [self.log_path]:
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    text += f.read()
        return text

    def wait_ready(self, timeout=15):
        def ready():
            if not self.proc.alive():
                raise AssertionError("kea-dhcp4 exited during start-up:\n" + self.log()[-4000:])
            return "DHCP4_STARTED" in self.log() and os.path.exists(self.socket_path)
        try:
            netlab.wait_for(ready, timeout=timeout, what="kea-dhcp4 start-up")
            if "DHCPSRV_OPEN_SOCKET_FAIL" in self.log():
                raise AssertionError("kea-dhcp4 could not open its sockets:\n" +
                                     self.log()[-4000:])
        except BaseException:
            self.stop()  # callers hold no reference yet (KeaServer(...).wait_ready())
            raise
        return self

    def wait_exit(self, timeout=15):
        """For configurations Kea must refuse: returns (exit code, log text)."""
        try:
            self.proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log = self.log()
            self.stop()
            raise AssertionError("kea-dhcp4 did not refuse the configuration:\n" + log[-4000:])
        log = self.log()
        self.stop()
        return self.proc.popen.returncode, log

    def command(self, name, arguments=None, timeout=5):
        return kea_control.command(self.socket_path, name, arguments, timeout)

    def statistics(self):
        return kea_control.statistics(self.socket_path)

    def stop(self):
        """Stops kea-dhcp4 (by PID) and removes its files; returns the exit code."""
        try:
            return self.proc.stop()
        finally:
            self.paths.remove()
            if getattr(self.paths, "owned_database", False):
                self.paths.owned_database = False
                self.paths.database[0].release(self.paths.database[1])


def bootp_request(mac, xid, options, hops=0, giaddr="0.0.0.0"):
    """A BOOTREQUEST (RFC 2131 section 2 layout) with the given (code, bytes) options and end.
    hops and giaddr as a relay agent sets them (RFC 2131 section 4.1)."""
    chaddr = bytes.fromhex(mac.replace(":", ""))
    head = (bytes([1, 1, 6, hops]) + xid.to_bytes(4, "big") + bytes(4) + bytes(12) +
            socket.inet_aton(giaddr) + chaddr + bytes(10))
    body = head + bytes(64 + 128) + bytes.fromhex("63825363")
    for code, value in options:
        body += bytes([code, len(value)]) + value
    return (body + b"\xff").hex()


# Non-Pi clients. Layouts: RFC 2131/2132; PXE clients per RFC 4578 (options 93, 94, 97) and the
# PXE 2.1 vendor class "PXEClient:Arch:xxxxx:UNDI:yyyzzz". The request lists are PC-style: they
# ask for 1, 3 and the rest in a different set and order from any Pi's (docs/protocol/dhcp.md).
PXE_BIOS_LIST = bytes([1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51,
                       54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135])
PXE_GUID = bytes.fromhex("00" "4c4c4544004a3510804ab4c04f333232")


def linux_discover(mac="52:54:00:12:34:56", xid=0x1a2b3c4d):
    client_id = b"\x01" + bytes.fromhex(mac.replace(":", ""))
    return bootp_request(mac, xid, [(53, b"\x01"), (61, client_id), (12, b"host1"),
                                    (55, bytes([1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]))])


def pxe_discover(mac, xid, arch, undi, vendor):
    return bootp_request(mac, xid, [(53, b"\x01"), (57, b"\x04\xec"), (93, arch), (94, undi),
                                    (97, PXE_GUID), (55, PXE_BIOS_LIST), (60, vendor.encode())])


def x86_bios_pxe_discover(mac="00:1b:21:aa:bb:cc", xid=0x0badcafe):
    """The Pi's own vendor class and arch 0 (x86 BIOS), but a PC request list and a PC MAC."""
    return pxe_discover(mac, xid, b"\x00\x00", b"\x01\x02\x01", "PXEClient:Arch:00000:UNDI:002001")


def x86_uefi_pxe_discover(mac="00:1b:21:dd:ee:ff", xid=0x0ddba11):
    return pxe_discover(mac, xid, b"\x00\x07", b"\x01\x03\x00", "PXEClient:Arch:00007:UNDI:003016")


def pi4_discover_with_option97(mac, xid, option97):
    """Shape C (docs/protocol/dhcp.md) with a caller-chosen option 97, e.g. a malformed one."""
    return bootp_request(mac, xid, [(53, b"\x01"),
                                    (55, bytes.fromhex("01032b3c424380818283848586 87".replace(" ", ""))),
                                    (93, b"\x00\x00"), (94, b"\x01\x02\x01"), (97, option97),
                                    (60, b"PXEClient:Arch:00000:UNDI:002001")])


RELAY_ADDR = "192.0.2.254"  # the client namespace's address, acting as a DHCP relay agent

_RELAY_SCRIPT = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 67))
s.settimeout(float(sys.argv[4]))
s.sendto(bytes.fromhex(sys.argv[3]), (sys.argv[2], 67))
try:
    print(s.recv(4096).hex())
except socket.timeout:
    pass
"""


def relay_exchange(lab, payload_hex, timeout=3.0):
    """Sends a relayed BOOTREQUEST from RELAY_ADDR:67 to the server's port 67, as a relay agent
    forwards it, and returns the server's reply to the relay (bytes) or None."""
    res = lab.client.exec([sys.executable, "-c", _RELAY_SCRIPT, RELAY_ADDR, SERVER_ADDR,
                           payload_hex, str(timeout)], timeout=timeout + 10)
    out = res.stdout.strip()
    return bytes.fromhex(out) if out else None


def parse_bootp(reply):
    """(yiaddr, giaddr, {code: hex}) of a BOOTREPLY; each option code once (Kea's replies), a
    malformed reply or a repeated code is an error (bootp_options)."""
    m = bootp_options.Message(reply, ops=(bootp_options.BOOTREPLY,))
    return m.yiaddr, m.giaddr, {code: value.hex() for code, value in m.options.items()}


# Option 97 of docs/protocol/dhcp.md's Pi 4 (serial bf9fed6f, MAC e4:5f:01:98:e0:82).
PI4_OPTION97 = bytes.fromhex("00346950521531d000" "0198e0826fed9fbf")
PI4_REQUEST_LIST = bytes.fromhex("01032b3c424380818283848586" "87")


def pi4_relayed(mac, xid, message_type, extra=()):
    """A shape C (Pi 4) DISCOVER or REQUEST as a relay forwards it: hops 1, giaddr the relay."""
    return bootp_request(mac, xid, [(53, bytes([message_type])), *extra, (55, PI4_REQUEST_LIST),
                                    (93, b"\x00\x00"), (94, b"\x01\x02\x01"),
                                    (97, PI4_OPTION97),
                                    (60, b"PXEClient:Arch:00000:UNDI:002001")],
                         hops=1, giaddr=RELAY_ADDR)


LEASE_RECORD_FIELDS = ("version", "mac", "serial", "model", "board-revision", "address", "phase",
                       "first-seen", "last-seen", "hostname", "root-path")


def lease_record(user_context):
    """The hook's record in a lease's user-context (lease4-get), as a dict: the lease text
    (kea-hook/src/pi_registry.h, toLeaseText) split into its fields, or an older version's map as
    it is. None when the lease has none."""
    value = (user_context or {}).get("rpi-netboot")
    if not isinstance(value, str):
        return value
    fields = value.split(";", len(LEASE_RECORD_FIELDS) - 1)
    assert len(fields) == len(LEASE_RECORD_FIELDS), value
    record = dict(zip(LEASE_RECORD_FIELDS, fields))
    for key in ("first-seen", "last-seen"):
        record[key] = int(record[key])
    return record
