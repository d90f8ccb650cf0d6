// Turning a client's DHCPDISCOVER into the DHCPREQUEST it would send for an OFFER (RFC 2131
// 4.3.2): message type 3, with options 50 (requested address) and 54 (server identifier) after
// option 53; every other byte unchanged. For clients the core has no builder for (x86 PXE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rpinetboot/span.h"

namespace rpinetboot::probe {

// nullopt + *error when `discover` is not a DHCPDISCOVER with an end option.
std::optional<Bytes> requestFromDiscover(ByteSpan discover, std::uint32_t requestedIp,
                                         std::uint32_t serverId, std::string* error);

}  // namespace rpinetboot::probe
