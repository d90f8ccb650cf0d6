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
#include "rpinetboot/request_list.h"
#include "rpinetboot/span.h"

namespace rpinetboot {

// The constant xid of shapes A and B.
inline constexpr std::uint32_t kRomXid = 0x26f30339;

enum class PiClass { Rom3, Bootcode, Pi4, Pi5 };

inline constexpr std::string_view kClassAll = "RPI_NETBOOT";
// "RPI_NETBOOT_ROM3", "RPI_NETBOOT_BOOTCODE", "RPI_NETBOOT_PI4", "RPI_NETBOOT_PI5"
std::string_view className(PiClass cls);

// True for the stages that never send DHCPREQUEST and use the OFFERed address as it is: the Pi 3B
// boot ROM and bootcode.bin (docs/protocol/dhcp.md, "Quirks"). A server must hold their offers.
bool usesOfferDirectly(PiClass cls);

// What the classifier looks at, borrowed from the packet.
struct DhcpRequestView {
    std::optional<std::string_view> vendor_class;  // option 60
    std::optional<ByteSpan> request_list;          // option 55
    std::optional<ByteSpan> option97;              // option 97
    MacAddress mac;                                // chaddr
    std::uint32_t xid = 0;
};

struct ClassifierConfig {
    OuiSet ouis;
    bool require_oui = false;
};

struct Classification {
    bool is_pi = false;
    bool malformed = false;  // option 97 malformed: logged, treated as non-Pi
    PiClass pi_class = PiClass::Pi4;
    std::optional<Serial> serial;
    std::optional<Option97> option97;
    RequestListMatch request_list = RequestListMatch::None;
    bool oui_match = false;
    std::string reason;  // one line, for logs: why it is or is not a Pi (see `explain`)
};

// With `explain` false the reason is left empty except for a malformed request (whose reason is
// logged as a warning): a caller that logs it only at debug level skips building it per packet.
Classification classify(const DhcpRequestView& request, const ClassifierConfig& config,
                        bool explain = true);

}  // namespace rpinetboot
