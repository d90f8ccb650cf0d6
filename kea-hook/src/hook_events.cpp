#include "hook_events.h"

#include "rpinetboot/dhcp_packet.h"

namespace rpinetboot::kea {

namespace {
// DHCP message types (RFC 2132, section 9.6).
constexpr std::uint8_t kDiscover = 1, kOffer = 2, kRequest = 3, kAck = 5;

HookEvent record(BootStep step, const MacAddress& mac, const std::optional<Serial>& serial,
                 PiModel model, std::uint32_t address) noexcept {
    HookEvent e;
    e.timestampUs = nowMicros();
    e.step = step;
    e.mac = mac.bytes();
    e.hasSerial = serial.has_value();
    e.serial = serial ? serial->value() : 0;
    e.model = model;
    e.address = address;
    return e;
}
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

HookEvent dhcpEvent(BootStep step, const PiDecision& decision, std::uint32_t address) noexcept {
    return record(step, decision.mac, decision.serial, decision.pi_class, address);
}

HookEvent refusedEvent(BootStep step, const PiDecision& decision) noexcept {
    HookEvent e = record(step, decision.mac, decision.serial, decision.pi_class, 0);
    e.refused = true;
    return e;
}

HookEvent osEvent(BootStep step, const PiRecord& known, std::uint32_t address) noexcept {
    HookEvent e = record(step, known.mac, known.serial, known.model, address);
    e.osPhase = true;
    return e;
}

void renderEvent(const HookEvent& r, const NetbootLogic& logic, BootEvent& out) {
    out.step = r.step;
    out.timestampUs = r.timestampUs;
    out.source.assign("kea-hook");
    const std::optional<Serial> serial =
        r.hasSerial ? std::optional<Serial>(Serial(r.serial)) : std::nullopt;
    if (serial) {
        out.serial = serial->str();
    } else {
        out.serial.clear();
    }
    const MacAddress mac(r.mac);
    out.mac = mac.str();
    if (r.address != 0) {
        out.address = ipv4ToString(r.address);
    } else {
        out.address.clear();
    }
    out.model.assign(piModelName(r.model));
    out.file.clear();
    out.bytes.reset();
    out.durationUs.reset();
    out.text.clear();
    if (r.refused) {
        PiDecision d;
        d.pi_class = r.model;
        d.serial = serial;
        d.mac = mac;
        out.outcome = Outcome::Failed;
        out.error = logic.refusal(d);
    } else {
        out.outcome = Outcome::None;
        out.error.clear();
    }
    if (r.osPhase) {
        out.phase.assign("os");
    } else {
        out.phase.clear();
    }
}

}  // namespace rpinetboot::kea
