"""Prints, one hex line each, the Ethernet frames to UDP port 67 seen on an interface for a while.

Run in the server namespace while the probe sends (tests/probe/test_probe.py, WireFormat).
Usage: capture_dhcp.py IFACE SECONDS
"""

import select
import socket
import sys
import time


def main():
    iface, seconds = sys.argv[1], float(sys.argv[2])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    print("capturing", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            continue
        frame = s.recv(65536)
        ihl = (frame[14] & 0x0F) * 4
        if frame[23] == 17 and int.from_bytes(frame[14 + ihl + 2:14 + ihl + 4], "big") == 67:
            print(frame.hex(), flush=True)


if __name__ == "__main__":
    main()
