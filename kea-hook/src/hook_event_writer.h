// The hook's boot events off Kea's packet path (README.md, "Boot events and bootloader logs"):
// a callout copies a small fixed-size record into a lock-free ring (event_ring.h, through
// event_queue.h) and returns; the writer thread renders the records into events and hands them
// to the sink in batches. Kea's packet thread never allocates, formats, writes or waits for an
// event: when the ring is full the record is dropped and counted.
#pragma once

#include <array>
#include <cstdint>

#include "rpinetboot/boot_event.h"
#include "rpinetboot/event_queue.h"
#include "rpinetboot/pi_model.h"

namespace rpinetboot::kea {

// What a callout knows of one step, as plain bytes; the writer thread turns it into a BootEvent
// (hook_events.h, renderEvent).
struct HookEvent {
    std::uint64_t timestampUs = 0;
    std::uint32_t serial = 0;   // valid when hasSerial
    std::uint32_t address = 0;  // host order; 0: none
    std::array<std::uint8_t, 6> mac{};
    BootStep step = BootStep::Discover;
    PiModel model = PiModel::Pi4;
    bool hasSerial = false;
    bool refused = false;  // the allow-* lists refused the Pi: outcome failed, the reason as error
    bool osPhase = false;  // a DHCP exchange of the Linux the Pi booted
};

// The writer: the queue every component shares (event_queue.h, its thread shell, drop counting
// and flush), over the hook's record. Callouts push(); the writer thread renders with
// hook_events.h's renderEvent.
using HookEventWriter = EventQueue<HookEvent>;

}  // namespace rpinetboot::kea
