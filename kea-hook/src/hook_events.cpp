#include "hook_events.h"

#include <utility>

#include "rpinetboot/dhcp_packet.h"

namespace rpinetboot::kea {

namespace {
// DHCP message types (RFC 2132, section 9.6).
constexpr std::uint8_t kDiscover = 1, kOffer = 2, kRequest = 3, kAck = 5;
}  // namespace

std::optional<BootStep> receivedStep(std::uint8_t message_type) {
    if (message_type == kDiscover) return BootStep::Discover;
    if (message_type == kRequest) return BootStep::Request;
    return std::nullopt;
}

std::optional<BootStep> sentStep(std::uint8_t message_type, bool held) {
    if (message_type == kOffer) return held ? BootStep::OfferHeld : BootStep::OfferSent;
    if (message_type == kAck) return BootStep::Ack;
    return std::nullopt;
}

BootEvent dhcpEvent(BootStep step, const PiDecision& decision, std::uint32_t address) {
    BootEvent e;
    e.step = step;
    e.timestampUs = nowMicros();
    e.source = "kea-hook";
    if (decision.serial) e.serial = decision.serial->str();
    e.mac = decision.mac.str();
    if (address != 0) e.address = ipv4ToString(address);
    e.model = std::string(piModelName(decision.pi_class));
    return e;
}

BootEvent refusedEvent(BootStep step, const PiDecision& decision, std::string why) {
    BootEvent e = dhcpEvent(step, decision, 0);
    e.outcome = Outcome::Failed;
    e.error = std::move(why);
    return e;
}

}  // namespace rpinetboot::kea
