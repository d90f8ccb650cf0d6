#include "hook_events.h"

#include "rpinetboot/dhcp_packet.h"

namespace rpinetboot::kea {

namespace {
// DHCP message types (RFC 2132, section 9.6).
constexpr std::uint8_t kDiscover = 1, kOffer = 2, kRequest = 3, kAck = 5;

// The writer thread formats a few thousand events a second: by hand into the event's own
// strings (their room kept from one event to the next), not through snprintf or temporaries.
constexpr char kHex[] = "0123456789abcdef";

// "1a2b3c04", as Serial::str.
void setSerial(std::string& out, std::uint32_t v) {
    char buf[8];
    for (int i = 7; i >= 0; --i, v >>= 4) buf[i] = kHex[v & 15];
    out.assign(buf, sizeof buf);
}

// "dc:a6:32:01:36:c2", as MacAddress::str.
void setMac(std::string& out, const std::array<std::uint8_t, 6>& mac) {
    char buf[17];
    for (std::size_t i = 0; i < 6; ++i) {
        buf[i * 3] = kHex[mac[i] >> 4];
        buf[i * 3 + 1] = kHex[mac[i] & 15];
        if (i < 5) buf[i * 3 + 2] = ':';
    }
    out.assign(buf, sizeof buf);
}

// "192.0.2.10", as ipv4ToString.
void setIpv4(std::string& out, std::uint32_t a) {
    char buf[15];
    std::size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        const unsigned octet = a >> shift & 255;
        if (octet >= 100) buf[n++] = static_cast<char>('0' + octet / 100);
        if (octet >= 10) buf[n++] = static_cast<char>('0' + octet / 10 % 10);
        buf[n++] = static_cast<char>('0' + octet % 10);
        if (shift > 0) buf[n++] = '.';
    }
    out.assign(buf, n);
}

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

std::optional<BootStep> receivedStep(std::uint8_t messageType) {
    if (messageType == kDiscover) return BootStep::Discover;
    if (messageType == kRequest) return BootStep::Request;
    return std::nullopt;
}

std::optional<BootStep> sentStep(std::uint8_t messageType, bool held) {
    if (messageType == kOffer) return held ? BootStep::OfferHeld : BootStep::OfferSent;
    if (messageType == kAck) return BootStep::Ack;
    return std::nullopt;
}

HookEvent dhcpEvent(BootStep step, const PiDecision& decision, std::uint32_t address) noexcept {
    return record(step, decision.mac, decision.serial, decision.piClass, address);
}

HookEvent refusedEvent(BootStep step, const PiDecision& decision) noexcept {
    HookEvent e = record(step, decision.mac, decision.serial, decision.piClass, 0);
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
        setSerial(out.serial, serial->value());
    } else {
        out.serial.clear();
    }
    setMac(out.mac, r.mac);
    if (r.address != 0) {
        setIpv4(out.address, r.address);
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
        d.piClass = r.model;
        d.serial = serial;
        d.mac = MacAddress(r.mac);
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
