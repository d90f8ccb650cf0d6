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
    std::uint16_t ip_id = 0;
    bool udp_checksum = false;  // false: send 0, as the Pi does
};

// A broadcast DHCP client frame: src_mac -> ff:ff:ff:ff:ff:ff, 0.0.0.0:68 -> 255.255.255.255:67.
Bytes buildClientFrame(const MacAddress& src_mac, ByteSpan bootp, const Framing& framing);

struct UdpFrame {
    MacAddress src_mac, dst_mac;
    std::uint32_t src_ip = 0, dst_ip = 0;  // host order
    std::uint16_t src_port = 0, dst_port = 0;
    std::uint8_t ttl = 0;
    std::uint16_t udp_checksum = 0;  // as received (0 = none)
    bool udp_checksum_ok = true;     // true when 0 or correct
    ByteSpan payload;                // points into the parsed frame
};

// Parses an Ethernet II frame carrying an unfragmented IPv4 UDP datagram; nullopt otherwise.
std::optional<UdpFrame> parseUdpFrame(ByteSpan frame);

}  // namespace rpinetboot::probe
