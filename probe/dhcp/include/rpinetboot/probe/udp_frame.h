// Ethernet/IPv4/UDP framing of DHCP packets, as a Pi's boot ROM frames them (docs/protocol/dhcp.md:
// shapes A and B send IP ttl 128, IP id 0 and UDP checksum 0), and parsing of received frames.
#pragma once

#include <cstdint>
#include <optional>

#include "rpinetboot/mac.h"
#include "rpinetboot/span.h"

namespace rpinetboot::probe {

inline constexpr std::uint16_t kDhcpServerPort = 67;
inline constexpr std::uint16_t kDhcpClientPort = 68;

struct Framing {
    std::uint8_t ttl = 128;
    std::uint16_t ipId = 0;
    bool udpChecksum = false;  // false: send 0, as the Pi does
};

// A broadcast DHCP client frame: srcMac -> ff:ff:ff:ff:ff:ff, 0.0.0.0:68 -> 255.255.255.255:67.
Bytes buildClientFrame(const MacAddress& srcMac, ByteSpan bootp, const Framing& framing);

struct UdpFrame {
    MacAddress srcMac, dstMac;
    std::uint32_t srcIp = 0, dstIp = 0;  // host order
    std::uint16_t srcPort = 0, dstPort = 0;
    std::uint8_t ttl = 0;
    std::uint16_t udpChecksum = 0;  // as received (0 = none)
    bool udpChecksumOk = true;      // true when 0 or correct
    ByteSpan payload;               // points into the parsed frame
};

// Parses an Ethernet II frame carrying an unfragmented IPv4 UDP datagram; nullopt otherwise.
std::optional<UdpFrame> parseUdpFrame(ByteSpan frame);

}  // namespace rpinetboot::probe
