// The hook's boot events (README.md, "Boot events and bootloader logs"): a Pi's DISCOVER and
// REQUEST as received, its OFFER (sent, or held for the Pi 3B ROM) and ACK as sent, with the
// serial, MAC, model and address the hook decided on; the same steps of the OS phase (the Linux
// the Pi booted asking for an address, docs/kea.md "Identity") with phase "os". Built only for
// Pis, only when an event sink is configured. A callout builds the small record
// (hook_event_writer.h); the writer thread renders it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hook_event_writer.h"
#include "netboot_logic.h"
#include "pi_registry.h"
#include "rpinetboot/boot_event.h"

namespace rpinetboot::kea {

// DISCOVER or REQUEST for those DHCP message types (RFC 2132, option 53), else nothing.
std::optional<BootStep> receivedStep(std::uint8_t messageType);
// OFFER_SENT (or OFFER_HELD when `held`) or ACK, else nothing.
std::optional<BootStep> sentStep(std::uint8_t messageType, bool held);

// The record stamped now. `address` in host order; 0 leaves it out.
HookEvent dhcpEvent(BootStep step, const PiDecision& decision, std::uint32_t address) noexcept;

// The record of a query from a Pi the allow-* lists refuse: rendered with outcome failed and
// NetbootLogic::refusal as its error, so rpi-netboot-timeline can say why that Pi got no reply.
HookEvent refusedEvent(BootStep step, const PiDecision& decision) noexcept;

// An OS-phase step of a Pi the registry knows (`known`, its record): phase "os".
HookEvent osEvent(BootStep step, const PiRecord& known, std::uint32_t address) noexcept;

// The writer thread's side: `record` as the event the journal or the JSON line shows, source
// "kea-hook". `logic` (the configuration that refused) gives a refused Pi's reason. `out` is
// overwritten field by field, keeping its strings' room.
void renderEvent(const HookEvent& record, const NetbootLogic& logic, BootEvent& out);

}  // namespace rpinetboot::kea
