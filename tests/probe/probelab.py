"""Fixtures for rpi-netboot-probe's integration tests: the real servers a Pi boots from.

A server namespace and a Pi namespace joined by a veth (keatest.Lab, 192.0.2.1 and 192.0.2.254),
with, in the server namespace:
- kea-dhcp4 (keatest.KeaServer) with or without the rpi-netboot hook;
- rpi-tftpd on 192.0.2.1:69 serving generated per-serial trees (tests/lab/boot_files.py), as
  `nobody` so that file modes matter as they do in production;
- tftpd-hpa --refuse tsize/blksize (or atftpd --no-tsize --no-blksize) on 192.0.2.10:69: a
  TFTP server that never acknowledges the Pi's options;
- rpcbind + exportfs + rpc.mountd in the NFS sandbox (tests/lib/nfs_sandbox.py: a private mount
  namespace with the test's own /etc/exports, /etc/exports.d, /var/lib/nfs and /run), so the
  host's NFS state is untouched and need not exist;
- 192.0.2.9 on the server with nothing listening: a TFTP server that is down.
Only TEST-NET-1 addresses; every process is stopped by PID (netlab).
"""

import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "hook"))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
import boot_files  # noqa: E402
import keatest  # noqa: E402
import netlab  # noqa: E402
import nfs_sandbox  # noqa: E402

SERVER = keatest.SERVER_ADDR        # 192.0.2.1: DHCP, rpi-tftpd, mountd
CLIENT = "192.0.2.254"              # the probe's own address (keatest.Lab)
TFTP_DOWN = "192.0.2.9"             # an address of the server where no TFTP server runs
TFTP_NO_OACK = "192.0.2.10"         # a TFTP server without option negotiation
IN_TFTPD = "/usr/sbin/in.tftpd"  # tftpd-hpa, or atftpd where that package owns the name
TOOLS = ["/usr/sbin/kea-dhcp4", "/usr/sbin/rpcbind", "/usr/sbin/rpc.mountd", "/usr/sbin/exportfs",
         IN_TFTPD, "dnsmasq", "unshare", "nsenter", "setpriv", "ss"]


def no_oack_server():
    """Which TFTP server /usr/sbin/in.tftpd is: "tftpd-hpa" or "atftpd"."""
    res = netlab.run([IN_TFTPD, "-V"], check=False, timeout=10)
    return "tftpd-hpa" if "tftp-hpa" in res.stdout + res.stderr else "atftpd"


def probe_path():
    # RPI_NETBOOT_PROBE: another build of the probe (e.g. the ASan one) against these servers.
    return os.environ.get("RPI_NETBOOT_PROBE") or os.path.join(netlab.build_dir(), "probe",
                                                                "cli", "rpi-netboot-probe")


def tftpd_path():
    return os.path.join(netlab.build_dir(), "tftpd", "rpi-tftpd")


def require():
    netlab.require_root()
    netlab.require_tools(probe_path(), tftpd_path(), keatest.hook_library(), *TOOLS)


class Pi:
    """One emulated Pi: identity, reserved address and the setup of its tree."""

    def __init__(self, model, serial, mac, ip, cmdline="nfs", kernel_size=64 * 1024,
                 tree=True, export_to=None, kernel_mode=0o644):
        self.model, self.serial, self.mac, self.ip = model, serial, mac, ip
        self.cmdline, self.kernel_size, self.tree = cmdline, kernel_size, tree
        self.export_to = export_to if export_to is not None else ip
        self.kernel_mode = kernel_mode

    def args(self):
        return ["--model", self.model, "--serial", self.serial, "--mac", self.mac]


