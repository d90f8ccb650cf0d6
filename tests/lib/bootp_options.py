"""The one reader of BOOTP/DHCP messages for the Python tests: the fixed header (RFC 2131 section 2,
figure 1) and the options field after the magic cookie (RFC 2131 section 3, RFC 2132 section 2).

Strict on what it reads: an option whose length byte is missing, or whose length runs past the end
of the message, is an OptionError naming the code and offset. Pad (0) is skipped, End (255) ends
the options; a message that ends without End is read to its last byte (dhcpcd's lease files and
some captures carry none). A code that appears more than once is concatenated in order when the
caller asks (RFC 3396 section 7: "long" options are split into several instances), and is an error
otherwise. Option 52 (overload into sname/file) is not followed: no client or server under test
sends it. Standard library only.
"""

import socket
import struct

MAGIC_COOKIE = bytes.fromhex("63825363")  # RFC 2131 section 3
OPTIONS_AT = 240  # 236 bytes of fixed header, then the cookie
PAD, END = 0, 255
BOOTREQUEST, BOOTREPLY = 1, 2


class OptionError(ValueError):
    """A message or option that cannot be read as RFC 2131/2132 lays it out."""


def walk(data, at=OPTIONS_AT):
    """(code, value bytes) for each option from `at`, in order, repeats kept apart."""
    i = at
    while i < len(data):
        code = data[i]
        if code == END:
            return
        if code == PAD:
            i += 1
            continue
        if i + 1 >= len(data):
            raise OptionError(f"option {code} at offset {i}: the message ends before its length")
        length = data[i + 1]
        if i + 2 + length > len(data):
            raise OptionError(f"option {code} at offset {i}: length {length} runs "
                              f"{i + 2 + length - len(data)} bytes past the end of the message")
        yield code, bytes(data[i + 2:i + 2 + length])
        i += 2 + length


def options(data, concatenate=False, at=OPTIONS_AT):
    """{code: value bytes}. A repeated code is concatenated (RFC 3396) with `concatenate`, and
    an OptionError without it."""
    out = {}
    for code, value in walk(data, at):
        if code in out and not concatenate:
            raise OptionError(f"option {code} appears more than once (RFC 3396 splitting not "
                              "expected here)")
        out[code] = out.get(code, b"") + value
    return out


def check_message(data, ops=(BOOTREQUEST, BOOTREPLY)):
    """Raise OptionError unless `data` is a BOOTP message of one of `ops` with the DHCP cookie."""
    if len(data) < OPTIONS_AT:
        raise OptionError(f"{len(data)} bytes: shorter than a BOOTP header and cookie "
                          f"({OPTIONS_AT})")
    if data[0] not in ops:
        raise OptionError(f"op {data[0]}, expected {' or '.join(str(op) for op in ops)}")
    if bytes(data[236:240]) != MAGIC_COOKIE:
        raise OptionError(f"no DHCP magic cookie at 236 ({bytes(data[236:240]).hex()})")


class Message:
    """A checked BOOTP/DHCP message: the header fields the tests read, and its options."""

    def __init__(self, data, ops=(BOOTREQUEST, BOOTREPLY), concatenate=False):
        check_message(data, ops)
        self.op = data[0]
        self.xid = struct.unpack("!I", data[4:8])[0]
        self.ciaddr = socket.inet_ntoa(data[12:16])
        self.yiaddr = socket.inet_ntoa(data[16:20])
        self.giaddr = socket.inet_ntoa(data[24:28])
        self.mac = ":".join(f"{b:02x}" for b in data[28:34])
        self.options = options(data, concatenate)

    def message_type(self):
        """Option 53 (RFC 2132 section 9.6) when it is one byte, else None."""
        value = self.options.get(53)
        return value[0] if value is not None and len(value) == 1 else None

    def u32(self, code):
        """A four-byte option (51 lease time, 58, 59) as an int, else None."""
        value = self.options.get(code)
        return struct.unpack("!I", value)[0] if value is not None and len(value) == 4 else None
