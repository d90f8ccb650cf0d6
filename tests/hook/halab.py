"""Harness for a Kea High Availability pair: two kea-dhcp4 (the Kea under test, kea_install) in
their own network namespaces and a client namespace, all on one bridge (192.0.2.0/24, TEST-NET-1):
server1 192.0.2.1, server2 192.0.2.2, clients 192.0.2.254. Each server loads lease_cmds, Kea's HA
hook and this hook. The HA link is the same bridge: each server's HA hook answers its partner on
its own HTTP listener (HA "multi-threading" with "http-dedicated-listener", Kea ARM "Multi-Threaded
Configuration (HA+MT)"), so no kea-ctrl-agent is in HA's path unless Pair(via_agent=True) puts
it there (Pair(admin_agent=True): agents for the admin's commands only). Every process is stopped
by PID (netlab).
"""

import json
import os
import time

import keatest
from keatest import INSTALL, KeaServer, netlab

SERVERS = {"server1": "192.0.2.1", "server2": "192.0.2.2"}
CLIENT_ADDR = "192.0.2.254"
HA_PORT = 8001
AGENT_PORT = 8000  # kea-ctrl-agent's, when HA goes through it (Pair(via_agent=True))
POOL = "192.0.2.100 - 192.0.2.199"

# Fast failure detection for tests: a heartbeat a second, the partner declared down 3 s after its
# last answer, and no wait for unacknowledged clients (Kea ARM, "Hot-Standby Configuration":
# heartbeat-delay, max-response-delay, max-ack-delay, max-unacked-clients).
TIMING = {"heartbeat-delay": 1000, "max-response-delay": 3000, "max-ack-delay": 1000,
          "max-unacked-clients": 0, "sync-timeout": 10000}


def hooks_dir():
    return INSTALL.hooks_dir or "/usr/lib/x86_64-linux-gnu/kea/hooks"


def kea_library(name):
    return os.path.join(hooks_dir(), name)


def missing():
    for name in ("libdhcp_ha.so", "libdhcp_lease_cmds.so"):
        if not os.path.exists(INSTALL.host_path(kea_library(name))):
            return f"no {name} in {hooks_dir()} of Kea {INSTALL.version}"
    return None


def ha_config(this, mode, via_agent=False, max_unacked_clients=None):
    """via_agent: each peer's URL is its kea-ctrl-agent, which passes HA's commands to
    kea-dhcp4's control socket (Kea ARM, "High Availability Hook": the set-up before HA+MT, what
    Kea 2.2 installations mostly run); max-unacked-clients is Kea's default then, so the standby
    takes over only when clients go unanswered, not merely when the primary's agent does.
    max_unacked_clients: that parameter's value instead of TIMING's 0 (e.g. Kea's default, 10)."""
    roles = (["primary", "standby"] if mode == "hot-standby" else ["primary", "secondary"])
    port = AGENT_PORT if via_agent else HA_PORT
    cfg = {"this-server-name": this, "mode": mode, **TIMING,
           "peers": [{"name": name, "url": f"http://{addr}:{port}/", "role": role,
                      "auto-failover": True}
                     for (name, addr), role in zip(SERVERS.items(), roles)]}
    if via_agent:
        cfg["max-unacked-clients"] = 10
    else:
        cfg["multi-threading"] = {"enable-multi-threading": True, "http-dedicated-listener": True,
                                  "http-listener-threads": 1, "http-client-threads": 1}
    if max_unacked_clients is not None:
        cfg["max-unacked-clients"] = max_unacked_clients
    return {"high-availability": [cfg]}


def pools(mode):
    """hot-standby: one pool, both servers. load-balancing: each server's half of the pool behind
    the HA hook's class for it (Kea ARM, "Load-Balancing Configuration")."""
    if mode == "hot-standby":
        return [{"pool": POOL}]
    return [{"pool": "192.0.2.100 - 192.0.2.149", **keatest.pool_class("HA_server1")},
            {"pool": "192.0.2.150 - 192.0.2.199", **keatest.pool_class("HA_server2")}]