class BridgedLab:
    """Two DHCP servers on one Pi segment: srv (192.0.2.1) and srv2 (192.0.2.2) each reach the
    Pi namespace through a veth enslaved to a bridge there, which carries 192.0.2.254. A third
    veth leads from the Pi namespace to an empty namespace (198.51.100.0/24): an interface the
    probe may be pointed at, where no server is. Same attributes as keatest.Lab."""

    def __init__(self):
        self.server = netlab.Netns("srv")
        self.server2 = netlab.Netns("srv2")
        self.client = netlab.Netns("pi")
        self.lonely = netlab.Netns("lonely")
        # netlab.link wants an address on both ends; the bridge ports drop theirs at once.
        self.server_if, pi1 = netlab.link(self.server, SERVER + "/24", self.client,
                                          "192.0.2.251/32")
        self.server2_if, pi2 = netlab.link(self.server2, "192.0.2.2/24", self.client,
                                           "192.0.2.252/32")
        self.other_if, _ = netlab.link(self.client, "198.51.100.254/24", self.lonely,
                                       "198.51.100.1/24")
        self.client_if = "br0"
        self.client.exec(["ip", "link", "add", "br0", "type", "bridge", "stp_state", "0",
                          "forward_delay", "0"])
        for port in (pi1, pi2):
            self.client.exec(["ip", "addr", "flush", "dev", port])
            self.client.exec(["ip", "link", "set", port, "master", "br0"])
        self.client.exec(["ip", "addr", "add", CLIENT + "/24", "dev", "br0"])
        self.client.exec(["ip", "link", "set", "br0", "up"])
        for ns, ifname in ((self.server, self.server_if), (self.server2, self.server2_if),
                           (self.client, "br0")):
            netlab.wait_for(
                lambda: "LOWER_UP" in ns.exec(["ip", "-o", "link", "show", ifname]).stdout,
                timeout=10, what=f"carrier on {ifname}")

    def close(self):
        for ns in (self.client, self.lonely, self.server2, self.server):
            ns.close()


