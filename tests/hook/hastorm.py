"""A boot storm across a Kea HA failover, with TFTP (test_hook_ha_storm.py in `make test`,
bench/failover in `make bench`). On halab's pair (two kea-dhcp4 + libdhcp_ha + this hook):

- emulated Pis (rpinetboot-bench-storm: ROM3, bootcode.bin, Pi 4, Pi 5 in turn, each with its
  loader's own DHCP retry pattern) and plain clients (dhcp_storm, DISCOVER + REQUEST) boot over
  `spread_s`; at half of it an event hits a server: SIGKILL, its link cut (its bridge port down),
  in load-balancing the secondary killed, only the primary's kea-ctrl-agent killed (HA through
  the agents on Kea 2.2; on 2.6 and 3.0 HA on its own listener and the agents for the admin's
  commands, EVENT_AGENT), or the two servers cut from each other only (the bridge drops what
  one sends the other; the clients reach both);
- the Pis fetch their boot files from two rpi-tftpd nodes that option 66 spreads them over
  (the hook's tftp-groups, docs/kea.md "Several TFTP nodes"); node B is stopped (by PID) at the
  event: the Pis option 66 sends there afterwards fail visibly; then B is drained on the live
  server (config-reload) and those Pis boot again, all from A;
- tcpdump captures every DHCP packet on the clients' side of the bridge: the checks read what
  the clients were sent, from both servers, not what the emulators chose to report;
- the dead server returns; once both are back in their mode, lease4-get-all on each.

Every process is started and stopped by PID (netlab); every wait is bounded.
"""

import json
import os
import shutil
import struct
import subprocess
import tempfile
import time

import halab
import keatest
from keatest import bootp_options, netlab

NODE_A, NODE_B = "192.0.2.3", "192.0.2.4"
PRIMARY, SECONDARY = "server1", "server2"
EVENTS = ("kill-primary", "cut-primary", "kill-secondary", "kill-agent", "cut-between")
# HA's max-unacked-clients in a cut between the servers: Kea's default (ARM, "Hot-Standby
# Configuration"), as an admin whose servers can lose each other keeps it; with 0 a server takes
# over as soon as it cannot reach its partner, so both would serve one pool.
CUT_BETWEEN_UNACKED = 10


def ha_via_agent():
    """Whether HA goes through kea-ctrl-agent in the agent variant: what an admin of the Kea
    under test deploys. Kea 2.2's HA+MT is off by default (HA through the agents); 2.6 and 3.0
    turn it on with its own listener by default, and the agent is left for the admin's commands
    (ARM "Multi-Threaded Configuration (HA+MT)"; 3.0 deprecates the agent, "Control Agent")."""
    return keatest.INSTALL.version == "2.2"

# Boot files by name, in bytes, about a hundredth of a Raspberry Pi OS boot partition's: the
# storm measures DHCP and the failover, not the copying of kernels on a shared 2-core machine.
SIZES = {"bootcode.bin": 52_456, "start.elf": 29_757, "fixup.dat": 7_314, "start4.elf": 22_527,
         "fixup4.dat": 5_400, "config.txt": 2_048, "cmdline.txt": 120,
         "bcm2710-rpi-3-b.dtb": 32_598, "bcm2710-rpi-3-b-plus.dtb": 33_198,
         "bcm2711-rpi-4-b.dtb": 53_947, "bcm2712-rpi-5-b.dtb": 79_040,
         "kernel8.img": 80_000, "kernel_2712.img": 80_000}


def tool(name):
    """A program of this build: dhcp_storm sits beside dhcp_exchange; the storm tool in bench/."""
    here = os.path.dirname(keatest.exchange_tool())
    if name == "dhcp_storm":
        return os.path.join(here, name)
    return os.path.join(netlab.build_dir(), "bench", name)


def tftpd_path():
    return os.path.join(netlab.build_dir(), "tftpd", "rpi-tftpd")


def missing_tools():
    need = [tool("dhcp_storm"), tool("rpinetboot-bench-storm"), tftpd_path()]
    return [p for p in need if not os.access(p, os.X_OK)] + \
        [t for t in ("tcpdump",) if not shutil.which(t)]


