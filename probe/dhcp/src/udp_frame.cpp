#include "rpinetboot/probe/udp_frame.h"

#include "rpinetboot/util/big_endian.h"

namespace rpinetboot::probe {

namespace {

constexpr std::size_t kEthHeader = 14, kIpHeader = 20, kUdpHeader = 8;
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint8_t kProtoUdp = 17;

// RFC 1071 one's-complement sum, folded, not yet inverted.
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
    for (std::size_t i = 0; i + 1 < n; i += 2) acc += readBe16(p + i);
    if (n % 2) acc += std::uint32_t{p[n - 1]} << 8;
    return acc;
}
std::uint16_t fold(std::uint32_t acc) {
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<std::uint16_t>(acc);
}

std::uint16_t udpChecksum(std::uint32_t src, std::uint32_t dst, const std::uint8_t* udp,
                          std::size_t len) {
    std::uint32_t acc = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + kProtoUdp +
                        static_cast<std::uint32_t>(len);
    const std::uint16_t sum = static_cast<std::uint16_t>(~fold(sum16(udp, len, acc)));
    return sum == 0 ? 0xffff : sum;  // RFC 768: a computed 0 is sent as all ones
}

}  // namespace

Bytes buildClientFrame(const MacAddress& srcMac, ByteSpan bootp, const Framing& framing) {
    Bytes out;
    out.reserve(kEthHeader + kIpHeader + kUdpHeader + bootp.size());
    out.insert(out.end(), 6, 0xff);
    out.insert(out.end(), srcMac.bytes().begin(), srcMac.bytes().end());
    appendBe16(out, kEtherTypeIpv4);
    const std::size_t ip = out.size();
    const std::uint32_t src = 0, dst = 0xffffffff;
    out.push_back(0x45);  // IPv4, 20-byte header
    out.push_back(0);     // TOS
    appendBe16(out, static_cast<std::uint16_t>(kIpHeader + kUdpHeader + bootp.size()));
    appendBe16(out, framing.ipId);
    appendBe16(out, 0);  // no flags, offset 0
    out.push_back(framing.ttl);
    out.push_back(kProtoUdp);
    appendBe16(out, 0);  // header checksum, below
    appendBe32(out, src);
    appendBe32(out, dst);
    const std::uint16_t ipSum = static_cast<std::uint16_t>(~fold(sum16(&out[ip], kIpHeader)));
    writeBe16(&out[ip + 10], ipSum);
    const std::size_t udp = out.size();
    appendBe16(out, kDhcpClientPort);
    appendBe16(out, kDhcpServerPort);
    appendBe16(out, static_cast<std::uint16_t>(kUdpHeader + bootp.size()));
    appendBe16(out, 0);
    out.insert(out.end(), bootp.begin(), bootp.end());
    if (framing.udpChecksum) {
        const std::uint16_t sum = udpChecksum(src, dst, &out[udp], out.size() - udp);
        writeBe16(&out[udp + 6], sum);
    }
    return out;
}

std::optional<UdpFrame> parseUdpFrame(ByteSpan frame) {
    if (frame.size() < kEthHeader + kIpHeader + kUdpHeader) return std::nullopt;
    const std::uint8_t* p = frame.data();
    if (readBe16(p + 12) != kEtherTypeIpv4) return std::nullopt;
    UdpFrame f;
    MacAddress::Bytes mac{};
    std::copy(p, p + 6, mac.begin());
    f.dstMac = MacAddress(mac);
    std::copy(p + 6, p + 12, mac.begin());
    f.srcMac = MacAddress(mac);
    const std::uint8_t* ip = p + kEthHeader;
    const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    const std::size_t ipLen = readBe16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < kIpHeader || ip[9] != kProtoUdp) return std::nullopt;
    if (ipLen < ihl + kUdpHeader || kEthHeader + ipLen > frame.size()) return std::nullopt;
    if ((readBe16(ip + 6) & 0x3fff) != 0) return std::nullopt;  // a fragment
    f.ttl = ip[8];
    f.srcIp = readBe32(ip + 12);
    f.dstIp = readBe32(ip + 16);
    const std::uint8_t* udp = ip + ihl;
    const std::size_t udpLen = readBe16(udp + 4);
    if (udpLen < kUdpHeader || udpLen > ipLen - ihl) return std::nullopt;
    f.srcPort = readBe16(udp);
    f.dstPort = readBe16(udp + 2);
    f.udpChecksum = readBe16(udp + 6);
    if (f.udpChecksum != 0) {
        Bytes copy(udp, udp + udpLen);
        copy[6] = copy[7] = 0;
        f.udpChecksumOk = udpChecksum(f.srcIp, f.dstIp, copy.data(), copy.size()) == f.udpChecksum;
    }
    f.payload = ByteSpan(udp + kUdpHeader, udpLen - kUdpHeader);
    return f;
}

}  // namespace rpinetboot::probe
