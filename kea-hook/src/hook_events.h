// The hook's boot events (README.md, "Boot events and bootloader logs"): a Pi's DISCOVER and
// REQUEST as received, its OFFER (sent, or held for the Pi 3B ROM) and ACK as sent, with the
// serial, MAC, model and address the hook decided on. Built only for Pis, only when an event
// sink is configured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "netboot_logic.h"
#include "rpinetboot/boot_event.h"

namespace rpinetboot::kea {

// DISCOVER or REQUEST for those DHCP message types (RFC 2132, option 53), else nothing.
std::optional<BootStep> receivedStep(std::uint8_t message_type);
// OFFER_SENT (or OFFER_HELD when `held`) or ACK, else nothing.
std::optional<BootStep> sentStep(std::uint8_t message_type, bool held);

// The event stamped now, source "kea-hook". `address` in host order; 0 leaves it out.
BootEvent dhcpEvent(BootStep step, const PiDecision& decision, std::uint32_t address);

// The event of a query from a Pi the allow-* lists refuse: outcome failed, `why` as its error
// (NetbootLogic::refusal), so rpi-netboot-timeline can say why that Pi got no netboot reply.
BootEvent refusedEvent(BootStep step, const PiDecision& decision, std::string why);

}  // namespace rpinetboot::kea