def build_tree(base, fleet):
    """root/bootcode.bin, root/<model>/<files>, root/<serial> -> <model> (a relative symlink,
    which rpi-tftpd serves): one tree both nodes serve, as a shared mount would be."""
    root = os.path.join(base, "root")
    made = set()
    for pi in fleet:
        for f in pi["files"]:
            rel = f[1:] if f.startswith("/") else f"{pi['model']}/{f}"
            if rel in made:
                continue
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as out:
                out.write(os.urandom(SIZES[os.path.basename(rel)]))
            made.add(rel)
        os.symlink(pi["model"], os.path.join(root, pi["serial"]))
    return root


# -- the capture ---------------------------------------------------------------------------------

class Packets(list):
    """read_pcap's packets; `rejected` counts the BOOTP frames whose options bootp_options refused
    (a truncated or overlong option), which are left out."""
    rejected = 0


def read_pcap(path):
    """DHCP packets in a classic pcap file of Ethernet frames, parsed here: a list of dicts op
    (1 request, 2 reply), time (epoch s), src (IP source), type (option 53), yiaddr, mac, xid,
    options (set of codes), lease_time (option 51, s). Frames that are not IPv4/UDP/BOOTP are
    skipped; BOOTP frames with malformed options are skipped and counted (Packets.rejected)."""
    with open(path, "rb") as f:
        data = f.read()
    out = Packets()
    if len(data) < 24:
        return out
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    if struct.unpack(endian + "I", data[20:24])[0] != 1:
        raise AssertionError(f"{path}: not an Ethernet capture")
    at = 24
    while at + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + incl]
        at += 16 + incl
        if len(frame) < 14 + 20 + 8 + 240 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0f) * 4
        if ip[9] != 17:
            continue
        udp = ip[ihl:]
        if struct.unpack("!HH", udp[0:4]) not in ((67, 68), (68, 67)):
            continue
        bootp = udp[8:]
        try:
            bootp_options.check_message(bootp)
        except bootp_options.OptionError:
            continue
        try:
            m = bootp_options.Message(bootp, concatenate=True)
        except bootp_options.OptionError:
            out.rejected += 1
            continue
        out.append({"op": m.op, "time": sec + frac / (1e9 if nano else 1e6),
                    "src": ".".join(str(b) for b in ip[12:16]),
                    "type": m.message_type() or 0, "yiaddr": m.yiaddr, "mac": m.mac,
                    "xid": m.xid, "options": set(m.options), "lease_time": m.u32(51)})
    return out


def log_since(text, at):
    """The lines of a Kea log written at or after `at` (epoch s). Kea starts each line with its
    local time, "YYYY-MM-DD HH:MM:SS.mmm", so the strings compare in time order; a line without
    one (a continued message) goes with the line before it."""
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) + f".{int(at % 1 * 1000):03d}"
    out, keep = [], False
    for line in text.splitlines():
        if len(line) >= 23 and line[4] == "-" and line[10] == " " and line[19] == ".":
            keep = line[:23] >= since
        if keep:
            out.append(line)
    return "\n".join(out)


def plain_discover(n):
    mac = f"52:54:00:00:30:{n:02x}"
    return mac, {"payload_hex": keatest.linux_discover(mac, 0x30300000 + n), "request": True}


