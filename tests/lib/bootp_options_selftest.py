#!/usr/bin/env python3
"""bootp_options, the one BOOTP/DHCP option walker, and its three callers (keatest.parse_bootp,
os_clients.parse_bootp_reply, hastorm.read_pcap) on byte vectors whose layout is stated at each:
RFC 2131 section 2/3 (header, cookie), RFC 2132 (pad, end, option layouts), RFC 3396 (split long
options), and the Pi 4 DISCOVER of docs/protocol/dhcp.md. No privileges, no network."""

import os
import socket
import struct
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "hook"))
import bootp_options as bo  # noqa: E402
import os_clients  # noqa: E402


def header(op, yiaddr="0.0.0.0", giaddr="0.0.0.0", mac="b8:27:eb:01:02:03", xid=0x26f30339):
    """RFC 2131 section 2, figure 1: op htype hlen hops, xid, secs flags, ciaddr yiaddr siaddr
    giaddr, chaddr (16), sname (64), file (128); then the magic cookie (section 3)."""
    chaddr = bytes.fromhex(mac.replace(":", "")).ljust(16, b"\0")
    return (bytes([op, 1, 6, 0]) + struct.pack("!I", xid) + bytes(4) + bytes(4) +
            socket.inet_aton(yiaddr) + bytes(4) + socket.inet_aton(giaddr) + chaddr +
            bytes(64 + 128) + bo.MAGIC_COOKIE)


# An OFFER as RFC 2131 section 4.3.1 / table 3 fills it: 53 = 2, 54 server identifier, 51 lease
# time; a pad inside, End, then pad to the 300-byte BOOTP minimum (RFC 1542 section 3.3).
OFFER = (header(2, yiaddr="192.0.2.100", giaddr="192.0.2.254") +
         bytes([53, 1, 2, 0, 54, 4, 192, 0, 2, 1, 51, 4, 0, 0, 0x0e, 0x10, 255]))
OFFER += bytes(300 - len(OFFER))

# The Pi 4 DISCOVER of docs/protocol/dhcp.md (shape C: 53, 55, 93, 94, 97, 60, end; no pad),
# option 97 of the worked example (serial bf9fed6f, MAC e4:5f:01:98:e0:82).
PI4_DISCOVER = header(1, mac="e4:5f:01:98:e0:82") + b"".join(
    bytes([code, len(value)]) + value for code, value in [
        (53, b"\x01"), (55, bytes.fromhex("01032b3c42438081828384858687")), (93, b"\x00\x00"),
        (94, b"\x01\x02\x01"), (97, bytes.fromhex("00346950521531d0000198e0826fed9fbf")),
        (60, b"PXEClient:Arch:00000:UNDI:002001")]) + b"\xff"

# RFC 3396 section 7's example shape: one option split into two instances, to be concatenated.
SPLIT_43 = header(2, yiaddr="192.0.2.100") + bytes([53, 1, 5, 43, 3]) + b"abc" + \
    bytes([3, 1, 1]) + bytes([43, 2]) + b"de" + b"\xff"


