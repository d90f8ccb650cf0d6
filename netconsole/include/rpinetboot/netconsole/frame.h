// Decoding the frames a Pi bootloader sends with NETCONSOLE set in its EEPROM configuration
// (Raspberry Pi documentation, computers/raspberry-pi/eeprom-bootloader, NETCONSOLE): Ethernet II,
// IPv4 (RFC 791), UDP (RFC 768), the payload one log line ending in LF (a capture in
// raspberrypi/rpi-eeprom#452: "Stopping network\n" is UDP length 17).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "rpinetboot/mac.h"
#include "rpinetboot/span.h"

namespace rpinetboot::netconsole {

// Why a frame is not a NETCONSOLE datagram; each one has its own counter.
enum class Reject {
    None,
    Truncated,  // shorter than its headers or than its own length fields say
    NotIpv4,    // EtherType is not 0x0800, or the IP version is not 4
    BadHeader,  // IPv4 header length < 20, or header checksum wrong
    Fragment,   // an IPv4 fragment (More Fragments set, or a non-zero offset)
    NotUdp,     // IP protocol is not 17
    WrongPort,  // UDP destination port is not the one listened to
};
std::string_view rejectName(Reject reject);  // "truncated", "not_ipv4", ...

struct Datagram {
    MacAddress srcMac, dstMac;
    std::array<std::uint8_t, 4> srcIp{}, dstIp{};
    std::uint16_t srcPort = 0, dstPort = 0;
    ByteSpan payload;  // points into the frame
};

struct FrameResult {
    Reject reject = Reject::None;
    Datagram datagram;  // valid when reject == None
};

// `frame` starts at the Ethernet destination MAC (an AF_PACKET SOCK_RAW read). Trailing bytes
// beyond the IP total length (Ethernet padding to 60 bytes) are ignored.
FrameResult parseFrame(ByteSpan frame, std::uint16_t port);

std::string ipv4String(const std::array<std::uint8_t, 4>& ip);

}  // namespace rpinetboot::netconsole
