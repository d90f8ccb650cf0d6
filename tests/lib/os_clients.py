"""Debian's real DHCP clients, as a netbooted Pi's Linux runs them, in a test network namespace.

After the boot firmware, a Pi's OS sends DHCP again from the same MAC: the kernel's own `ip=dhcp`
(tests/lib/qemu_kernel.py), klibc's `ipconfig` in an initramfs, then dhcpcd, dhclient, udhcpc or
systemd-networkd. Each function here runs one of those clients, unmodified and with Debian's own
configuration, on an interface of a netlab namespace, and returns what the client itself recorded
(its lease file, the file it wrote, or what it handed its script) as a Lease.

Isolation: every client runs under `unshare --mount --uts` with a private /run, a private state
directory where it keeps leases (bound from a per-client directory of the caller's `state` dir, so
a DUID survives from one run to the next like on a real disk), a private /etc/resolv.conf and
/etc/machine-id, and its own host name (`raspberrypi`, Raspberry Pi OS's default, which dhclient and
systemd-networkd send as option 12). Nothing it writes reaches the host's files. Every run is
bounded; a client that keeps running (dhclient -d, systemd-networkd) is stopped by PID.
Standard library only.
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootp_options  # noqa: E402
import netlab  # noqa: E402

KLIBC_IPCONFIG = "/usr/lib/klibc/bin/ipconfig"
DHCPCD = "/usr/sbin/dhcpcd"
DHCLIENT = "/usr/sbin/dhclient"
UDHCPC = "/usr/sbin/udhcpc"
NETWORKD = "/lib/systemd/systemd-networkd"
CLIENTS = ("klibc", "dhcpcd", "dhclient", "udhcpc", "networkd")
PI_OS_HOSTNAME = "raspberrypi"

# $1 state dir (host path), $2 host name, $3.. the client's argv. Binds the state dir's run/ over
# /run and lib/ over the client's lease directories, so the client's files are readable from the
# host after it exits and nothing of the host's is touched.
_ISOLATE = r"""set -e
s=$1; h=$2; shift 2
[ "$(readlink /proc/self/ns/mnt)" != "$HOST_MNT_NS" ] || { echo "not in a private mount namespace"; exit 90; }
mkdir -p "$s/run" "$s/lib/dhcpcd" "$s/lib/dhcp" "$s/etc"
mount --bind "$s/run" /run
for d in /var/lib/dhcpcd /var/lib/dhcp; do
    [ -d "$d" ] && mount --bind "$s/lib/$(basename "$d")" "$d"
done
: > "$s/etc/resolv.conf"
mount --bind "$s/etc/resolv.conf" /etc/resolv.conf
[ -s "$s/etc/machine-id" ] || echo "$MACHINE_ID" > "$s/etc/machine-id"
mount --bind "$s/etc/machine-id" /etc/machine-id
hostname "$h"
if [ -n "$PREPARE" ]; then sh -c "$PREPARE"; fi
exec "$@"
"""


class Lease:
    """What a client recorded: address, host name (option 12) and root path (option 17), each
    None when the client got or kept none; `raw` is the client's own record, for messages."""

    def __init__(self, client, address=None, hostname=None, rootpath=None, raw=""):
        self.client, self.address, self.hostname, self.rootpath, self.raw = (
            client, address, hostname, rootpath, raw)

    def __repr__(self):
        return (f"Lease({self.client}: address={self.address}, hostname={self.hostname}, "
                f"rootpath={self.rootpath})")


def missing_tools():
    return [t for t in (KLIBC_IPCONFIG, DHCPCD, DHCLIENT, UDHCPC, NETWORKD, "unshare")
            if not (os.path.exists(t) or shutil.which(t))]