class FailoverStorm:
    """One storm: `pis` Pis and `plain` plain clients over `spread_s`, `event` at half of it."""

    def __init__(self, mode, event, pis, plain, spread_s, log=print):
        if event not in EVENTS or (event == "kill-secondary" and mode != "load-balancing"):
            raise ValueError(f"event {event} in {mode}")
        self.mode, self.event, self.pis, self.plain = mode, event, pis, plain
        self.spread_s, self.log = spread_s, log
        self.victim = SECONDARY if event == "kill-secondary" else PRIMARY
        self.survivor = PRIMARY if self.victim == SECONDARY else SECONDARY
        if event in ("kill-agent", "cut-between"):  # both still reach their clients
            self.survivor = PRIMARY
        self.work = tempfile.mkdtemp(prefix="rpinb-hastorm-")
        os.chmod(self.work, 0o755)
        self.procs, self.pair, self.result, self.plain_runs = [], None, {}, []
        # kill-agent: admin_commands() just before and just after the agent's SIGKILL.
        self.commands_before = self.commands_after = None

    def close(self):
        for proc in self.procs:
            proc.stop()
        for popen in self.plain_runs:  # by its own handle: only what this storm started
            if popen.poll() is None:
                popen.kill()
                popen.communicate(timeout=10)
        if self.pair:
            self.pair.close()
        shutil.rmtree(self.work, ignore_errors=True)

    # -- pieces ----------------------------------------------------------------------------------

    def fleet(self):
        res = netlab.run([tool("rpinetboot-bench-storm"), "fleet", "--pis", str(self.pis)])
        return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]

    def start_node(self, address):
        conf = os.path.join(self.work, f"rpi-tftpd-{address}.conf")
        with open(conf, "w") as f:
            # Every emulated Pi sends from the client namespace's one address, where real Pis
            # have one each: the per-client cap is raised above the storm's size.
            f.write(f"root = {self.root}\nmax-per-client = 1024\n")
        proc = self.pair.ns["tftp"].start([tftpd_path(), "--config", conf, "--listen",
                                           f"{address}:69", "--log-level", "warn"],
                                          name=f"rpi-tftpd-{address}")
        self.procs.append(proc)
        self.pair.ns["tftp"].wait_udp(proc, address, 69, timeout=20)
        return proc

    def start_pis(self, select=None, spread_ms=None):
        argv = [tool("rpinetboot-bench-storm"), "run", "--interface", self.pair.client_if,
                "--pis", str(self.pis), "--pi-retries", "1",
                "--spread-ms", str(int(self.spread_s * 1000) if spread_ms is None else spread_ms)]
        if select:
            argv += ["--select", ",".join(str(i) for i in select)]
        proc = self.pair.client.start(argv, name="pis")
        self.procs.append(proc)
        return proc

    def start_plain(self, clients):
        """dhcp_storm for plain clients: DISCOVER, REQUEST, resent every 2 s, 10 times (longer
        than the 10.7 s a link cut takes to be noticed, docs/kea.md)."""
        argv = ["ip", "netns", "exec", self.pair.client.name, tool("dhcp_storm"), "--interface",
                self.pair.client_if, "--in-flight", "8", "--timeout-ms", "2000", "--attempts",
                "10", "--deadline-s", "120"]
        path = os.path.join(self.work, f"plain-{len(self.plain_runs)}.jsonl")
        with open(path, "w") as f:
            f.write("".join(json.dumps(c) + "\n" for c in clients))
        with open(path) as stdin:
            popen = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.plain_runs.append(popen)
        return popen

    @staticmethod
    def finish_plain(popen):
        try:
            out, err = popen.communicate(timeout=150)
        except subprocess.TimeoutExpired:
            popen.kill()  # by its own handle: only what this storm started
            out, err = popen.communicate(timeout=10)
        if popen.returncode != 0:
            raise AssertionError(f"dhcp_storm failed ({popen.returncode}): {err}")
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        return lines[:-1]

    @staticmethod
    def pis_output(proc, timeout):
        netlab.wait_for(lambda: not proc.alive(), timeout=timeout, interval=0.2,
                        what="the Pis to finish")
        return [json.loads(line) for line in proc.output().splitlines()
                if line.startswith("{") and '"summary"' not in line]

    def cut_between(self, cut):
        """Drops (cut) or passes again what one server's bridge port sends the other's (nftables'
        bridge family in the switch namespace): the clients still reach both servers."""
        table = "rpinb_cut"
        if not cut:
            self.pair.switch.exec(["nft", "delete", "table", "bridge", table])
            return
        a, b = self.pair.port[PRIMARY], self.pair.port[SECONDARY]
        rules = os.path.join(self.work, "cut.nft")
        with open(rules, "w") as f:
            f.write(f"table bridge {table} {{\n chain forward {{\n"
                    f"  type filter hook forward priority 0; policy accept;\n"
                    f"  iifname \"{a}\" oifname \"{b}\" drop\n"
                    f"  iifname \"{b}\" oifname \"{a}\" drop\n }}\n}}\n")
        self.pair.switch.exec(["nft", "-f", rules])

    def admin_commands(self):
        """An admin's status-get through the primary's agent and straight to its kea-dhcp4's
        control socket: each answer's result, or None (no answer)."""
        through = self.pair.agent_command(PRIMARY, "status-get")
        try:
            direct = self.pair.kea[PRIMARY].command("status-get", timeout=5)
        except OSError:
            direct = None
        return {"agent": None if through is None else through.get("result"),
                "direct": None if direct is None else direct.get("result")}

    def hit(self):
        """The event; returns its wall-clock time."""
        at = time.time()
        if self.event == "cut-primary":
            self.pair.switch.exec(["ip", "link", "set", self.pair.port[PRIMARY], "down"])
        elif self.event == "cut-between":
            self.cut_between(True)
        elif self.event == "kill-agent":
            self.commands_before = self.admin_commands()
            self.pair.kill_agent(PRIMARY)
            self.commands_after = self.admin_commands()
        else:
            self.pair.kill(self.victim)
        return at

    def wait_takeover(self, at, timeout=60):
        """Seconds from the event until the survivor is in partner-down; with only the primary's
        agent killed, until the other server logs that it cannot reach the primary (none: HA
        on its own listener, where it never does); cut between the servers, until each has
        left its mode or logged that it cannot reach the other."""
        if self.event == "kill-agent" and not self.pair.via_agent:
            return 0.0
        if self.event == "cut-between":
            # A server that took over stops heartbeating in time (its first failure may come
            # half a minute later): leaving its mode is its notice.
            def noticed(name):
                return self.pair.state(name) != self.mode or \
                    "HA_HEARTBEAT_COMMUNICATIONS_FAILED" in self.pair.kea[name].log()
            netlab.wait_for(lambda: all(noticed(n) for n in halab.SERVERS),
                            timeout=timeout, interval=0.1,
                            what="both servers noticing they cannot reach each other")
            return time.time() - at
        if self.event == "kill-agent":
            netlab.wait_for(lambda: "HA_HEARTBEAT_COMMUNICATIONS_FAILED" in
                            self.pair.kea[SECONDARY].log(), timeout=timeout, interval=0.1,
                            what="the standby noticing the primary's agent gone")
            return time.time() - at
        netlab.wait_for(lambda: self.pair.state(self.survivor) == "partner-down",
                        timeout=timeout, interval=0.1,
                        what=f"{self.survivor} in partner-down after {self.event}")
        return time.time() - at

    # -- the run ---------------------------------------------------------------------------------

    def run(self):
        fleet = self.fleet()
        self.root = build_tree(self.work, fleet)
        nodes = [NODE_A, NODE_B]
        # persist: the drain's config-reload must keep the leases, as on an installed server.
        # rom-hold-lifetime as long as a lease: the emulated bootcode.bin Pis never reach the
        # OS stage that confirms a hold, so their holds would lapse mid-run and "one lease per
        # client" could not be checked for them (kea-hook/src/hook_config.h, rom-hold-lifetime).
        params = {"tftp-groups": [{"nodes": nodes}], "rom-hold-lifetime": 600}
        agent = self.event == "kill-agent"
        self.pair = halab.Pair(self.mode, hook_params=params, persist=True,
                               via_agent=agent and ha_via_agent(),
                               admin_agent=agent and not ha_via_agent(),
                               max_unacked_clients=CUT_BETWEEN_UNACKED
                               if self.event == "cut-between" else None)
        self.pair.add_host("tftp", nodes)
        for name in halab.SERVERS:
            self.pair.start(name, wait=False)
        for name in halab.SERVERS:
            self.pair.kea[name].wait_ready()
        for name in halab.SERVERS:
            self.pair.wait_state(name, self.mode)
        node = {NODE_A: self.start_node(NODE_A), NODE_B: self.start_node(NODE_B)}
        pcap = os.path.join(self.work, "dhcp.pcap")
        capture = self.pair.client.start(["tcpdump", "-i", self.pair.client_if, "-U", "-n",
                                          "-s", "1500", "-w", pcap, "udp and (port 67 or port 68)"],
                                         name="tcpdump")
        self.procs.append(capture)
        capture.wait_ready(lambda: "listening on" in capture.output(), timeout=20,
                           what="tcpdump listening")

        plain = [plain_discover(n) for n in range(self.plain)]
        half = len(plain) // 2
        started = time.time()
        pis = self.start_pis()
        first_plain = self.start_plain([c for _, c in plain[:half]])
        time.sleep(self.spread_s / 2)
        event_at = self.hit()
        node[NODE_B].stop()  # node B stops at the same moment
        b_stopped = time.time()
        second_plain = self.start_plain([c for _, c in plain[half:]])
        takeover = self.wait_takeover(event_at)
        what = {"kill-agent": "the partner logged it cannot reach the primary",
                "cut-between": "both noticed they cannot reach each other"}.get(
                    self.event, f"{self.survivor} in partner-down")
        self.log(f"{self.mode}, {self.event}: {what} {takeover:.1f} s after the event", flush=True)
        booted = self.pis_output(pis, timeout=self.spread_s + 240)
        storm_s = time.time() - started
        states = {name: self.pair.state(name) for name in self.pair.kea}
        # The logs from the event to here: before it the servers started (one may have failed
        # to reach the other, not yet listening), after it the drain's config-reloads restart HA
        # (a partner may see that as a short outage of its own).
        storm_logs = {name: log_since(log, event_at) for name, log in self.pair.logs().items()}
        self.log(f"states at the storm's end: {states}", flush=True)
        plain_lines = self.finish_plain(first_plain) + self.finish_plain(second_plain)
        self.log(f"the storm took {storm_s:.1f} s, its plain clients "
                 f"{time.time() - started:.1f} s", flush=True)

        # B's Pis that failed: B drained on the live server(s), then they boot again, from A.
        failed = [p for p in booted if not p["booted"]]
        drained = dict(self.pair.hook_params,
                       **{"tftp-groups": [{"nodes": [NODE_A, {"address": NODE_B,
                                                             "drain": True}]}]})
        live = [n for n in halab.SERVERS if n in self.pair.kea]
        if self.event == "cut-primary":
            live = [self.survivor]  # the cut server's clients cannot reach it anyway
        if self.event in ("kill-agent", "cut-between"):
            # The agent returns (the cut heals) first: a config-reload restarts HA, and a server
            # that cannot reach its partner would wait for it, or take over.
            if self.event == "kill-agent":
                self.pair.start_agent(PRIMARY)
            else:
                self.cut_between(False)
            for name in halab.SERVERS:
                self.pair.wait_state(name, self.mode, timeout=120)
            healed_s = time.time() - started
            self.log(f"both servers back in {self.mode} after the "
                     f"{'agent' if self.event == 'kill-agent' else 'cut'} came back: "
                     f"{healed_s:.1f} s", flush=True)
        for name in live:
            self.pair.reload_hook(name, drained)
        for name in live:  # config-reload restarts HA's state machine: wait for it
            self.pair.wait_state(name, ("partner-down", self.mode), timeout=60)
        again = []
        if failed:
            again_proc = self.start_pis(select=[p["index"] for p in failed], spread_ms=500)
            again = self.pis_output(again_proc, timeout=240)
        self.log(f"{len(failed)} Pis failed, booted again after the drain: "
                 f"{time.time() - started:.1f} s", flush=True)

        # The dead server returns (the cut link comes back up); both back in their mode.
        if self.event == "cut-primary":
            self.pair.switch.exec(["ip", "link", "set", self.pair.port[PRIMARY], "up"])
            self.pair.reload_hook(PRIMARY, drained)
        elif self.event not in ("kill-agent", "cut-between"):
            self.pair.start(self.victim)
        for name in halab.SERVERS:
            self.pair.wait_state(name, self.mode, timeout=120)
        self.log(f"both servers back in {self.mode}: {time.time() - started:.1f} s", flush=True)
        stores = {name: self.pair.leases(name) for name in halab.SERVERS}
        stats = {name: self.pair.kea[name].statistics() for name in halab.SERVERS}
        logs = self.pair.logs()
        capture.stop()
        packets = read_pcap(pcap)
        self.log(f"capture: {len(packets)} BOOTP frames read, {packets.rejected} rejected as "
                 "malformed", flush=True)
        replies = [x for x in packets if x["op"] == 2]
        requests = [x for x in packets if x["op"] == 1]
        self.result = {
            "fleet": fleet, "booted": booted, "again": again, "plain": plain_lines,
            "plain_macs": [m for m, _ in plain], "replies": replies, "requests": requests,
            "stores": stores,
            "stats": stats, "logs": logs, "event_at": event_at, "b_stopped": b_stopped,
            "started": started, "takeover_s": takeover, "storm_s": storm_s,
            "victim": self.victim, "survivor": self.survivor, "states_after_storm": states,
            "logs_since_event": storm_logs,
            "commands_before": self.commands_before, "commands_after": self.commands_after,
            "ha_via_agent": self.pair.via_agent}
        return self.result


