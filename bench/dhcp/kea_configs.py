"""kea-dhcp4 configurations compared by the hook overhead benchmark.

All share one subnet, selected by the relay address perfdhcp puts in giaddr; they differ only in
how Pis get their netboot options:
- none:        no Pi support at all (the baseline);
- config-only: what Pi-on-Kea guides publish: a client class on option 60 with option-defs in
               vendor-encapsulated-options-space (as those guides write it);
- hook:        our libdhcp_rpi_netboot.so;
- empty-hook:  a control, not a way to boot Pis: libdhcp_rpinb_empty_hook.so, whose pkt4_receive
               and pkt4_send callouts do nothing, so that it costs what Kea costs for calling any
               library at those two hook points (measured in the instruction phases only).
"""

SUBNET = "198.51.100.0/24"
POOL = "198.51.100.10 - 198.51.100.250"  # 241 addresses: the perfdhcp client counts stay below
PI_VENDOR_CLASS = "PXEClient:Arch:00000:UNDI:002001"  # the test string the guides use


def base(interface, relay_addresses, log_path, severity):
    return {
        "interfaces-config": {"interfaces": [interface], "dhcp-socket-type": "udp"},
        # In memory: disk writes of the lease file would measure the disk, not the hook.
        "lease-database": {"type": "memfile", "persist": False, "lfc-interval": 0},
        "valid-lifetime": 86400,
        "subnet4": [{
            "subnet": SUBNET,
            "id": 1,
            "relay": {"ip-addresses": list(relay_addresses)},
            "pools": [{"pool": POOL}],
        }],
        "loggers": [{"name": "kea-dhcp4", "severity": severity,
                     "output_options": [{"output": log_path}]}],
    }


def config_only_additions():
    """The published approach: a class on option 60 sending PXE sub-options through option 43."""
    space = "vendor-encapsulated-options-space"
    return {
        "option-def": [
            {"space": space, "name": "PXEDiscoveryControl", "code": 6, "type": "uint8"},
            {"space": space, "name": "PXEMenuPrompt", "code": 10, "type": "record",
             "record-types": "uint8,string"},
            {"space": space, "name": "PXEBootMenu", "code": 9, "type": "record",
             "record-types": "uint16,uint8,string"},
        ],
        "client-classes": [{
            "name": "RPi_PXE",
            "test": f"option[vendor-class-identifier].text == '{PI_VENDOR_CLASS}'",
            "option-data": [
                {"name": "boot-file-name", "data": "bootcode.bin"},
                {"name": "vendor-class-identifier", "data": "PXEClient"},
                # Option 43 itself, so that Kea encapsulates the sub-options below into it.
                {"name": "vendor-encapsulated-options"},
                {"space": space, "name": "PXEDiscoveryControl", "data": "3"},
                {"space": space, "name": "PXEMenuPrompt", "data": "0,PXE"},
                {"space": space, "name": "PXEBootMenu", "data": "0,17,Raspberry Pi Boot"},
            ],
        }],
    }


def make(kind, interface, relay_addresses, log_path, severity="WARN", hook_library=None,
         hook_parameters=None, empty_hook_library=None):
    cfg = base(interface, relay_addresses, log_path, severity)
    if kind == "config-only":
        cfg.update(config_only_additions())
    elif kind in ("hook", "hook-events"):
        if not hook_library:
            raise ValueError("the hook configuration needs the hook library's path")
        entry = {"library": hook_library}
        if hook_parameters:
            entry["parameters"] = hook_parameters
        cfg["hooks-libraries"] = [entry]
    elif kind == "empty-hook":
        if not empty_hook_library:
            raise ValueError("the empty-hook configuration needs the empty hook library's path")
        cfg["hooks-libraries"] = [{"library": empty_hook_library}]
    elif kind != "none":
        raise ValueError(f"unknown configuration {kind!r}")
    return {"Dhcp4": cfg}
