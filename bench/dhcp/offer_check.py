#!/usr/bin/python3
"""Sends each perfdhcp template once, as the relay perfdhcp plays, and prints what the OFFER holds.

Run inside the client namespace before a measured configuration, so that a benchmark never
measures a server that does not do what it claims (for example a config-only class that never
matched). Output: one JSON object {template name: {"offer": bool, "options": {code: hex}}}.
Usage: offer_check.py --giaddr A --server S NAME=FILE.hex...
"""

import argparse
import json
import os
import socket
import struct
import sys
import time

MAGIC = b"\x63\x82\x53\x63"


def parse_options(payload):
    """Options of a BOOTP reply as {code: bytes}; the first occurrence wins."""
    if len(payload) < 240 or payload[236:240] != MAGIC:
        return None
    options, i = {}, 240
    while i < len(payload):
        code = payload[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(payload):
            break
        length = payload[i + 1]
        options.setdefault(code, payload[i + 2:i + 2 + length])
        i += 2 + length
    return options


def exchange(sock, server, packet, timeout=2.0, attempts=3):
    xid = struct.unpack("!I", os.urandom(4))[0]
    packet = bytearray(packet)
    packet[4:8] = struct.pack("!I", xid)
    for _ in range(attempts):
        sock.sendto(bytes(packet), (server, 67))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data, _ = sock.recvfrom(4096)
            except socket.timeout:
                break
            if len(data) >= 8 and data[0] == 2 and struct.unpack("!I", data[4:8])[0] == xid:
                return data
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--giaddr", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("templates", nargs="+", help="NAME=FILE.hex")
    args = ap.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.giaddr, 67))
    result = {}
    for spec in args.templates:
        name, _, path = spec.partition("=")
        with open(path) as f:
            packet = bytes.fromhex("".join(f.read().split()))
        reply = exchange(sock, args.server, packet)
        if reply is None:
            result[name] = {"offer": False}
            continue
        options = parse_options(reply) or {}
        result[name] = {"offer": options.get(53) == b"\x02",
                        "file": reply[108:236].split(b"\0", 1)[0].decode("latin-1"),
                        "options": {str(k): v.hex() for k, v in options.items()}}
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
