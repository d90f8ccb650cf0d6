#include "rpinetboot/dhcp_packet.h"

#include <algorithm>

#include "rpinetboot/util/big_endian.h"

namespace rpinetboot {

const Bytes* DhcpPacket::option(std::uint8_t code) const {
    auto it = std::find_if(options.begin(), options.end(),
                           [code](const auto& o) { return o.first == code; });
    return it == options.end() ? nullptr : &it->second;
}

std::optional<std::uint8_t> DhcpPacket::messageType() const {
    const Bytes* t = option(53);
    if (!t || t->size() != 1) return std::nullopt;
    return (*t)[0];
}

std::optional<std::uint32_t> DhcpPacket::serverId() const {
    const Bytes* id = option(54);
    if (!id || id->size() != 4) return std::nullopt;
    return readBe32(id->data());
}

namespace {
std::string cString(const std::uint8_t* p, std::size_t max) {
    const std::uint8_t* end = std::find(p, p + max, 0);
    return std::string(p, end);
}
}  // namespace

std::optional<DhcpPacket> parseDhcpPacket(ByteSpan data, std::string* error) {
    auto fail = [error](const char* why) -> std::optional<DhcpPacket> {
        if (error) *error = why;
        return std::nullopt;
    };
    if (data.size() < kBootpFixedLength + 4) return fail("shorter than a BOOTP header");
    const std::uint8_t* p = data.data();
    DhcpPacket pkt;
    pkt.op = p[0];
    pkt.hops = p[3];
    pkt.xid = readBe32(p + 4);
    pkt.secs = readBe16(p + 8);
    pkt.flags = readBe16(p + 10);
    pkt.ciaddr = readBe32(p + 12);
    pkt.yiaddr = readBe32(p + 16);
    pkt.siaddr = readBe32(p + 20);
    pkt.giaddr = readBe32(p + 24);
    MacAddress::Bytes mac{};
    std::copy(p + 28, p + 34, mac.begin());
    pkt.chaddr = MacAddress(mac);
    pkt.sname = cString(p + 44, 64);
    pkt.file = cString(p + 108, 128);
    if (readBe32(p + kBootpFixedLength) != kDhcpMagicCookie) return fail("no DHCP magic cookie");
    std::size_t i = kBootpFixedLength + 4;
    while (i < data.size()) {
        const std::uint8_t code = data[i];
        if (code == 255) return pkt;
        if (code == 0) {
            pkt.hasPad = true;
            ++i;
            continue;
        }
        if (i + 1 >= data.size() || i + 2 + data[i + 1] > data.size()) {
            return fail("truncated option");
        }
        pkt.options.emplace_back(code,
                                 Bytes(data.begin() + i + 2, data.begin() + i + 2 + data[i + 1]));
        i += 2 + data[i + 1];
    }
    return fail("options not terminated by end (255)");
}

}  // namespace rpinetboot
