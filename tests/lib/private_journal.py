"""A systemd journal for a test that reads or writes boot events through it.

When the system journal runs (its socket exists), the test runs against it. Otherwise (a
container without systemd as PID 1) the calling script re-runs itself in a private mount
namespace, mounts empty tmpfs over /run/systemd, /run/log and /var/log/journal there, and starts
its own systemd-journald, which listens on the same socket path and writes to /run/log/journal
(systemd-journald.service(8)): the code under test takes its real path to the default socket, and
nothing of the host's logs is touched.
"""

import os
import subprocess
import sys
import time

import netlab

SOCKET = "/run/systemd/journal/socket"
JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_DIR = "/run/log/journal"  # where the private journald keeps its files
_INNER = "RPINB_PRIVATE_JOURNAL_SCRIPT"  # set to the script's path in its private re-run


def start_journald():
    """In a private mount namespace: empty tmpfs over the journal's directories and a
    systemd-journald of our own on the default socket; its Proc, once the socket exists."""
    for target in ("/run/systemd", "/run/log"):
        os.makedirs(target, exist_ok=True)
        netlab.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", target])
    if os.path.isdir("/var/log/journal"):
        netlab.run(["mount", "-t", "tmpfs", "tmpfs", "/var/log/journal"])
    os.makedirs(os.path.dirname(SOCKET))
    journald = netlab.Proc([JOURNALD], name="systemd-journald")
    journald.wait_ready(lambda: os.path.exists(SOCKET), timeout=10, what="journald's socket")
    return journald


def run(script, on_system, in_private, tools=(), timeout=120):
    """The test's exit code. `on_system()` runs when the system journal does; otherwise `script`
    (the caller's __file__) runs again in a private mount namespace, where `in_private(journald)`
    runs with journald started (its Proc: the test may stop it early) and stopped after."""
    script = os.path.abspath(script)
    if os.environ.get(_INNER) == script:
        journald = start_journald()
        try:
            in_private(journald)
        finally:
            journald.stop()
        return 0
    netlab.require_tools(*tools)
    if os.path.exists(SOCKET):
        print("the system journal runs: testing against it")
        on_system()
        return 0
    if os.geteuid() != 0:
        netlab.skip_or_fail("no system journal, and a private journald needs root")
    netlab.require_tools(JOURNALD, "unshare", "mount")
    print("no system journal here: a private systemd-journald in a mount namespace")
    started = time.monotonic()
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, script],
                       env=dict(os.environ, **{_INNER: script}), timeout=timeout)
    print(f"{os.path.basename(script)}: {time.monotonic() - started:.1f} s in the namespace")
    return r.returncode
