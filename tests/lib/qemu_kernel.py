"""A real Linux kernel booting with `ip=dhcp` and an NFS root, under QEMU, in a test namespace.

The kernel is tests/lib/tiny_kernel.sh's (Debian's linux-source with IP_PNP, IP_PNP_DHCP,
VIRTIO_NET, ROOT_NFS built in; Documentation/admin-guide/nfs/nfsroot.rst). QEMU runs with TCG
(no KVM needed) inside a netlab namespace; its virtio-net NIC has the Pi's MAC and sits on a tap
device bridged to that namespace's uplink, so its DHCP reaches the lab's Kea as any client's
would. The command line is `console=ttyS0 root=/dev/nfs ip=dhcp` and nothing else: the server,
the path and the host name come from DHCP (options 17 and 12). The kernel's console is read from
a file; `IP-Config:` lines give what the kernel took from DHCP, and the root file system made by
make_root() prints a marker once it runs from NFS. Every wait is bounded and QEMU is stopped by
PID. Standard library only.
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

QEMU = "qemu-system-x86_64"
CMDLINE = "console=ttyS0 root=/dev/nfs ip=dhcp"
MARKER = "RPI-NETBOOT-NFSROOT-UP"
BUSYBOX = "/bin/busybox"  # busybox-static: the root file system has no libraries


def kernel_script():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_kernel.sh")


def kernel_image(build=False, timeout=3600):
    """The cached bzImage, or None when it is not built (build=True builds it, bounded)."""
    argv = [kernel_script()] + ([] if build else ["--cached"])
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         timeout=timeout, check=False)
    path = res.stdout.strip()
    if res.returncode == 0 and path and os.path.exists(path):
        return path
    if build:
        raise RuntimeError(f"tiny_kernel.sh failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return None


def missing_tools():
    return [t for t in (QEMU, BUSYBOX) if shutil.which(t) is None and not os.path.exists(t)]


INIT = """#!/bin/busybox sh
# /sbin/init of the test's NFS root: proves the kernel runs from it, then powers off.
/bin/busybox mount -t proc proc /proc
echo "{marker} host=$(/bin/busybox hostname) root=$(/bin/busybox awk '$2 == "/" {{print $1}}' /proc/mounts | /bin/busybox tail -n 1)"
/bin/busybox cat /proc/net/pnp
/bin/busybox poweroff -f
"""


def make_root(root):
    """A minimal root file system at `root`: static busybox and an init that prints MARKER, the
    host name the kernel set from DHCP and the root it mounted, then powers off."""
    for d in ("bin", "sbin", "proc", "dev", "etc"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin", "busybox"))
    init = os.path.join(root, "sbin", "init")
    with open(init, "w") as f:
        f.write(INIT.format(marker=MARKER))
    os.chmod(init, 0o755)


class Boot:
    """What one boot printed: the IP-Config values, whether the NFS root ran its init."""

    def __init__(self, console):
        self.console = console
        self.ipconfig = parse_ip_config(console)
        m = re.search(MARKER + r" host=(\S*) root=(\S*)", console)
        self.root_ran = m is not None
        self.os_hostname, self.mounted_root = (m.group(1), m.group(2)) if m else (None, None)

    @property
    def address(self):
        return self.ipconfig.get("ipaddr")

    @property
    def hostname(self):
        return self.ipconfig.get("host")

    @property
    def rootpath(self):
        """server:path as the kernel will mount it (rootserver + rootpath of IP-Config)."""
        path = self.ipconfig.get("rootpath")
        if not path:
            return None
        return f"{self.ipconfig.get('rootserver')}:{path}"

    def __repr__(self):
        return (f"Boot(address={self.address}, hostname={self.hostname}, rootpath={self.rootpath},"
                f" root_ran={self.root_ran})")


def parse_ip_config(console):
    """key=value pairs of the kernel's 'IP-Config: Complete:' block (net/ipv4/ipconfig.c prints
    device, hwaddr, ipaddr, mask, gw / host, domain, nis-domain / bootserver, rootserver,
    rootpath on indented lines)."""
    start = console.rfind("IP-Config: Complete:")
    if start < 0:
        return {}
    values = {}
    for line in console[start:].splitlines()[1:6]:
        body = re.sub(r"^\[[ 0-9.]+\]\s*", "", line)
        if not line.startswith((" ", "\t", "[")) or "=" not in body:
            break
        for part in body.split(","):
            key, sep, value = part.strip().partition("=")
            if sep:
                values[key] = value.strip()
    return values


def boot(ns, uplink, mac, kernel, log_path, timeout=240, memory="96M"):
    """Boots `kernel` once in netlab namespace `ns`, its NIC (MAC `mac`) bridged to `uplink` for
    the duration; returns a Boot. QEMU exits when the root's init powers off; otherwise it is
    stopped by PID when the marker or a panic shows, or at `timeout`."""
    tag = f"{os.getpid() % 100000}"
    bridge, tap = f"rbr{tag}"[:15], f"rtp{tag}"[:15]
    ns.exec(["ip", "link", "add", bridge, "type", "bridge", "forward_delay", "0"])
    try:
        ns.exec(["ip", "tuntap", "add", "dev", tap, "mode", "tap"])
        ns.exec(["ip", "addr", "flush", "dev", uplink])
        # A bridge delivers frames for its ports' own MACs locally: the uplink must not carry
        # the Pi's MAC (os_clients gives it that MAC) while the guest has it.
        ns.exec(["ip", "link", "set", uplink, "address", "02:00:00:00:0b:01"])
        for ifname in (uplink, tap):
            ns.exec(["ip", "link", "set", ifname, "master", bridge])
            ns.exec(["ip", "link", "set", ifname, "up"])
        ns.exec(["ip", "link", "set", bridge, "up"])
        argv = [QEMU, "-accel", "tcg", "-m", memory, "-smp", "1", "-display", "none",
                "-monitor", "none", "-no-reboot", "-serial", f"file:{log_path}",
                "-kernel", kernel, "-append", CMDLINE,
                "-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no",
                "-device", f"virtio-net-pci,netdev=n0,mac={mac}"]
        open(log_path, "w").close()
        proc = ns.start(argv, name="qemu", log=log_path + ".stdout")

        def console():
            with open(log_path, errors="replace") as f:
                return f.read()

        def finished():
            text = console()
            return not proc.alive() or "Kernel panic" in text or (
                MARKER in text and "reboot: Power down" in text)
        try:
            netlab.wait_for(finished, timeout=timeout, interval=0.5, what="the QEMU kernel")
        except TimeoutError:
            proc.stop()
            raise AssertionError(f"QEMU did not finish in {timeout}s; console:\n"
                                 f"{console()[-4000:]}\n{proc.output()[-2000:]}")
        try:  # after its init powered off, QEMU exits by itself (-no-reboot)
            proc.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        proc.stop()
        return Boot(console())
    finally:
        ns.exec(["ip", "link", "set", uplink, "nomaster"], check=False)
        ns.exec(["ip", "link", "del", tap], check=False)
        ns.exec(["ip", "link", "del", bridge], check=False)