# -- the checks (shared by the test and the bench) -------------------------------------------------

def problems(r):
    """Everything wrong with a FailoverStorm result, as sentences (empty: all held)."""
    bad = []
    # 1. No address offered or ACKed to two MACs within a lease lifetime: in the capture, no
    #    reply gives an address to another MAC before the lease time (option 51) of an earlier
    #    reply of it has run out.
    owners = {}
    for rep in sorted(r["replies"], key=lambda x: x["time"]):
        if rep["type"] not in (2, 5):
            continue
        for earlier in owners.get(rep["yiaddr"], []):
            if earlier["mac"] != rep["mac"] and \
                    rep["time"] < earlier["time"] + (earlier["lease_time"] or 0):
                bad.append(f"{rep['yiaddr']} to {rep['mac']} {rep['time'] - earlier['time']:.1f} s "
                           f"after {earlier['mac']} was given it for {earlier['lease_time']} s")
                break
        owners.setdefault(rep["yiaddr"], []).append(rep)
        if rep["lease_time"] is None:
            bad.append(f"reply to {rep['mac']} without option 51")
    # 2. Every ROM3 Pi one address from ROM to bootcode.bin, in the capture and by the emulator.
    fleet = {p["mac"]: p for p in r["fleet"]}
    per_mac = {}
    for rep in r["replies"]:
        if rep["type"] in (2, 5):
            per_mac.setdefault(rep["mac"], set()).add(rep["yiaddr"])
    for mac, pi in fleet.items():
        if pi["model"] in ("rom3", "bootcode") and len(per_mac.get(mac, ())) > 1:
            bad.append(f"{pi['model']} {mac} was offered {sorted(per_mac[mac])}")
    # 3. Every reply to a Pi carries 43, 60 and 66.
    for rep in r["replies"]:
        if rep["mac"] in fleet and rep["type"] in (2, 5) and not {43, 60, 66} <= rep["options"]:
            bad.append(f"reply to {rep['mac']} without 43/60/66: {sorted(rep['options'])}")
    # 4. Every Pi leased; the Pis on A booted; those that failed failed on B, visibly, and
    #    booted from A once B was drained, with the same address.
    again = {p["index"]: p for p in r["again"]}
    for p in r["booted"] + r["again"]:
        if p["model"] == "rom3" and p["stage2_yiaddr"] not in (None, p["yiaddr"]):
            bad.append(f"rom3 {p['mac']}: ROM {p['yiaddr']}, bootcode.bin {p['stage2_yiaddr']}")
    for p in r["booted"]:
        who = f"{p['model']} {p['mac']}"
        if p["yiaddr"] is None:
            bad.append(f"{who} got no OFFER: {p['error']}")
            continue
        if p["booted"]:
            continue
        if p["tftp_server"] != NODE_B or "TFTP" not in p["error"]:
            bad.append(f"{who} failed, not on node B's TFTP: {p['tftp_server']} {p['error']}")
        second = again.get(p["index"])
        if not second or not second["booted"] or second["tftp_server"] != NODE_A:
            bad.append(f"{who} did not boot from {NODE_A} after the drain: {second}")
        elif second["yiaddr"] != p["yiaddr"]:
            bad.append(f"{who} changed address after the drain: {p['yiaddr']} -> "
                       f"{second['yiaddr']}")
    # 5. The plain clients ACKed.
    for c in r["plain"]:
        if not c["done"] or not any(x["message_type"] == 5 for x in c["replies"]):
            bad.append(f"plain client {c['mac']} not ACKed: {c['error']}")
    # 6. Both stores: exactly one lease per client, the same address on both.
    clients = sorted(list(fleet) + r["plain_macs"])
    for name, leases in r["stores"].items():
        if sorted(leases) != clients:
            bad.append(f"{name} leases: missing {sorted(set(clients) - set(leases))}, extra "
                       f"{sorted(set(leases) - set(clients))}")
        addrs = [a for a, _ in leases.values()]
        if len(addrs) != len(set(addrs)):
            bad.append(f"{name}: an address leased twice")
        if r["stats"][name].get("subnet[1].assigned-addresses", 0) < 0:
            bad.append(f"{name}: assigned-addresses negative")
    a, b = ({m: x for m, (x, _) in leases.items()} for leases in r["stores"].values())
    if a != b:
        bad.append(f"the stores differ: {sorted(set(a.items()) ^ set(b.items()))[:10]}")
    # 7. No callout failed.
    for name, log in r["logs"].items():
        lines = log.splitlines()
        for word in ("HOOKS_CALLOUT_ERROR", "HOOKS_CALLOUT_EXCEPTION", "RPI_NETBOOT_CALLOUT_ERROR"):
            at = next((i for i, line in enumerate(lines) if word in line), None)
            if at is not None:  # with the lines before it: which library failed, and why
                context = " | ".join(line[:300] for line in lines[max(0, at - 3):at + 1])
                bad.append(f"{name} logged {word}: {context}")
    return bad


