#include "rpinetboot/netconsole/frame.h"

#include <string>

namespace rpinetboot::netconsole {
namespace {

constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kUdpHeader = 8;

std::uint16_t be16(ByteSpan s, std::size_t at) {
    return static_cast<std::uint16_t>(s[at] << 8 | s[at + 1]);
}

// RFC 1071 one's-complement sum; a correct header sums to 0xffff.
bool checksumOk(ByteSpan header) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < header.size(); i += 2) sum += be16(header, i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

}  // namespace

std::string_view rejectName(Reject reject) {
    switch (reject) {
        case Reject::None:
            return "none";
        case Reject::Truncated:
            return "truncated";
        case Reject::NotIpv4:
            return "not_ipv4";
        case Reject::BadHeader:
            return "bad_header";
        case Reject::Fragment:
            return "fragment";
        case Reject::NotUdp:
            return "not_udp";
        case Reject::WrongPort:
            return "wrong_port";
    }
    return "unknown";
}

FrameResult parseFrame(ByteSpan f, std::uint16_t port) {
    FrameResult r;
    auto fail = [&r](Reject why) {
        r.reject = why;
        return r;
    };
    if (f.size() < kEthernetHeader + 20) {
        return fail(f.size() >= kEthernetHeader && be16(f, 12) != 0x0800 ? Reject::NotIpv4
                                                                         : Reject::Truncated);
    }
    if (be16(f, 12) != 0x0800) return fail(Reject::NotIpv4);
    const ByteSpan ip = f.subspan(kEthernetHeader, f.size() - kEthernetHeader);
    if ((ip[0] >> 4) != 4) return fail(Reject::NotIpv4);
    const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    if (ihl < 20) return fail(Reject::BadHeader);
    const std::size_t total = be16(ip, 2);
    if (total < ihl || ip.size() < ihl) return fail(Reject::Truncated);
    if (ip.size() < total) return fail(Reject::Truncated);
    if (!checksumOk(ip.subspan(0, ihl))) return fail(Reject::BadHeader);
    if ((be16(ip, 6) & 0x3fff) != 0) return fail(Reject::Fragment);  // MF flag or offset
    if (ip[9] != 17) return fail(Reject::NotUdp);
    if (total < ihl + kUdpHeader) return fail(Reject::Truncated);
    const ByteSpan udp = ip.subspan(ihl, total - ihl);
    const std::size_t udpLength = be16(udp, 4);
    if (udpLength < kUdpHeader || udpLength > udp.size()) return fail(Reject::Truncated);
    Datagram& d = r.datagram;
    d.dstPort = be16(udp, 2);
    if (d.dstPort != port) return fail(Reject::WrongPort);
    d.srcPort = be16(udp, 0);
    MacAddress::Bytes mac{};
    for (std::size_t i = 0; i < 6; ++i) mac[i] = f[i];
    d.dstMac = MacAddress(mac);
    for (std::size_t i = 0; i < 6; ++i) mac[i] = f[6 + i];
    d.srcMac = MacAddress(mac);
    for (std::size_t i = 0; i < 4; ++i) {
        d.srcIp[i] = ip[12 + i];
        d.dstIp[i] = ip[16 + i];
    }
    // The UDP checksum is not checked: optional over IPv4 (RFC 768), and a bad one costs
    // nothing worse than one garbled log line.
    d.payload = udp.subspan(kUdpHeader, udpLength - kUdpHeader);
    return r;
}

std::string ipv4String(const std::array<std::uint8_t, 4>& ip) {
    return std::to_string(ip[0]) + "." + std::to_string(ip[1]) + "." + std::to_string(ip[2]) + "." +
           std::to_string(ip[3]);
}

}  // namespace rpinetboot::netconsole
