// The DHCP client packets the benchmarks send: Pi DISCOVER/REQUEST bytes from core's exact
// builders (nothing about a Pi is written here) and two non-Pi clients that share a DHCP server
// with Pis: a Linux dhclient and an x86 PXE ROM, which sends the Pi's vendor class.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/mac.h"
#include "rpinetboot/span.h"

namespace rpinetboot::bench {

inline constexpr std::size_t kXidOffset = 4;
inline constexpr std::size_t kHopsOffset = 3;
inline constexpr std::size_t kGiaddrOffset = 24;
inline constexpr std::size_t kChaddrOffset = 28;
inline constexpr std::size_t kOptionsOffset = 240;  // after the magic cookie
// perfdhcp -O points at the LAST octet it randomizes: chaddr's sixth byte.
inline constexpr std::size_t kRandomOffset = kChaddrOffset + 5;

struct Template {
    std::string name;
    bool pi = false;
    bool sendsRequest = false;  // false: the client never sends DHCPREQUEST (Pi ROM, bootcode)
    MacAddress mac;
    Bytes discover;
    Bytes request;  // empty when !sendsRequest; options 50 and 54 hold zero placeholders
};

// pi4, pi5, bootcode, rom3, linux, x86pxe. Without host names, the Linux client sends no option
// 12 (Kea runs its host-name sanitizer only for a query that carries option 12 or 81).
std::vector<Template> allTemplates(bool hostnames = true);

// Turns a client packet into what a relay agent forwards: hops 1, giaddr (host order).
void makeRelayed(Bytes& packet, std::uint32_t giaddr);

// Offset of the code byte of the first option `code`, if present.
std::optional<std::size_t> optionOffset(const Bytes& packet, std::uint8_t code);

// A Linux dhclient DISCOVER (or REQUEST) and an x86 PXE ROM DISCOVER (or REQUEST).
Bytes linuxPacket(const MacAddress& mac, bool request, bool hostname = true);
Bytes x86PxePacket(const MacAddress& mac, bool request);

}  // namespace rpinetboot::bench