class Host:
    """One Pi's OS side on `ifname` in the netlab namespace `ns`: sets the interface's MAC to the
    Pi's and keeps each client's state under `state` (a host directory) between runs."""

    def __init__(self, ns, ifname, mac, state, machine_id="0123456789abcdef0123456789abcdef"):
        self.ns, self.ifname, self.mac, self.state = ns, ifname, mac.lower(), state
        self.machine_id = machine_id
        os.makedirs(state, exist_ok=True)
        self.reset_interface()

    def reset_interface(self):
        """The interface as a booting OS finds it: the Pi's MAC, up, no address."""
        ns = self.ns
        ns.exec(["ip", "link", "set", self.ifname, "down"])
        ns.exec(["ip", "link", "set", self.ifname, "address", self.mac])
        ns.exec(["ip", "addr", "flush", "dev", self.ifname])
        ns.exec(["ip", "link", "set", self.ifname, "up"])
        netlab.wait_for(lambda: "LOWER_UP" in ns.exec(["ip", "-o", "link", "show",
                                                       self.ifname]).stdout,
                        timeout=10, what=f"carrier on {self.ifname}")

    def _dir(self, client):
        d = os.path.join(self.state, client)
        os.makedirs(d, exist_ok=True)
        return d

    def _argv(self, client, argv):
        return ["unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c", _ISOLATE,
                "isolate", self._dir(client), PI_OS_HOSTNAME] + list(argv)

    def _env(self, prepare=""):
        env = dict(os.environ)
        env.update(HOST_MNT_NS=os.readlink("/proc/self/ns/mnt"), MACHINE_ID=self.machine_id,
                   PREPARE=prepare)
        return env

    def _run(self, client, argv, timeout, prepare=""):
        """Runs a client that exits by itself; (exit code, output). Stopped by PID at timeout."""
        self.reset_interface()
        proc = self.ns.start(self._argv(client, argv), env=self._env(prepare), name=client,
                             log=os.path.join(self._dir(client), "output.log"))
        try:
            proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.stop()
            raise AssertionError(f"{client} did not finish in {timeout}s:\n{proc.output()}")
        rc = proc.stop()
        return rc, proc.output()

    def _run_until(self, client, argv, done, timeout, prepare=""):
        """Runs a client that stays (a daemon in the foreground) until done() returns a value,
        then stops it by PID; returns (value, output)."""
        self.reset_interface()
        proc = self.ns.start(self._argv(client, argv), env=self._env(prepare), name=client,
                             log=os.path.join(self._dir(client), "output.log"))
        try:
            value = netlab.wait_for(lambda: done() or (not proc.alive() and "exited"),
                                    timeout=timeout, interval=0.1, what=f"{client}'s lease")
        except TimeoutError:
            proc.stop()
            raise AssertionError(f"{client} got no lease in {timeout}s:\n{proc.output()}")
        proc.stop()
        if value == "exited":
            raise AssertionError(f"{client} exited without a lease:\n{proc.output()}")
        return value, proc.output()

    # --- the clients ---

    def klibc(self, timeout=30):
        """klibc-utils ipconfig, as initramfs-tools' configure_networking runs it for ip=dhcp; it
        writes /run/net-IF.conf (IPV4ADDR, HOSTNAME, ROOTPATH)."""
        rc, out = self._run("klibc", [KLIBC_IPCONFIG, "-t", "10", "-c", "dhcp", "-d", self.ifname],
                            timeout)
        conf = os.path.join(self._dir("klibc"), "run", f"net-{self.ifname}.conf")
        if rc != 0 or not os.path.exists(conf):
            raise AssertionError(f"klibc ipconfig failed ({rc}):\n{out}")
        with open(conf) as f:
            text = f.read()
        values = parse_shell_vars(text)
        return Lease("klibc", values.get("IPV4ADDR"), values.get("HOSTNAME") or None,
                     values.get("ROOTPATH") or None, text)

    def dhcpcd(self, timeout=40):
        """dhcpcd (dhcpcd-base) with Debian's /etc/dhcpcd.conf (a DUID client-id, hostname);
        -1: exit once bound. The lease is read back with `dhcpcd -U` (its own decoder)."""
        rc, out = self._run("dhcpcd", [DHCPCD, "-f", "/etc/dhcpcd.conf", "-4", "-1", "-t", "20",
                                       self.ifname], timeout)
        if rc != 0:
            raise AssertionError(f"dhcpcd failed ({rc}):\n{out}")
        # The lease file is the server's ACK as received (dhcpcd's DBDIR/IF.lease).
        lease_file = os.path.join(self._dir("dhcpcd"), "lib", "dhcpcd", f"{self.ifname}.lease")
        if not os.path.exists(lease_file):
            raise AssertionError(f"dhcpcd wrote no {lease_file}:\n{out}")
        with open(lease_file, "rb") as f:
            address, opts = parse_bootp_reply(f.read())
        return Lease("dhcpcd", address, _text(opts.get(12)), _text(opts.get(17)), out)

    def dhclient(self, timeout=40):
        """isc-dhcp-client with Debian's dhclient.conf and dhclient-script (in the private
        namespaces); -d keeps it in the foreground until its lease file holds the lease."""
        lease_file = os.path.join(self._dir("dhclient"), "dhclient.leases")
        if os.path.exists(lease_file):  # a reboot keeps it; the new lease is appended
            os.unlink(lease_file)
        argv = [DHCLIENT, "-4", "-d", "-v", "-cf", "/etc/dhcp/dhclient.conf", "-lf", lease_file,
                "-pf", "/run/dhclient.pid", self.ifname]

        def bound():
            if not os.path.exists(lease_file):
                return None
            with open(lease_file) as f:
                text = f.read()
            return text if "fixed-address" in text and "}" in text else None

        text, _ = self._run_until("dhclient", argv, bound, timeout)
        last = text[text.rfind("lease {"):]
        return Lease("dhclient", _dhclient_field(last, "fixed-address"),
                     _dhclient_field(last, "option host-name"),
                     _dhclient_field(last, "option root-path"), last)

    def udhcpc(self, timeout=40):
        """busybox udhcpc with its defaults (client-id 01:MAC); its script records what udhcpc
        hands it (ip, hostname, rootpath) and configures the address."""
        d = self._dir("udhcpc")
        script = os.path.join(d, "script.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n"
                    "env > \"$UDHCPC_OUT.$1\"\n"
                    "[ \"$1\" = bound ] && ip addr add \"$ip/${mask:-24}\" dev \"$interface\"\n"
                    "exit 0\n")
        os.chmod(script, 0o755)
        out_base = os.path.join(d, "env")
        bound = out_base + ".bound"
        if os.path.exists(bound):
            os.unlink(bound)
        rc, out = self._run("udhcpc", ["env", f"UDHCPC_OUT={out_base}", UDHCPC, "-i", self.ifname,
                                       "-f", "-q", "-n", "-t", "5", "-T", "2", "-s", script],
                            timeout)
        if rc != 0 or not os.path.exists(bound):
            raise AssertionError(f"udhcpc failed ({rc}):\n{out}")
        with open(bound) as f:
            text = f.read()
        values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        return Lease("udhcpc", values.get("ip"), values.get("hostname"), values.get("rootpath"),
                     text)

    def networkd(self, timeout=40, send_release=True):
        """systemd-networkd with DHCP=ipv4 on the interface and its defaults (client-id: DUID-EN
        from /etc/machine-id); stopped by PID once it wrote the lease
        (/run/systemd/netif/leases/IFINDEX: ADDRESS, HOSTNAME, ROOT_PATH). Stopped, it sends
        DHCPRELEASE (systemd.network SendRelease=, default yes) unless send_release is False."""
        d = self._dir("networkd")
        ifindex = self.ns.exec(["cat", f"/sys/class/net/{self.ifname}/ifindex"]).stdout.strip()
        lease = os.path.join(d, "run", "systemd", "netif", "leases", ifindex)
        if os.path.exists(lease):
            os.unlink(lease)
        network = (f"[Match]\nName={self.ifname}\n\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\n"
                   "IPv6AcceptRA=no\n" + ("" if send_release else "\n[DHCPv4]\nSendRelease=no\n"))
        # networkd drops privileges to systemd-network; its unit would create these directories.
        # A read-only /sys tells it that no udev runs here (systemd's container interface), so it
        # does not wait for udev to initialise the link.
        prepare = ("mount -o bind,remount,ro /sys && "
                   "mkdir -p /run/systemd/network /run/systemd/netif/links "
                   "/run/systemd/netif/leases /run/systemd/netif/lldp && "
                   f"printf '{network}' > /run/systemd/network/10-pi.network && "
                   "chown -R systemd-network:systemd-network /run/systemd/netif")

        def bound():
            if not os.path.exists(lease):
                return None
            with open(lease) as f:
                text = f.read()
            return text if "ADDRESS=" in text else None

        text, _ = self._run_until("networkd", ["env", "SYSTEMD_LOG_LEVEL=debug", NETWORKD],
                                  bound, timeout, prepare=prepare)
        values = parse_shell_vars(text)
        return Lease("networkd", values.get("ADDRESS"), values.get("HOSTNAME"),
                     values.get("ROOT_PATH"), text)

    def run(self, client, **kw):
        return getattr(self, client)(**kw)


def parse_shell_vars(text):
    """NAME=value or NAME='value' lines (klibc's net-IF.conf, dhcpcd -U, networkd's leases)."""
    out = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.replace("_", "").isalnum():
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            out[name] = value
    return out


def parse_bootp_reply(data):
    """(yiaddr, {code: bytes}) of a BOOTREPLY, repeated codes concatenated (RFC 3396); raises
    ValueError (bootp_options.OptionError) on anything else."""
    m = bootp_options.Message(data, ops=(bootp_options.BOOTREPLY,), concatenate=True)
    return m.yiaddr, m.options


def _text(value):
    return value.decode(errors="replace").rstrip("\0") if value is not None else None


def _dhclient_field(lease_text, key):
    """`key value;` from one dhclient lease block (values may be quoted)."""
    for line in lease_text.splitlines():
        line = line.strip()
        if line.startswith(key + " "):
            value = line[len(key) + 1:].rstrip(";").strip()
            return value.strip('"')
    return None
