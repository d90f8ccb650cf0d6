// The exact DHCP packets each Pi boot stage sends (docs/protocol/dhcp.md), so the probe and the
// tests can behave like real Pis. BOOTP payload only; the probe adds Ethernet/IP/UDP framing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "rpinetboot/mac.h"
#include "rpinetboot/pi_model.h"
#include "rpinetboot/serial.h"
#include "rpinetboot/span.h"

namespace rpinetboot {

struct PiIdentity {
    PiModel model = PiModel::Pi4;
    MacAddress mac;
    Serial serial{0};
    std::uint32_t boardRevision = 0;  // shape C only
    bool fourccWireOrderRpi = false;  // shape C: "RPi4" (old EEPROMs) rather than "4iPR"
    std::uint32_t xid = 0;            // shape C only; A and B use the constant kRomXid
};

// DHCPDISCOVER: options 53, 55, 93, 94, 97, 60, end; 320 bytes (A) or 322 bytes (B, C).
Bytes buildDiscover(const PiIdentity& pi);

// DHCPREQUEST (shape C) for an OFFER of `requestedIp` from `serverId` (host order).
// Layout: the DISCOVER's options with 53 = 3 and options 50 and 54 (RFC 2131 4.3.2) after 53.
Bytes buildRequest(const PiIdentity& pi, std::uint32_t requestedIp, std::uint32_t serverId);

}  // namespace rpinetboot
