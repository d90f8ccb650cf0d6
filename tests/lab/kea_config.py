"""kea-dhcp4 configuration for the lab: both Pi subnets, reservations, and the rpi-netboot hook."""

import json

import topology as topo


def reservation(mac, ip):
    return {"hw-address": mac, "ip-address": ip}


def kea_config(workdir, hook_path, interfaces, pis, hook_params=None, control_socket=None):
    """`pis`: list of dicts with mac, ip (reserved address) and subnet ("a" or "b")."""
    params = {"tftp-server": topo.SERVER_A}
    params.update(hook_params or {})
    subnets = [
        {"id": 1, "subnet": topo.SUBNET_A, "interface": interfaces[0],
         "pools": [{"pool": "192.0.2.100 - 192.0.2.119", "client-class": "RPI_NETBOOT"},
                   {"pool": "192.0.2.120 - 192.0.2.126"}],
         "option-data": [{"name": "routers", "data": topo.SERVER_A}],
         "reservations": [reservation(p["mac"], p["ip"]) for p in pis if p["subnet"] == "a"]},
    ]
    if len(interfaces) > 1:
        subnets.append(
            {"id": 2, "subnet": topo.SUBNET_B, "relay": {"ip-addresses": [topo.RELAY_B]},
             "pools": [{"pool": "198.51.100.100 - 198.51.100.119", "client-class": "RPI_NETBOOT"},
                       {"pool": "198.51.100.120 - 198.51.100.126"}],
             "option-data": [{"name": "routers", "data": topo.RELAY_B}],
             "reservations": [reservation(p["mac"], p["ip"]) for p in pis if p["subnet"] == "b"]})
    config = {
        "Dhcp4": {
            "interfaces-config": {"interfaces": interfaces, "dhcp-socket-type": "raw"},
            "lease-database": {"type": "memfile", "persist": False},
            "valid-lifetime": 600,
            "reservations-global": False,
            "reservations-in-subnet": True,
            "hooks-libraries": [{"library": hook_path, "parameters": params}],
            "subnet4": subnets,
            "loggers": [{"name": "kea-dhcp4", "severity": "DEBUG", "debuglevel": 40,
                         "output_options": [{"output": f"{workdir}/kea-dhcp4.log"}]}],
        }
    }
    if control_socket:
        config["Dhcp4"]["control-socket"] = {"socket-type": "unix", "socket-name": control_socket}
    return json.dumps(config, indent=2)
