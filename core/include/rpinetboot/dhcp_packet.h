// A plain BOOTP/DHCPv4 packet reader (RFC 2131/2132): used by the probe and the tests to inspect
// replies option by option. The Kea hook uses Kea's own parser instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rpinetboot/mac.h"
#include "rpinetboot/span.h"
#include "rpinetboot/util/ipv4.h"  // parseIpv4, ipv4ToString: the replies' addresses as text

namespace rpinetboot {

inline constexpr std::uint32_t kDhcpMagicCookie = 0x63825363;
inline constexpr std::size_t kBootpFixedLength = 236;

struct DhcpPacket {
    std::uint8_t op = 0;
    std::uint8_t hops = 0;
    std::uint32_t xid = 0;
    std::uint16_t secs = 0;
    std::uint16_t flags = 0;
    std::uint32_t ciaddr = 0, yiaddr = 0, siaddr = 0, giaddr = 0;  // host order
    MacAddress chaddr;
    std::string sname, file;  // up to the first NUL
    // Options in wire order, pad and end excluded; a repeated code appears repeatedly.
    std::vector<std::pair<std::uint8_t, Bytes>> options;
    bool hasPad = false;  // any pad (0) option: pre-2020 Pi 4 EEPROMs drop such replies

    const Bytes* option(std::uint8_t code) const;
    std::optional<std::uint8_t> messageType() const;  // option 53
    std::optional<std::uint32_t> serverId() const;    // option 54, host order
};

std::optional<DhcpPacket> parseDhcpPacket(ByteSpan data, std::string* error);

}  // namespace rpinetboot
