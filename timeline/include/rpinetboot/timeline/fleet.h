// The fleet as its boot events tell it: events grouped by Pi (serial, MAC, or the address DHCP
// gave it), each Pi's events split into boots, and each boot judged: how far it got, how long it
// took, and its first anomaly as a row of the probe's findings table. No I/O: the input is a list
// of events and "now", so the whole judgement is unit-tested on recorded events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/boot_event.h"
#include "rpinetboot/probe/findings.h"

namespace rpinetboot::timeline {

// How far a boot got, in the order a healthy Pi goes. OsDhcp: the Linux it booted asked this
// hook for an address (the OS phase, docs/kea.md "Identity"): the boot is over.
enum class Stage { None, Dhcp, Firmware, Kernel, Initramfs, NfsRoot, OsDhcp };
std::string_view stageName(Stage stage);  // "none", "dhcp", "firmware", "kernel", ..., "os-dhcp"

// A DHCP event of the OS phase (phase "os"), not of the boot itself.
bool isOsPhase(const BootEvent& event);

struct Limits {
    // A silence this long between two events of one Pi starts a new boot.
    std::uint64_t bootGapUs = 600'000'000;
    // After the last DHCP step or TFTP file, the next step must come within this: the Pi re-sends
    // an unanswered TFTP request for 30 s before it gives up (docs/protocol/tftp.md).
    std::uint64_t settleUs = 30'000'000;
    // After the last boot file, the kernel must mount its NFS root within this.
    std::uint64_t nfsWaitUs = 120'000'000;
};

struct Boot {
    std::vector<BootEvent> events;  // in time order; a derived BOOT_FILES_DONE is among them
    std::uint64_t startUs = 0;
    std::uint64_t lastUs = 0;
    Stage reached = Stage::None;
    std::uint64_t reachedUs = 0;  // when it got there
    std::optional<probe::Finding> anomaly;
    bool finished() const { return reached >= Stage::NfsRoot; }
    // Neither finished nor stopped: still within the limits of its next step.
    bool inProgress() const { return !finished() && !anomaly; }
};

struct Pi {
    std::string serial, mac, address, model;  // address: the last one DHCP gave it
    std::vector<Boot> boots;                  // oldest first; never empty
    std::uint64_t lastSeenUs = 0;
    const Boot& lastBoot() const { return boots.back(); }
    // The last boot's anomaly, or, while the last boot is still in progress (a Pi that retries
    // from DISCOVER), the previous boot's.
    std::optional<probe::Finding> currentAnomaly() const;
    std::string label() const;  // serial, else MAC
};

// Events no Pi could be found for: only an address, and no DHCP event gave it to a Pi.
struct Unattributed {
    std::string address;
    std::size_t events = 0;
};

struct Fleet {
    std::vector<Pi> pis;  // by label
    std::vector<Unattributed> unattributed;
};

Fleet buildFleet(std::vector<BootEvent> events, const Limits& limits, std::uint64_t nowUs);

// The Pi a serial ("1a2b3c04"), MAC (colons or dashes, any case) or IPv4 address names; nullptr
// when none.
const Pi* findPi(const Fleet& fleet, std::string_view query);

// The judgement of one boot, exposed for the unit tests.
void assessBoot(Boot& boot, std::string_view model, const std::string& address,
                const Limits& limits, std::uint64_t nowUs);

}  // namespace rpinetboot::timeline