def server_config(interface, paths, this, mode, hook_params=None, valid_lifetime=600,
                  via_agent=False, max_unacked_clients=None):
    threads = {"enable-multi-threading": not via_agent}
    if not via_agent:
        threads.update({"thread-pool-size": 2, "packet-queue-size": 64})
    cfg = keatest.base_config(
        interface, paths, hook_params=hook_params,
        subnet={"id": 1, "subnet": "192.0.2.0/24", "pools": pools(mode)},
        libraries_before=[{"library": kea_library("libdhcp_lease_cmds.so")},
                          {"library": kea_library("libdhcp_ha.so"),
                           "parameters": ha_config(this, mode, via_agent,
                                                   max_unacked_clients)}],
        extra={"multi-threading": threads,
               "valid-lifetime": valid_lifetime,
               "expired-leases-processing": {"reclaim-timer-wait-time": 1,
                                             "hold-reclaimed-time": 60}})
    # HA's messages at INFO are what an admin reads in a failover; ours at debug as elsewhere.
    cfg["Dhcp4"]["loggers"].append({"name": "kea-dhcp4.ha-hooks", "severity": "INFO",
                                    "output_options": [{"output": paths.log}]})
    return cfg


class Pair:
    """The bridge, the two servers' and the client's namespaces; servers started by start()."""

    def __init__(self, mode, hook_params=None, valid_lifetime=600, server_ifname=None,
                 persist=False, via_agent=False, admin_agent=False, max_unacked_clients=None):
        """server_ifname: the servers' interface name (e.g. eth0, as the examples name it).
        persist: memfile writes its lease file, as installed servers do; without it a
        config-reload starts from an empty lease store.
        via_agent: HA goes through a kea-ctrl-agent beside each server (ha_config), started
        and stopped with it.
        admin_agent: a kea-ctrl-agent beside each server for the admin's commands only, HA on
        its own listener (HA+MT, Kea 2.6's and 3.0's default; ARM "Control Agent
        Configuration": "the commands should still be sent via CA").
        max_unacked_clients: HA's max-unacked-clients (ha_config)."""
        self.mode, self.hook_params, self.valid_lifetime = mode, hook_params, valid_lifetime
        self.persist, self.via_agent, self.agent = persist, via_agent, {}
        self.admin_agent, self.max_unacked_clients = admin_agent, max_unacked_clients
        self.switch = netlab.Netns("sw")
        self.switch.exec(["ip", "link", "add", "br0", "type", "bridge"])
        self.switch.exec(["ip", "link", "set", "br0", "up"])
        self.ns, self.ifname, self.port, self.kea = {}, {}, {}, {}
        for name, addr in list(SERVERS.items()) + [("client", CLIENT_ADDR)]:
            ns = netlab.Netns(name[:7])
            port, inner = netlab.link(self.switch, None, ns, addr + "/24")
            self.switch.exec(["ip", "link", "set", port, "master", "br0"])
            if server_ifname and name != "client":
                ns.exec(["ip", "link", "set", inner, "down"])
                ns.exec(["ip", "link", "set", inner, "name", server_ifname])
                ns.exec(["ip", "link", "set", server_ifname, "up"])
                inner = server_ifname
            self.ns[name], self.ifname[name], self.port[name] = ns, inner, port
        for name in self.ns:
            netlab.wait_for(lambda n=name: "LOWER_UP" in self.ns[n].exec(
                ["ip", "-o", "link", "show", self.ifname[n]]).stdout, timeout=10,
                what=f"carrier in {name}")
        # keatest.Lab's interface for dhcp_exchange: the client side.
        self.client, self.client_if = self.ns["client"], self.ifname["client"]

    def start(self, name, wait=True, config_text=None, paths=None):
        """Starts kea-dhcp4 `name` with halab's configuration, or with `config_text` (whose
        files must be those of `paths`)."""
        lab = _ServerSide(self.ns[name], self.ifname[name])
        paths = paths or INSTALL.new_paths()
        config = None if config_text else server_config(
            self.ifname[name], paths, name, self.mode, self.hook_params, self.valid_lifetime,
            self.via_agent, self.max_unacked_clients)
        if config and self.persist and config["Dhcp4"]["lease-database"]["type"] == "memfile":
            config["Dhcp4"]["lease-database"].update({"persist": True, "name": paths.leases})
        self.kea[name] = KeaServer(lab, config=config, config_text=config_text, paths=paths)
        if wait or self.via_agent or self.admin_agent:
            self.kea[name].wait_ready()
        if self.via_agent or self.admin_agent:
            self.start_agent(name)
        return self.kea[name]

    def add_host(self, name, addresses):
        """Another namespace on the bridge (e.g. TFTP nodes) with `addresses` (/24 each)."""
        ns = netlab.Netns(name[:7])
        port, inner = netlab.link(self.switch, None, ns, addresses[0] + "/24")
        self.switch.exec(["ip", "link", "set", port, "master", "br0"])
        for addr in addresses[1:]:
            ns.exec(["ip", "addr", "add", addr + "/24", "dev", inner])
        netlab.wait_for(lambda: "LOWER_UP" in ns.exec(["ip", "-o", "link", "show", inner]).stdout,
                        timeout=10, what=f"carrier in {name}")
        self.ns[name], self.ifname[name], self.port[name] = ns, inner, port
        return ns

    def reload_hook(self, name, hook_params):
        """This hook's parameters of server `name` replaced, then config-reload (as a
        `systemctl reload` does); later starts of servers use them too."""
        self.hook_params = hook_params
        kea = self.kea[name]
        with open(kea.config_path) as f:
            config = json.load(f)
        config["Dhcp4"]["hooks-libraries"][-1]["parameters"] = hook_params
        with open(kea.config_path, "w") as f:
            json.dump(config, f, indent=2)
        res = kea.command("config-reload", timeout=10)
        if res.get("result") != 0:
            raise AssertionError(f"{name}: config-reload: {res}")

    def start_agent(self, name):
        """kea-ctrl-agent for server `name` on its address, AGENT_PORT, passing commands to its
        kea-dhcp4's control socket; started by PID, ready once it listens. A chroot's agent runs
        in its kea-dhcp4's mount namespace and root (nsenter), where that server's control
        socket, log directory and temp dir are, under the same Kea's path rules."""
        kea, addr = self.kea[name], SERVERS[name]
        chroot = INSTALL.chroot
        socket_name = kea.paths.socket if chroot else kea.socket_path
        log = kea.paths.log + ".agent" if chroot else os.path.join(kea.tmp, "agent.log")
        config = {"Control-agent": {
            "http-host": addr, "http-port": AGENT_PORT,
            "control-sockets": {"dhcp4": {"socket-type": "unix",
                                          "socket-name": socket_name}},
            "loggers": [{"name": "kea-ctrl-agent", "severity": "INFO",
                         "output_options": [{"output": log}]}]}}
        path = os.path.join(kea.tmp, "kea-ctrl-agent.conf")
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
        piddir = os.path.join(kea.tmp, "agent-pid")
        os.makedirs(piddir, exist_ok=True)
        env = dict(os.environ, KEA_PIDFILE_DIR=piddir, KEA_LOCKFILE_DIR=piddir)
        argv = ["kea-ctrl-agent", "-c", path]
        if chroot:
            argv = ["nsenter", "--target", str(kea.proc.pid), "--mount", "--root", "--wd"] + argv
        proc = self.ns[name].start(argv, env=env, name=f"kea-ctrl-agent-{name}",
                                   log=os.path.join(kea.tmp, "agent.out"))
        self.agent[name] = proc

        def listening():
            out = self.ns[name].exec(["ss", "-Hltn", f"sport = :{AGENT_PORT}"], check=False)
            return f"{addr}:{AGENT_PORT}" in out.stdout
        proc.wait_ready(listening, timeout=20, what=f"kea-ctrl-agent of {name}")
        return proc

    def kill_agent(self, name):
        """SIGKILL of server `name`'s kea-ctrl-agent only (by PID)."""
        proc = self.agent.pop(name)
        proc.signal(9)
        proc.popen.wait(timeout=10)
        proc.stop()

    def agent_command(self, name, command, timeout=5):
        """`command` through server `name`'s kea-ctrl-agent over HTTP (curl in the client
        namespace, as an admin's tool would send it); Kea's answer, or None when the agent did
        not answer (e.g. it is dead)."""
        body = json.dumps({"command": command, "service": ["dhcp4"]})
        res = self.client.exec(["curl", "-s", "-m", str(timeout), "-X", "POST", "-H",
                                "Content-Type: application/json", "-d", body,
                                f"http://{SERVERS[name]}:{AGENT_PORT}/"],
                               check=False, timeout=timeout + 5)
        if res.returncode != 0 or not res.stdout.strip():
            return None
        answer = json.loads(res.stdout)
        return answer[0] if isinstance(answer, list) else answer

    def kill(self, name):
        """SIGKILL, as a crash: the partner must notice by itself."""
        if name in self.agent:
            self.agent.pop(name).stop()
        kea = self.kea.pop(name)
        kea.proc.signal(9)
        kea.proc.popen.wait(timeout=10)
        kea.stop()  # removes its files

    def state(self, name):
        try:
            res = self.kea[name].command("ha-heartbeat", timeout=2)
        except OSError:
            return None
        return (res.get("arguments") or {}).get("state")

    def wait_state(self, name, states, timeout=40):
        states = (states,) if isinstance(states, str) else tuple(states)
        netlab.wait_for(lambda: self.state(name) in states, timeout=timeout, interval=0.1,
                        what=f"{name} in {states} (now {self.state(name)})")

    def leases(self, name):
        """{mac: (address, expire)} from lease4-get-all; AssertionError on a MAC leased twice."""
        res = self.kea[name].command("lease4-get-all", timeout=5)
        out = {}
        for lease in (res.get("arguments") or {}).get("leases", []):
            mac = lease["hw-address"]
            if mac in out:
                raise AssertionError(f"{name}: two leases for {mac}: {res}")
            out[mac] = (lease["ip-address"], lease["cltt"] + lease["valid-lft"])
        return out

    def lease(self, name, mac):
        """The lease of `mac` on server `name` as lease4-get-all gives it (a dict), or None."""
        res = self.kea[name].command("lease4-get-all", timeout=5)
        found = [lease for lease in (res.get("arguments") or {}).get("leases", [])
                 if lease["hw-address"] == mac]
        return found[0] if found else None

    def exchange(self, *args, window_ms=3000, expect=1):
        argv = [keatest.exchange_tool(), "--interface", self.client_if, "--window-ms",
                str(window_ms), "--expect", str(expect)] + [str(a) for a in args]
        res = self.client.exec(argv, check=False, timeout=60)
        if res.returncode != 0:
            raise AssertionError(f"dhcp_exchange {args} failed ({res.returncode}): {res.stderr}")
        return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]

    def logs(self):
        return {name: kea.log() for name, kea in self.kea.items()}

    def close(self):
        for proc in list(self.agent.values()):
            proc.stop()
        self.agent.clear()
        for kea in list(self.kea.values()):
            kea.stop()
        self.kea.clear()
        for ns in self.ns.values():
            ns.close()
        self.switch.close()


class _ServerSide:
    """What KeaServer needs of a lab: the namespace to run kea-dhcp4 in."""

    def __init__(self, ns, ifname):
        self.server, self.server_if = ns, ifname


def wait_until(predicate, timeout, what):
    """Polls every 20 ms; returns the seconds it took."""
    start = time.monotonic()
    netlab.wait_for(predicate, timeout=timeout, interval=0.02, what=what)
    return time.monotonic() - start


def require():
    keatest.require()
    why = missing()
    if why:
        netlab.skip_or_fail(why)

