// Deciding whether a DHCP request comes from a network-booting Pi, and which boot stage sent it.
// docs/protocol/dhcp.md. Used by the Kea hook; free of Kea types so it is testable on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rpinetboot/mac.h"
#include "rpinetboot/option97.h"
#include "rpinetboot/oui.h"
#include "rpinetboot/pi_model.h"
#include "rpinetboot/request_list.h"
#include "rpinetboot/span.h"

namespace rpinetboot {

// The constant xid of shapes A and B.
inline constexpr std::uint32_t kRomXid = 0x26f30339;

// The model (boot stage) a request comes from, its class name (className) and whether it sends
// DHCPREQUEST (sendsRequest) are in pi_model.h.

// What the classifier looks at, borrowed from the packet.
struct DhcpRequestView {
    std::optional<std::string_view> vendorClass;  // option 60
    std::optional<ByteSpan> requestList;          // option 55
    std::optional<ByteSpan> option97;             // option 97
    MacAddress mac;                               // chaddr
    std::uint32_t xid = 0;
};

struct ClassifierConfig {
    OuiSet ouis;
    bool requireOui = false;
};

struct Classification {
    bool isPi = false;
    bool malformed = false;          // option 97 malformed: logged, treated as non-Pi
    PiModel piClass = PiModel::Pi4;  // the boot stage that sent it
    std::optional<Serial> serial;
    std::optional<Option97> option97;
    RequestListMatch requestList = RequestListMatch::None;
    bool ouiMatch = false;
    std::string reason;  // one line, for logs: why it is or is not a Pi (see `explain`)
};

// With `explain` false the reason is left empty except for a malformed request (whose reason is
// logged as a warning): a caller that logs it only at debug level skips building it per packet.
Classification classify(const DhcpRequestView& request, const ClassifierConfig& config,
                        bool explain = true);

}  // namespace rpinetboot
