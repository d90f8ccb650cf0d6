"""Test hosts in network namespaces, and processes stopped by PID.

Shared by every integration test and by the lab (`make demo`). Rules it enforces:
- only loopback and TEST-NET addresses (192.0.2.0/24, 198.51.100.0/24) inside namespaces it made;
- every process it starts is stopped by PID (SIGTERM, then SIGKILL after a bounded wait);
- every namespace it creates is deleted on exit, Ctrl-C and SIGTERM included;
- every wait is bounded in time.
Standard library only, run with Debian's /usr/bin/python3.
"""

import atexit
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77  # ctest SKIP_RETURN_CODE

ALLOWED_NETS = [ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("198.51.100.0/24"),
                ipaddress.ip_network("127.0.0.0/8")]

_cleanups = []


def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason):
    """Outside CI a missing capability skips the test; under CI=true it is a failure."""
    if in_ci():
        print(f"FAIL: {reason} (CI=true: tests may not skip)", file=sys.stderr)
        sys.exit(1)
    print(f"SKIP: {reason}", file=sys.stderr)
    sys.exit(SKIP)


def require_root():
    if os.geteuid() != 0:
        skip_or_fail("needs root for network namespaces")
    if shutil.which("ip") is None:
        skip_or_fail("needs iproute2 (ip)")


def require_tools(*tools):
    missing = [t for t in tools if shutil.which(t) is None and not os.path.exists(t)]
    if missing:
        skip_or_fail("missing tools: " + ", ".join(missing))


def check_address(addr):
    """Refuse any address outside loopback and the two TEST-NETs."""
    ip = ipaddress.ip_interface(addr).ip if "/" in str(addr) else ipaddress.ip_address(addr)
    if ip.version == 6:
        if not (ip.is_loopback or ip.is_link_local or ip in ipaddress.ip_network("2001:db8::/32")):
            raise ValueError(f"address {addr} is outside the test ranges")
        return
    if not any(ip in net for net in ALLOWED_NETS):
        raise ValueError(f"address {addr} is outside the test ranges")


def build_dir():
    return os.environ.get("RPI_NETBOOT_BUILD") or os.path.join(source_dir(), "build")


def source_dir():
    return os.environ.get("RPI_NETBOOT_SOURCE") or os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd, check=True, timeout=60, **kw):
    """Runs a command to completion (bounded), returning CompletedProcess with text output."""
    return subprocess.run(cmd, check=check, timeout=timeout, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Polls predicate() until true; raises TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


class Proc:
    """A process started by a test; stop() ends it by PID."""

    def __init__(self, argv, netns=None, env=None, cwd=None, log=None, name=None):
        self.name = name or os.path.basename(argv[0])
        full = (["ip", "netns", "exec", netns] if netns else []) + list(argv)
        self.log_path = log or tempfile.mktemp(prefix=f"rpinb-{self.name}-", suffix=".log")
        self._log = open(self.log_path, "w")
        # `ip netns exec` execs the command, so the PID is the daemon's own.
        self.popen = subprocess.Popen(full, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                      start_new_session=True)
        self.pid = self.popen.pid
        _cleanups.append(self.stop)

    def alive(self):
        return self.popen.poll() is None

    def wait_ready(self, ready, timeout=10.0, what=None, label=None):
        """Waits until ready() holds; RuntimeError with the output if the process exits first
        (ready() may also raise that itself)."""
        label = label or self.name
        wait_for(lambda: ready() or not self.alive(), timeout=timeout, what=what or label)
        if not self.alive():
            raise RuntimeError(f"{label} exited:\n{self.output()}")

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=5.0):
        """SIGTERM by PID, SIGKILL after `timeout`; returns the exit code."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=timeout)
        if not self._log.closed:
            self._log.close()
        return self.popen.returncode

    def output(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()


class Netns:
    """A network namespace with loopback up, deleted on close or at exit."""

    def __init__(self, name):
        self.name = f"rpinb{os.getpid()}-{name}"[:31]
        run(["ip", "netns", "add", self.name])
        _cleanups.append(self.close)
        self.exec(["ip", "link", "set", "lo", "up"])

    def exec(self, argv, check=True, timeout=60, **kw):
        return run(["ip", "netns", "exec", self.name] + list(argv), check=check, timeout=timeout, **kw)

    def start(self, argv, **kw):
        return Proc(argv, netns=self.name, **kw)

    def wait_udp(self, proc, addr, port, timeout=10.0, label=None):
        """Waits until `proc` listens on UDP addr:port in this namespace; RuntimeError with its
        output if it exits first."""
        label = label or proc.name

        def bound():
            out = self.exec(["ss", "-Hlun", f"sport = :{port}"], check=False).stdout
            return f"{addr}:{port}" in out

        proc.wait_ready(bound, timeout=timeout, what=f"{label} on {addr}:{port}", label=label)

    def close(self):
        if self.name:
            # Kill anything left in the namespace (by PID), then delete it.
            pids = run(["ip", "netns", "pids", self.name], check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", self.name], check=False)
            self.name = None


_veth_counter = [0]


def link(ns_a, addr_a, ns_b, addr_b, mtu=1500):
    """A veth pair between two namespaces with the given addresses (CIDR). Returns (if_a, if_b)."""
    for addr in (addr_a, addr_b):
        if addr:  # None: no address on that end (e.g. a bridge port)
            check_address(addr)
    _veth_counter[0] += 1
    tag = f"{os.getpid() % 100000}{_veth_counter[0]}"
    if_a, if_b = f"va{tag}"[:15], f"vb{tag}"[:15]
    run(["ip", "link", "add", if_a, "netns", ns_a.name, "type", "veth", "peer", "name", if_b,
         "netns", ns_b.name])
    for ns, ifname, addr in ((ns_a, if_a, addr_a), (ns_b, if_b, addr_b)):
        ns.exec(["ip", "link", "set", ifname, "mtu", str(mtu)])
        if addr:
            ns.exec(["ip", "addr", "add", addr, "dev", ifname])
        ns.exec(["ip", "link", "set", ifname, "up"])
    return if_a, if_b


def _cleanup_all(*_):
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # cleanup must go on
            print(f"netlab cleanup: {e}", file=sys.stderr)


def _on_signal(signum, _frame):
    _cleanup_all()
    sys.exit(128 + signum)


atexit.register(_cleanup_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)