def measures(r):
    """What the report gives: times and counts."""
    done = [p["done_ms"] for p in r["booted"] if p["booted"] and p["done_ms"]]
    # Each client that first asked after the event: how long until its first reply (the ROM
    # asks again only every 5 s, so this is what the failover costs a booting Pi).
    first_ask, waits = {}, {}
    for x in sorted(r["requests"], key=lambda x: x["time"]):
        first_ask.setdefault(x["mac"], x["time"])
    for x in sorted(r["replies"], key=lambda x: x["time"]):
        ask = first_ask.get(x["mac"])
        if ask is not None and ask >= r["event_at"] and x["time"] >= ask:
            waits.setdefault(x["mac"], (ask, x["time"] - ask))
    through = [m for m, (ask, wait) in waits.items()
               if ask < r["event_at"] + r["takeover_s"] and ask + wait > r["event_at"] +
               r["takeover_s"] - 0.5]
    failed_b = [p for p in r["booted"] if not p["booted"]]
    return {"pis": len(r["booted"]), "plain": len(r["plain"]),
            "booted_first_time": sum(p["booted"] for p in r["booted"]),
            "failed_on_b_then_booted_from_a": sum(1 for p in r["again"] if p["booted"]),
            "failed_on_b": len(failed_b),
            "takeover_s": r["takeover_s"],
            # Clients that first asked after the event: their longest wait for a reply, and how
            # many asked before the takeover and were answered only after it.
            "longest_wait_s": max((w for _, w in waits.values()), default=None),
            "waited_through_takeover": len(through),
            # From the storm's first DISCOVER to the last file of the last Pi that booted in it.
            "last_file_s": max(done, default=0) / 1000,
            "dhcp_replies_captured": len(r["replies"]),
            "discovers": sum(p["discovers"] for p in r["booted"]),
            "storm_s": r["storm_s"]}
