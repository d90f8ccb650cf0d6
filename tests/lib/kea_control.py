"""Kea's control channel (a UNIX socket, so no network namespace is involved).

Used by the hook tests, the lab demo and the boot storm to read Kea's statistics.
"""

import json
import socket


def command(socket_path, name, arguments=None, timeout=5):
    """Sends one command and returns Kea's parsed answer."""
    request = {"command": name}
    if arguments is not None:
        request["arguments"] = arguments
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(socket_path)
        s.sendall(json.dumps(request).encode())
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            chunks.append(chunk)
            try:  # the answer may arrive before Kea closes the connection
                return json.loads(b"".join(chunks))
            except ValueError:
                continue
    return json.loads(b"".join(chunks))


def statistics(socket_path, timeout=5):
    """{name: latest value} from statistic-get-all."""
    res = command(socket_path, "statistic-get-all", timeout=timeout)
    if res.get("result") != 0:
        raise ValueError(f"statistic-get-all failed: {res}")
    return {name: samples[0][0] for name, samples in res["arguments"].items()}
