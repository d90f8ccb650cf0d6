#!/usr/bin/python3
"""Operations: SIGHUP reload keeps running transfers, SIGTERM exits cleanly, --user
drops privileges after binding port 69, systemd socket activation, IPv6, the path-MTU clamp on
a real 1500/1400-byte link, transfer limits and half-open expiry, the layout template with its
root fallback, per-serial pinning, case-insensitive lookup, one log line per transfer.

Namespaced parts (port 69, veth links) need root; everything else runs on loopback."""

import json
import os
import pwd
import re
import shutil
import signal
import socket
import tempfile
import time
import unittest

import tftpd_lab as lab
from tftpd_lab import netlab

FILE = f"{lab.SERIAL}/start4.elf"  # 2 MB: thousands of 512-byte blocks, a transfer to hold open
FILE_REL = f"root/{FILE}"


def uids(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return ([int(x) for x in fields["Uid"].split()], [int(x) for x in fields["Gid"].split()],
            fields["Groups"].split())


class Operations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        netlab.require_tools(lab.daemon_path(), lab.client_path(), "curl")
        cls.tree = lab.Tree()

    def daemon(self, **kw):
        d = lab.Daemon(self.tree, **kw)
        self.addCleanup(d.stop)
        return d

    def fetch(self, d, name, *extra, **kw):
        out = tempfile.mktemp(prefix="rpinb-ops-")
        self.addCleanup(lambda: os.path.exists(out) and os.unlink(out))
        r = lab.pi_client(d, "fetch", "--file", name, "--out", out, *extra, **kw)
        result = json.loads(r.stdout.splitlines()[-1]) if r.stdout.strip() else {}
        data = b""
        if os.path.exists(out):
            with open(out, "rb") as f:
                data = f.read()
        return result, data

    # --- signals -------------------------------------------------------------------------

    def test_sighup_reload_keeps_running_transfers(self):
        t = self.tree
        other = os.path.join(t.base, "root2")
        lab.write(os.path.join(other, "reloaded.txt"), b"new root")
        d = self.daemon()
        held = lab.RawClient(d)
        self.assertEqual(held.request(FILE, (("blksize", "512"),))[0], "oack")
        for _ in range(10):
            held.step()
        # New configuration: a different root and log level. The held transfer keeps its file.
        with open(d.config, "w") as f:
            f.write(f"root = {other}\nlog-level = info\n")
        d.proc.signal(signal.SIGHUP)
        d.wait_log("configuration reloaded; 1 transfers keep running")
        self.assertTrue(held.finish() == t.data(FILE_REL), "held transfer corrupted by reload")
        result, data = self.fetch(d, "reloaded.txt")
        self.assertEqual(data, b"new root", result)
        result, _ = self.fetch(d, FILE)
        self.assertEqual(result["outcome"], "server-error")  # the old root is gone
        # A broken configuration is refused as a whole and the running one stays.
        with open(d.config, "w") as f:
            f.write(f"root = {t.base}/does-not-exist\n")
        d.proc.signal(signal.SIGHUP)
        d.wait_log("reload failed, keeping the running configuration")
        _, data = self.fetch(d, "reloaded.txt")
        self.assertEqual(data, b"new root")
        self.assertTrue(d.proc.alive())

    def test_sigterm_exits_cleanly_during_a_transfer(self):
        d = self.daemon()
        held = lab.RawClient(d)
        held.request(FILE)
        held.step()
        t0 = time.monotonic()
        rc = d.proc.stop(timeout=5)
        self.assertEqual(rc, 0, d.log())
        self.assertLess(time.monotonic() - t0, 3)
        self.assertIn("signal 15: exiting", d.log())
        self.assertNotIn("FATAL", d.log())

    # --- privileges, activation, addresses -------------------------------------------------

    def test_user_drop_after_binding_port_69_in_a_namespace(self):
        netlab.require_root()
        nobody = pwd.getpwnam("nobody")
        os.chmod(self.tree.base, 0o755)
        secret = os.path.join(self.tree.root, "root-only.bin")
        lab.write(secret, b"root only")
        os.chmod(secret, 0o600)
        self.addCleanup(os.unlink, secret)
        ns = netlab.Netns("tftpd-user")
        self.addCleanup(ns.close)
        # No --listen: the defaults, 0.0.0.0:69 and [::]:69, inside the test's namespace.
        d = self.daemon(netns=ns.name, listen=False, extra=["--user", "nobody"],
                        ready="running as user nobody")
        uid, gid, groups = uids(d.proc.pid)
        self.assertEqual(uid, [nobody.pw_uid] * 4)
        self.assertEqual(gid, [nobody.pw_gid] * 4)
        self.assertTrue(set(groups) <= {str(nobody.pw_gid)}, groups)
        self.assertIn("listening on 0.0.0.0:69", d.log())
        self.assertIn("listening on [::]:69", d.log())
        for host in ("127.0.0.1", "::1"):
            result, data = self.fetch(d, FILE, "--option", "tsize=0", netns=ns.name, host=host)
            self.assertTrue(data == self.tree.data(FILE_REL), f"{host}: {result}")
        # The daemon really runs as nobody: a root-only file is refused.
        result, _ = self.fetch(d, "root-only.bin", netns=ns.name, host="127.0.0.1")
        self.assertEqual((result["outcome"], result["error_code"]), ("server-error", 2))

    def test_systemd_socket_activation(self):
        netlab.require_tools("systemd-socket-activate")
        p4, p6 = lab.free_port("127.0.0.1"), lab.free_port("::1")
        d = self.daemon(listen=False, argv_prefix=["systemd-socket-activate", "--datagram",
                                                   "-l", f"127.0.0.1:{p4}", "-l", f"[::1]:{p6}"],
                        extra=["--listen", "127.0.0.1:1"],  # ignored under activation
                        ready=f"Listening on [::1]:{p6}")
        # For datagram sockets systemd-socket-activate execs the daemon on the first packet
        # (same PID), and that first request must be served from the inherited socket.
        for host, port in (("127.0.0.1", p4), ("::1", p6)):
            d.host, d.port = host, port
            result, data = self.fetch(d, FILE, "--option", "tsize=0", "--option", "blksize=1468")
            self.assertTrue(data == self.tree.data(FILE_REL), f"{host}: {result}")
        with open(f"/proc/{d.proc.pid}/comm") as f:
            self.assertEqual(f.read().strip(), "rpi-tftpd")
        self.assertIn(f"listening on socket-activated 127.0.0.1:{p4}", d.log())
        self.assertIn(f"listening on socket-activated [::1]:{p6}", d.log())
        self.assertNotIn("listening on 127.0.0.1:1\n", d.log())

    def test_packaged_units_rating_and_socket_activation(self):
        netlab.require_root()
        netlab.require_tools("systemd-analyze", "systemd-socket-activate")
        debian = os.path.join(netlab.source_dir(), "debian")
        service = os.path.join(debian, "rpi-tftpd.service")
        with open(service) as f:
            unit = f.read()
        with open(os.path.join(debian, "rpi-tftpd.socket")) as f:
            socket_unit = f.read()

        def rating(path):
            r = netlab.run(["systemd-analyze", "security", "--offline=true", "--no-pager", path],
                           check=False)
            m = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", r.stdout)
            self.assertIsNotNone(m, r.stdout + r.stderr)
            return float(m.group(1)), m.group(2)

        # systemd-analyze security rates services only (a socket unit runs no process).
        exposure, level = rating(service)
        print(f"systemd-analyze security rpi-tftpd.service: {exposure} {level}")
        self.assertIn(level, ("PERFECT", "SAFE", "OK"))
        # The rating can fail: the same service without its sandboxing is rated far worse.
        bare = os.path.join(self.tree.base, "rpi-tftpd.service")
        with open(bare, "w") as f:
            f.write(unit.split("# Unprivileged")[0])
        self.assertGreater(rating(bare)[0], exposure + 3)
        settings = re.findall(r"^(\w+)=(.*)$", unit, re.M)
        families = dict(settings)["RestrictAddressFamilies"].split()
        self.assertEqual(sorted(families), ["AF_INET", "AF_INET6", "AF_UNIX"])
        self.assertIn("MemoryMax", dict(settings))
        self.assertRegex(unit, r"(?m)^#\s+IPAddressDeny=any$")
        self.assertRegex(unit, r"(?m)^#\s+IPAddressAllow=")
        # The socket unit, as systemd would run it: its ListenDatagram= sockets handed to the
        # service's ExecStart (port 69, in a namespace of the test's own).
        listen = re.findall(r"^ListenDatagram=(.+)$", socket_unit, re.M)
        self.assertTrue(listen)
        self.assertRegex(socket_unit, r"(?m)^WantedBy=sockets.target$")
        exec_start = dict(settings)["ExecStart"].split()
        self.assertEqual(exec_start[1:], ["--config", "/etc/rpi-netboot/rpi-tftpd.conf"])
        ns = netlab.Netns("tftpd-sock")
        self.addCleanup(ns.close)
        prefix = ["systemd-socket-activate", "--datagram"] + [f"--listen={v}" for v in listen]
        d = self.daemon(netns=ns.name, listen=False, argv_prefix=prefix, ready="Listening on")
        for host in ("127.0.0.1", "::1"):  # one dual-stack socket serves both
            result, data = self.fetch(d, FILE, "--option", "tsize=0", netns=ns.name, host=host)
            self.assertTrue(data == self.tree.data(FILE_REL), f"{host}: {result}")
        self.assertIn("listening on socket-activated", d.log())
        self.assertNotIn("listening on 0.0.0.0:69", d.log())

    def test_dual_stack_socket_activation(self):
        # One [::] socket (systemd's BindIPv6Only=both): IPv4 clients arrive IPv4-mapped and
        # are answered over IPv4 from their own transfer port, from the address they asked.
        netlab.require_tools("systemd-socket-activate")
        with open("/proc/sys/net/ipv6/bindv6only") as f:
            if f.read().strip() != "0":
                self.skipTest("net.ipv6.bindv6only=1: no dual-stack sockets here")
        port = lab.free_port("::1")
        d = self.daemon(listen=False, argv_prefix=["systemd-socket-activate", "--datagram",
                                                   "-l", f"[::]:{port}"],
                        ready=f"Listening on [::]:{port}")
        d.port = port
        for host in ("127.0.0.7", "::1"):
            d.host = host
            result, data = self.fetch(d, FILE, "--option", "tsize=0", "--option", "blksize=1468")
            self.assertTrue(data == self.tree.data(FILE_REL), f"{host}: {result}")
            reply = lab.ask(d, lab.rrq("bootcode.bin"))
            self.assertEqual((reply[0], reply[2][0]), ("data", host))
        self.assertIn(f"listening on socket-activated [::]:{port}", d.log())

    def test_ipv6_with_real_clients(self):
        d = self.daemon(host="::1")
        out = tempfile.mktemp(prefix="rpinb-ops-curl6-")
        self.addCleanup(lambda: os.path.exists(out) and os.unlink(out))
        r = netlab.run(["curl", "-sS", "--max-time", "30", "--tftp-blksize", "1468", "-o", out,
                        f"tftp://[::1]:{d.port}/{lab.SERIAL}/kernel8.img"], check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            self.assertTrue(f.read() == self.tree.data(f"root/{lab.SERIAL}/kernel8.img"))
        walk = lab.pi_client(d, "boot", "--model", "pi4", "--prefix", lab.SERIAL)
        self.assertEqual(walk.returncode, 0, walk.stdout[-2000:])

    def test_replies_leave_from_the_address_the_request_reached(self):
        # A wildcard listener on a host with several addresses: DATA (from the transfer's own
        # socket) and ERROR (from the listening socket) both come from the address asked.
        d = self.daemon(listen=False, extra=["--listen", f"0.0.0.0:{lab.free_port()}"])
        d.port = int(d.log().split("listening on 0.0.0.0:")[1].split()[0])
        for target in ("127.0.0.5", "127.0.0.6"):
            d.host = target
            for name, kind in (("bootcode.bin", "data"), ("missing.bin", "error")):
                reply = lab.ask(d, lab.rrq(name))
                self.assertIsNotNone(reply, (target, name))
                self.assertEqual(reply[0], kind, (target, name, reply))
                self.assertEqual(reply[2][0], target, (target, name))
                if kind == "data":
                    self.assertNotEqual(reply[2][1], d.port)  # its own port (TID)

    def test_path_mtu_clamp_on_a_real_link(self):
        netlab.require_root()
        srv, cli = netlab.Netns("tftpd-mtu-s"), netlab.Netns("tftpd-mtu-c")
        self.addCleanup(srv.close)
        self.addCleanup(cli.close)
        for ns in (srv, cli):  # IPv6 addresses usable at once
            ns.exec(["sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0"])
        if_s, if_c = netlab.link(srv, "192.0.2.1/24", cli, "192.0.2.2/24", mtu=1500)
        srv.exec(["ip", "addr", "add", "2001:db8::1/64", "dev", if_s, "nodad"])
        cli.exec(["ip", "addr", "add", "2001:db8::2/64", "dev", if_c, "nodad"])
        d = self.daemon(netns=srv.name, listen=False,
                        extra=["--listen", "192.0.2.1:69", "--listen", "[2001:db8::1]:69"],
                        ready="listening on [2001:db8::1]:69")

        def granted(host):
            result, data = self.fetch(d, FILE, "--option", "tsize=0", "--option",
                                      "blksize=65464", netns=cli.name, host=host)
            self.assertTrue(data == self.tree.data(FILE_REL), f"{host}: {result}")
            return result["blksize"]

        # MTU 1500: 1500 - 20 (IPv4) - 8 (UDP) - 4 (TFTP) = 1468; IPv6: 1500 - 40 - 12 = 1448.
        self.assertEqual(granted("192.0.2.1"), 1468)
        self.assertEqual(granted("2001:db8::1"), 1448)
        for ns, ifname in ((srv, if_s), (cli, if_c)):
            ns.exec(["ip", "link", "set", ifname, "mtu", "1400"])
        self.assertEqual(granted("192.0.2.1"), 1368)
        self.assertEqual(granted("2001:db8::1"), 1348)
        # The configured maximum still wins when it is lower.
        d2 = self.daemon(netns=srv.name, listen=False, port=70,
                         extra=["--listen", "192.0.2.1:70", "--max-blksize", "1024"],
                         ready="listening on 192.0.2.1:70")
        result, _ = self.fetch(d2, FILE, "--option", "blksize=1468", "--stop", "oack",
                               netns=cli.name, host="192.0.2.1")
        self.assertEqual(result["oack"], {"blksize": "1024"})

    # --- limits ------------------------------------------------------------------------------

    def test_limits_per_client_global_and_half_open_eviction(self):
        d = self.daemon(extra=["--max-transfers", "3", "--max-per-client", "2",
                               "--half-open-timeout-ms", "1000"])

        def established(source):
            c = lab.RawClient(d, source=source)
            self.assertEqual(c.request(FILE)[0], "data")
            c.step()  # ACK 1: no longer half-open
            return c

        def refused(source):
            reply = lab.ask(d, lab.rrq(FILE), source=source)
            self.assertIsNotNone(reply)
            self.assertEqual(reply[0], "error", reply)
            self.assertEqual(reply[1], (0, "Server busy, try again"))

        a1, a2 = established("127.0.0.1"), established("127.0.0.1")
        refused("127.0.0.1")  # per-client limit (2)
        b = established("127.0.0.2")
        refused("127.0.0.3")  # global limit (3), nothing half-open to evict
        b.abort()
        d.wait_log("ended by client")
        half = lab.RawClient(d, source="127.0.0.3")
        self.assertEqual(half.request(FILE, (("tsize", "0"),))[0], "oack")  # never ACKed
        fresh = established("127.0.0.4")  # evicts the half-open one instead of being refused
        d.wait_log("evicted: server full")
        # Half-open transfers expire within seconds on their own.
        half2 = lab.RawClient(d, source="127.0.0.5")
        a1.abort()
        d.wait_log("ended by client", count=2)
        t0 = time.monotonic()
        self.assertEqual(half2.request(FILE, (("tsize", "0"),))[0], "oack")
        netlab.wait_for(lambda: "127.0.0.5" in d.log() and "(half-open)" in d.log(), timeout=5,
                        what="half-open expiry")
        self.assertLess(time.monotonic() - t0, 3)
        # The established transfers were never disturbed.
        self.assertTrue(a2.finish() == self.tree.data(FILE_REL))
        self.assertTrue(fresh.finish() == self.tree.data(FILE_REL))

    def test_repeated_request_keeps_transfer_new_request_replaces(self):
        d = self.daemon()
        c = lab.RawClient(d)
        self.assertEqual(c.request(FILE, (("tsize", "0"),))[0], "oack")
        first = c.tid
        # The same RRQ again from the same port (the client's answer was slow): no new transfer.
        c.sock.sendto(lab.rrq(FILE, options=(("tsize", "0"),)), c.server)
        d.wait_log("repeated request, transfer kept")
        c.step()  # ACK 0 to the first answer's port: DATA 1 comes from there
        self.assertEqual(c.block, 1)
        self.assertEqual(c.tid, first)
        # A different request from the same (ip, port) replaces the live transfer (ports get
        # reused by Pi firmware, firmware#745).
        c.sock.sendto(lab.rrq("bootcode.bin"), c.server)
        while True:
            pkt, addr = c.sock.recvfrom(70000)
            if addr != first:
                break
        self.assertEqual(lab.parse_reply(pkt)[0], "data")
        d.wait_log("replaced by a new request from the same port")

    def test_client_gone_ends_transfer_at_first_retransmit(self):
        # A client that closes its socket is noticed from its host's ICMP port unreachable
        # (IP_RECVERR on the transfer's connected socket) when the DATA is first re-sent,
        # instead of after every retry (about 15 s with these settings).
        d = self.daemon(extra=["--timeout-ms", "300", "--retries", "5"])
        gone = lab.RawClient(d)
        self.assertEqual(gone.request(FILE)[0], "data")
        gone_port = gone.sock.getsockname()[1]
        # A second client from the same address keeps going meanwhile.
        other = lab.RawClient(d)
        self.assertEqual(other.request(FILE)[0], "data")
        gone.close()
        t0 = time.monotonic()
        netlab.wait_for(lambda: f":{gone_port} ended by client after 0 of 2000003 bytes: client "
                        "port unreachable" in d.log(), timeout=5, what="port unreachable noticed")
        self.assertLess(time.monotonic() - t0, 3)
        self.assertTrue(other.finish() == self.tree.data(FILE_REL))

    # --- trees -------------------------------------------------------------------------------

    def test_layout_template_and_root_fallback(self):
        t = self.tree
        d = self.daemon(extra=["--layout", f"{t.layout}/{{serial}}/boot/{{path}}"])
        _, data = self.fetch(d, f"{lab.LAYOUT_SERIAL}/kernel8.img")
        self.assertTrue(data == t.data(f"nfs/{lab.LAYOUT_SERIAL}/boot/kernel8.img"))
        # No nfs/<serial>/boot: served from --root as usual.
        _, data = self.fetch(d, FILE)
        self.assertTrue(data == t.data(FILE_REL))
        # A symlink in the layout tree leading out of it is refused.
        os.symlink(t.outside, os.path.join(t.layout, "0badf00d"))
        self.addCleanup(os.unlink, os.path.join(t.layout, "0badf00d"))
        result, _ = self.fetch(d, "0badf00d/secret.txt")
        self.assertEqual(result["outcome"], "server-error")

    def test_pinning(self):
        d = self.daemon(extra=["--pin", f"{lab.SERIAL}=127.0.0.5",
                               "--pin", "DC:A6:32:01:36:C2=127.0.0.6,::1",
                               "--allow-root", self.tree.allowed])
        cases = [  # (name, source, served?)
            (FILE, "127.0.0.5", True), (FILE, "127.0.0.1", False),
            (FILE.upper().replace("START4.ELF", "start4.elf"), "127.0.0.1", False),
            ("/./" + FILE, "127.0.0.1", False),
            (f"{lab.MAC_LINK}/start4.elf", "127.0.0.6", True),
            (f"{lab.MAC_LINK}/start4.elf", "127.0.0.5", False),
            ("bootcode.bin", "127.0.0.1", True)]  # the root itself is not pinned
        for name, source, served in cases:
            reply = lab.ask(d, lab.rrq(name), source=source)
            self.assertIsNotNone(reply, name)
            if served:
                self.assertEqual(reply[0], "data", (name, source, reply))
            else:
                self.assertEqual(reply[:2], ("error", (2, "Access violation")), (name, source))

    def test_case_insensitive_lookup(self):
        t = self.tree
        fat = os.path.join(t.root, "c0ffee00")
        lab.write(os.path.join(fat, "Start4.ELF"), b"fat copy")
        lab.write(os.path.join(fat, "OVERLAYS", "Overlay_Map.dtb"), b"map")
        self.addCleanup(shutil.rmtree, fat)
        plain = self.daemon()
        folding = self.daemon(extra=["--case-insensitive"])
        for name, want in (("c0ffee00/start4.elf", b"fat copy"),
                           ("C0FFEE00/overlays/overlay_map.dtb", b"map")):
            result, _ = self.fetch(plain, name)
            self.assertEqual(result["error_code"], 1, name)
            _, data = self.fetch(folding, name)
            self.assertEqual(data, want, name)
        # Folding never leads out of the root.
        result, _ = self.fetch(folding, "ESCAPE/secret.txt")
        self.assertEqual(result["outcome"], "server-error")

    def test_one_log_line_per_transfer(self):
        d = self.daemon(log_level="info")
        self.fetch(d, FILE, "--option", "blksize=512")
        self.fetch(d, "missing.bin")
        log = d.log().splitlines()
        sent = [x for x in log if f'sent "{FILE}"' in x]
        self.assertEqual(len(sent), 1, log)
        for field in ("127.0.0.1:", "2000003 bytes", " ms", "blksize 512", "0 retransmits"):
            self.assertIn(field, sent[0])
        self.assertEqual(len([x for x in log if '"missing.bin"' in x]), 1, log)
        self.assertLess(len(log), 10, "per-packet logging at info")

    def test_bad_flags_fail_clearly(self):
        for args, text in ((["--root", self.tree.root, "--max-blksize", "7"], "max-blksize"),
                           (["--root", self.tree.root, "--listen", "nowhere:69"], "listen"),
                           (["--root", self.tree.root, "--layout", "rel/{serial}"], "layout"),
                           (["--root", self.tree.root, "--pin", "bf9fed6f=not-an-ip"], "pin"),
                           (["--frobnicate"], "frobnicate")):
            r = netlab.run([lab.daemon_path(), "--config", "/dev/null"] + args, check=False,
                           timeout=10)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(text, r.stderr)
        r = netlab.run([lab.daemon_path(), "--config", "/dev/null", "--root",
                        self.tree.base + "/nope", "--listen", f"127.0.0.1:{lab.free_port()}"],
                       check=False, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot resolve directory", r.stderr + r.stdout)


if __name__ == "__main__":
    if not os.path.exists(lab.daemon_path()):
        netlab.skip_or_fail("rpi-tftpd not built")
    unittest.main(verbosity=2)