class Walker(unittest.TestCase):
    def test_offer_pad_end_and_trailing_pad(self):
        self.assertEqual(list(bo.walk(OFFER)), [(53, b"\x02"), (54, bytes([192, 0, 2, 1])),
                                                (51, bytes([0, 0, 0x0e, 0x10]))])
        m = bo.Message(OFFER)
        self.assertEqual((m.op, m.yiaddr, m.giaddr, m.mac, m.xid),
                         (2, "192.0.2.100", "192.0.2.254", "b8:27:eb:01:02:03", 0x26f30339))
        self.assertEqual((m.message_type(), m.u32(51), m.u32(54)), (2, 3600, 0xc0000201))

    def test_pi4_discover(self):
        m = bo.Message(PI4_DISCOVER, ops=(bo.BOOTREQUEST,))
        self.assertEqual([code for code, _ in bo.walk(PI4_DISCOVER)], [53, 55, 93, 94, 97, 60])
        self.assertEqual(m.options[97].hex(), "00346950521531d0000198e0826fed9fbf")
        self.assertEqual(m.options[60], b"PXEClient:Arch:00000:UNDI:002001")
        self.assertEqual(m.mac, "e4:5f:01:98:e0:82")

    def test_rfc3396_split_concatenated_only_when_asked(self):
        self.assertEqual(bo.options(SPLIT_43, concatenate=True)[43], b"abcde")
        self.assertEqual([v for c, v in bo.walk(SPLIT_43) if c == 43], [b"abc", b"de"])
        with self.assertRaisesRegex(bo.OptionError, "option 43 appears more than once"):
            bo.options(SPLIT_43)

    def test_end_missing_zero_length_and_end_inside_data(self):
        body = header(2) + bytes([53, 1, 5, 80, 0])  # no End: read to the last byte
        self.assertEqual(bo.options(body), {53: b"\x05", 80: b""})
        # 255 inside an option's value is data, not End.
        self.assertEqual(bo.options(header(2) + bytes([12, 2, 255, 255, 255, 7, 7])),
                         {12: b"\xff\xff"})

    def test_truncated_and_overlong_are_errors(self):
        with self.assertRaisesRegex(bo.OptionError, "option 12 at offset 243: the message ends"):
            bo.options(header(2) + bytes([53, 1, 5, 12]))
        with self.assertRaisesRegex(bo.OptionError, r"option 12 at offset 243: length 64 runs 61"):
            bo.options(header(2) + bytes([53, 1, 5, 12, 64]) + b"abc")
        with self.assertRaisesRegex(bo.OptionError, "option 51 at offset 240: length 4 runs 1"):
            bo.options(header(2) + bytes([51, 4, 0, 0, 1]))

    def test_header_checks(self):
        with self.assertRaisesRegex(bo.OptionError, "shorter than a BOOTP header"):
            bo.Message(OFFER[:239])
        with self.assertRaisesRegex(bo.OptionError, "op 1, expected 2"):
            bo.Message(PI4_DISCOVER, ops=(bo.BOOTREPLY,))
        with self.assertRaisesRegex(bo.OptionError, "no DHCP magic cookie"):
            bo.Message(OFFER[:236] + b"\x63\x82\x53\x64" + OFFER[240:])
        self.assertIsNone(bo.Message(header(2) + bytes([53, 2, 1, 2, 51, 2, 0, 1])).message_type())
        self.assertIsNone(bo.Message(header(2) + bytes([51, 2, 0, 1])).u32(51))


class Callers(unittest.TestCase):
    """What each former walker's caller sees, kept: hex values and errors (keatest), bytes with
    RFC 3396 concatenation (os_clients), and the pcap reader's dicts (hastorm)."""

    def test_keatest_parse_bootp(self):
        import keatest
        self.assertEqual(keatest.parse_bootp(OFFER),
                         ("192.0.2.100", "192.0.2.254", {53: "02", 54: "c0000201", 51: "00000e10"}))
        for bad in (PI4_DISCOVER, OFFER[:239], SPLIT_43, header(2) + bytes([12, 9, 1])):
            with self.assertRaises(ValueError):
                keatest.parse_bootp(bad)

    def test_os_clients_parse_bootp_reply(self):
        self.assertEqual(os_clients.parse_bootp_reply(SPLIT_43),
                         ("192.0.2.100", {53: b"\x05", 43: b"abcde", 3: b"\x01"}))
        with self.assertRaisesRegex(ValueError, "op 1"):
            os_clients.parse_bootp_reply(PI4_DISCOVER)

    def test_hastorm_read_pcap_skips_and_counts_malformed(self):
        import hastorm

        def frame(bootp, sport=67, dport=68):
            udp = struct.pack("!HHHH", sport, dport, 8 + len(bootp), 0) + bootp
            ip = bytes([0x45, 0]) + struct.pack("!H", 20 + len(udp)) + bytes(5) + bytes([17]) + \
                bytes(2) + socket.inet_aton("192.0.2.1") + socket.inet_aton("192.0.2.255")
            return bytes(6) + bytes.fromhex("b827eb010203") + b"\x08\x00" + ip + udp

        overlong = header(2, yiaddr="192.0.2.101") + bytes([53, 1, 2, 51, 40, 0, 0])
        not_bootp = OFFER[:236] + bytes(4) + OFFER[240:]
        with tempfile.NamedTemporaryFile(suffix=".pcap") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for i, data in enumerate((frame(OFFER), frame(overlong), frame(not_bootp),
                                      frame(PI4_DISCOVER, 68, 67))):
                f.write(struct.pack("<IIII", 100 + i, 500000, len(data), len(data)) + data)
            f.flush()
            packets = hastorm.read_pcap(f.name)
        self.assertEqual(packets.rejected, 1)
        self.assertEqual([(p["op"], p["type"], p["yiaddr"], p["lease_time"], p["time"])
                          for p in packets],
                         [(2, 2, "192.0.2.100", 3600, 100.5), (1, 1, "0.0.0.0", None, 103.5)])
        self.assertEqual(packets[0]["options"], {53, 54, 51})
        self.assertEqual((packets[1]["mac"], packets[1]["xid"]), ("e4:5f:01:98:e0:82", 0x26f30339))


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False, verbosity=2).result.wasSuccessful() else 1)
