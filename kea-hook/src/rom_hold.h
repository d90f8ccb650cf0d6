// Holding the address offered to a Pi 3B boot ROM. The ROM never sends DHCPREQUEST and uses the
// OFFER as if it were an ACK (firmware#1303, docs/protocol/dhcp.md), so Kea 2.2 records no lease
// and would offer the same address to the next client. The hold records the offer as the lease
// the ROM in effect took: bound to the Pi's MAC, for the lease time the OFFER announced, in Kea's
// own lease database, where Kea's allocator honours it and Kea's reclamation expires it.
#pragma once

#include <dhcp/pkt4.h>

#include <cstdint>
#include <string>

namespace rpinetboot::kea {

enum class HoldOutcome {
    Held,       // a new lease was added (or an expired one taken over)
    Refreshed,  // the Pi already held this address; its expiry was extended if needed
    Conflict,   // another client holds the address: the OFFER must not be sent
    NoSubnet,   // yiaddr is in no configured subnet (nothing to hold)
};

struct HoldResult {
    HoldOutcome outcome = HoldOutcome::NoSubnet;
    std::uint32_t lifetime = 0;  // seconds
};

// Holds response.yiaddr for response.chaddr. Throws on lease database errors.
HoldResult holdRomOffer(isc::dhcp::Pkt4& response);

// Used when an OFFER carries no lease time (option 51).
inline constexpr std::uint32_t kFallbackHoldSeconds = 60;

}  // namespace rpinetboot::kea
