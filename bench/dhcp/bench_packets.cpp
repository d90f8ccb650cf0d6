#include "bench_packets.h"

#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/discover.h"
#include "rpinetboot/request_list.h"
#include "rpinetboot/serial.h"
#include "rpinetboot/util/big_endian.h"

namespace rpinetboot::bench {

namespace {

void putBe32(Bytes& out, std::size_t at, std::uint32_t v) {
    writeBe32(&out[at], v);
}

// A BOOTREQUEST header with the given chaddr, xid 0, the magic cookie; options appended after.
Bytes plainHeader(const MacAddress& mac) {
    Bytes out(kOptionsOffset, 0);
    out[0] = 1;  // BOOTREQUEST
    out[1] = 1;  // Ethernet
    out[2] = 6;
    for (std::size_t i = 0; i < 6; ++i) out[kChaddrOffset + i] = mac.bytes()[i];
    putBe32(out, kOptionsOffset - 4, kDhcpMagicCookie);
    return out;
}

void putOption(Bytes& out, std::uint8_t code, const Bytes& value) {
    out.push_back(code);
    out.push_back(static_cast<std::uint8_t>(value.size()));
    out.insert(out.end(), value.begin(), value.end());
}

Bytes text(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

// Options 50 (requested address) and 54 (server id) with zero placeholders: perfdhcp fills them.
void putRequestPlaceholders(Bytes& out) {
    putOption(out, 50, Bytes(4, 0));
    putOption(out, 54, Bytes(4, 0));
}

Template piTemplate(const std::string& name, const PiIdentity& pi) {
    Template t;
    t.name = name;
    t.pi = true;
    t.mac = pi.mac;
    t.sendsRequest = sendsRequest(pi.model);
    t.discover = buildDiscover(pi);
    if (t.sendsRequest) t.request = buildRequest(pi, 0, 0);
    return t;
}

}  // namespace

void makeRelayed(Bytes& packet, std::uint32_t giaddr) {
    packet[kHopsOffset] = 1;
    putBe32(packet, kGiaddrOffset, giaddr);
}

// Offset of the code byte of the first option `code` (perfdhcp writes -S/-I options there).
std::optional<std::size_t> optionOffset(const Bytes& packet, std::uint8_t code) {
    std::size_t i = kOptionsOffset;
    while (i < packet.size()) {
        const std::uint8_t c = packet[i];
        if (c == 255) return std::nullopt;
        if (c == 0) {
            ++i;
            continue;
        }
        if (c == code) return i;
        if (i + 1 >= packet.size()) return std::nullopt;
        i += 2u + packet[i + 1];
    }
    return std::nullopt;
}

// A Debian dhclient: 53, [50, 54,] [12 host name,] 55 its usual list, end.
Bytes linuxPacket(const MacAddress& mac, bool request, bool hostname) {
    Bytes out = plainHeader(mac);
    putOption(out, 53, Bytes{static_cast<std::uint8_t>(request ? 3 : 1)});
    if (request) putRequestPlaceholders(out);
    if (hostname) putOption(out, 12, text("workstation"));
    putOption(out, 55, Bytes{1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42});
    out.push_back(255);
    return out;
}

// An x86 BIOS PXE ROM: vendor class PXEClient:Arch:00000:UNDI:002001 like a Pi, but a UUID
// client identifier and a long PXE request list: the config-only approach mistakes it for a Pi.
Bytes x86PxePacket(const MacAddress& mac, bool request) {
    Bytes out = plainHeader(mac);
    putOption(out, 53, Bytes{static_cast<std::uint8_t>(request ? 3 : 1)});
    if (request) putRequestPlaceholders(out);
    putOption(out, 57, Bytes{0x04, 0xec});  // max message size 1260
    putOption(out, 93, Bytes{0x00, 0x00});
    putOption(out, 94, Bytes{0x01, 0x02, 0x01});
    Bytes uuid = {0x00, 0x4c, 0x4c, 0x45, 0x44, 0x00, 0x31, 0x10, 0x80,
                  0x35, 0xb8, 0xc0, 0x4f, 0x39, 0x42, 0x32, 0x31};
    putOption(out, 97, uuid);
    putOption(out, 55,
              Bytes{1,  2,  3,  4,  5,  6,  12, 13, 15, 17,  18,  22,  23,  28,  40,  41,  42,
                    43, 50, 51, 54, 58, 59, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135});
    const std::string_view vc = kPiVendorClass;  // x86 PXE sends the same string
    putOption(out, 60, Bytes(vc.begin(), vc.end()));
    out.push_back(255);
    return out;
}

std::vector<Template> allTemplates(bool hostnames) {
    std::vector<Template> out;
    {
        // The Pi 4 of docs/protocol/dhcp.md "Option 97" (serial bf9fed6f, MAC e4:5f:01:98:e0:82).
        PiIdentity pi;
        pi.model = PiModel::Pi4;
        pi.mac = *MacAddress::parse("e4:5f:01:98:e0:82");
        pi.serial = Serial(0xbf9fed6f);
        pi.boardRevision = 0x00d03115;
        pi.xid = 0x1234abcd;
        out.push_back(piTemplate("pi4", pi));
    }
    {
        PiIdentity pi;
        pi.model = PiModel::Pi5;
        pi.mac = *MacAddress::parse("2c:cf:67:10:20:30");
        pi.serial = Serial(0x5eed0005);
        pi.boardRevision = 0x00d04170;
        pi.xid = 0x5a5a0001;
        out.push_back(piTemplate("pi5", pi));
    }
    {
        // Pi 1-3: the MAC's low three bytes are the serial's (docs/protocol/dhcp.md).
        PiIdentity pi;
        pi.model = PiModel::Bootcode;
        pi.mac = *MacAddress::parse("b8:27:eb:12:34:56");
        pi.serial = Serial(0x00123456);
        out.push_back(piTemplate("bootcode", pi));
    }
    {
        PiIdentity pi;
        pi.model = PiModel::Rom3;
        pi.mac = *MacAddress::parse("b8:27:eb:ab:cd:10");
        pi.serial = Serial(0x00abcd10);
        out.push_back(piTemplate("rom3", pi));
    }
    {
        Template t;
        t.name = "linux";
        t.mac = *MacAddress::parse("00:16:3e:00:00:00");
        t.sendsRequest = true;
        t.discover = linuxPacket(t.mac, false, hostnames);
        t.request = linuxPacket(t.mac, true, hostnames);
        out.push_back(t);
    }
    {
        Template t;
        t.name = "x86pxe";
        t.mac = *MacAddress::parse("00:1b:21:00:00:00");
        t.sendsRequest = true;
        t.discover = x86PxePacket(t.mac, false);
        t.request = x86PxePacket(t.mac, true);
        out.push_back(t);
    }
    return out;
}

}  // namespace rpinetboot::bench