class Setup:
    """The whole server side; `start_*` methods add the daemons a test class needs."""

    def __init__(self, lab=None):
        self.lab = lab or keatest.Lab()
        self.base = tempfile.mkdtemp(prefix="rpinb-probe-")
        os.chmod(self.base, 0o755)
        netlab._cleanups.append(lambda: shutil.rmtree(self.base, ignore_errors=True))
        self.tftp_root = os.path.join(self.base, "tftp")
        self.nfs_root = os.path.join(self.base, "nfs")
        os.makedirs(self.tftp_root, mode=0o755)
        os.makedirs(self.nfs_root, mode=0o755)
        for extra in (TFTP_DOWN, TFTP_NO_OACK):
            self.lab.server.exec(["ip", "addr", "add", extra + "/32", "dev", self.lab.server_if])
        self.kea = None
        self.procs = []

    # --- boot trees -----------------------------------------------------------------------
    def add_pi(self, pi):
        root_path = os.path.join(self.nfs_root, pi.serial)
        os.makedirs(root_path, exist_ok=True)
        if pi.cmdline == "nfs":
            cmdline = (f"console=serial0,115200 root=/dev/nfs nfsroot={SERVER}:{root_path},vers=3,"
                       "tcp rw ip=dhcp rootwait\n")
        elif pi.cmdline == "nfs-no-vers":
            cmdline = f"root=/dev/nfs nfsroot={SERVER}:{root_path},tcp rw ip=dhcp rootwait\n"
        else:
            cmdline = boot_files.STOCK_CMDLINE
        if pi.model in ("rom3", "bootcode"):
            boot_files.rom_files(self.tftp_root)
        if pi.tree:
            boot_dir = os.path.join(self.tftp_root, pi.serial)
            boot_files.boot_files(boot_dir, pi.model, cmdline, kernel_size=64 * 1024)
            kernel = os.path.join(boot_dir, boot_files.kernel(pi.model))
            if pi.kernel_size != 64 * 1024:
                # Sparse: a large kernel costs no disk and no time (the probe stops at tsize).
                with open(kernel, "r+b") as f:
                    f.truncate(pi.kernel_size)
            os.chmod(kernel, pi.kernel_mode)
            for d, dirs, _ in os.walk(boot_dir):
                for n in dirs:
                    os.chmod(os.path.join(d, n), 0o755)
        return root_path

    # --- daemons --------------------------------------------------------------------------
    def start_kea(self, pis=(), with_hook=True, hook_params=None, classes=None, extra=None,
                  option_data=None):
        self.stop_kea()
        subnet = {"id": 1, "subnet": "192.0.2.0/24",
                  "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}],
                  "reservations": [{"hw-address": p.mac, "ip-address": p.ip} for p in pis]}
        if option_data:
            subnet["option-data"] = option_data
        params = {"tftp-server": SERVER}
        params.update(hook_params or {})
        self.kea = keatest.KeaServer(self.lab, with_hook=with_hook, hook_params=params,
                                     subnet=subnet, classes=classes, extra=extra).wait_ready()
        return self.kea

    def stop_kea(self):
        if self.kea:
            self.kea.stop()
            self.kea = None

    def start_tftpd(self):
        config = os.path.join(self.base, "rpi-tftpd.conf")
        with open(config, "w") as f:
            f.write(f"root = {self.tftp_root}\n")
        proc = self.lab.server.start([tftpd_path(), "--config", config, "--listen", f"{SERVER}:69",
                                      "--user", "nobody", "--log-level", "debug"],
                                     name="rpi-tftpd")
        self.procs.append(proc)
        proc.wait_ready(lambda: "listening on" in proc.output(), what="rpi-tftpd listening")
        return proc

    def start_no_oack_tftpd(self):
        """A real TFTP server that never acknowledges tsize/blksize: tftpd-hpa with --refuse
        (no OACK at all), or atftpd with --no-tsize --no-blksize (an empty OACK)."""
        kind = no_oack_server()
        if kind == "tftpd-hpa":
            argv = [IN_TFTPD, "--foreground", "--address", f"{TFTP_NO_OACK}:69", "--user",
                    "nobody", "--refuse", "tsize", "--refuse", "blksize", "--refuse", "timeout",
                    "--secure", "--verbose", self.tftp_root]
        else:
            argv = [IN_TFTPD, "--daemon", "--no-fork", "--no-tsize", "--no-blksize",
                    "--no-timeout", "--no-windowsize", "--no-multicast", "--bind-address",
                    TFTP_NO_OACK, "--port", "69", "--user", "nobody", "--group", "nogroup",
                    "--logfile", "-", self.tftp_root]
        proc = self.lab.server.start(argv, name=kind)
        self.procs.append(proc)
        self.lab.server.wait_udp(proc, TFTP_NO_OACK, 69)
        return proc

    def start_dnsmasq(self, proxy=False):
        """A second DHCP server on srv2 of a BridgedLab: an ordinary one (addresses, no PXE
        options), or with `proxy` the proxyDHCP + TFTP set-up of raspberrypi/documentation's
        Pi 3 network boot tutorial (`dhcp-range=...,proxy`, `pxe-service=0,"Raspberry Pi
        Boot"`, `enable-tftp`), serving this setup's TFTP tree."""
        lab = self.lab
        argv = ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
                f"--interface={lab.server2_if}", "--bind-interfaces", "--no-ping", "--log-dhcp",
                f"--dhcp-leasefile={os.path.join(self.base, 'dnsmasq.leases')}",
                f"--pid-file={os.path.join(self.base, 'dnsmasq.pid')}"]
        if proxy:
            argv += ["--dhcp-range=192.0.2.0,proxy", "--pxe-service=0,Raspberry Pi Boot",
                     "--enable-tftp", f"--tftp-root={self.tftp_root}"]
        else:
            argv += ["--dhcp-range=192.0.2.200,192.0.2.210,255.255.255.0,10m"]
        proc = lab.server2.start(argv, name="dnsmasq")
        self.procs.append(proc)
        proc.wait_ready(lambda: "DHCP, " in proc.output(), what="dnsmasq")
        return proc

    def start_nfs(self, pis):
        """rpcbind, exportfs -ra and rpc.mountd in the server's NFS sandbox (nfs_sandbox.py)."""
        exports = "".join(f"{os.path.join(self.nfs_root, pi.serial)} {pi.export_to}(rw,"
                          f"no_root_squash,no_subtree_check,fsid={100 + i})\n"
                          for i, pi in enumerate(pis))
        sandbox = nfs_sandbox.Sandbox(self.lab.server, exports=exports)
        self.procs.append(sandbox.holder)
        self.procs += sandbox.start_server("-N", "2")
        return sandbox

    def close(self):
        self.stop_kea()
        for p in reversed(self.procs):
            p.stop()
        self.lab.close()

    # --- the probe --------------------------------------------------------------------------
    def probe(self, *args, timeout_ms=1000, json_output=True, interface=None):
        argv = [probe_path(), "--interface", interface or self.lab.client_if,
                "--timeout-ms", str(timeout_ms)] + (["--json"] if json_output else []) + list(args)
        res = self.lab.client.exec(argv, check=False, timeout=120)
        result = None
        if json_output and res.stdout.strip():
            result = json.loads(res.stdout)
        return res.returncode, result, res


def codes(result, verdict=None):
    return [f["code"] for f in result["findings"] if verdict is None or f["verdict"] == verdict]
