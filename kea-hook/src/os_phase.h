// The OS phase: a DHCP exchange, after the Pi booted through this hook, from the Linux it booted
// (kernel ip=dhcp, klibc ipconfig, dhcpcd, dhclient, udhcpc, systemd-networkd). Recognised by
// MAC alone, whatever the client-id, request list or vendor class it sends, and given the
// Pi's classes and its identity (hostname and root path). A MAC the registry does not know is
// left exactly as Kea answers it. docs/kea.md, "Identity".
#pragma once

#include <dhcp/pkt4.h>

#include <ctime>
#include <optional>
#include <string>

#include "netboot_logic.h"
#include "pi_registry.h"

namespace rpinetboot::kea {

// The class an OS-phase query gets, besides RPI_NETBOOT and its model's class.
inline constexpr const char* kClassOs = "RPI_NETBOOT_OS";

struct OsSendResult {
    std::optional<std::string> hostname;  // option 12 written
    std::optional<std::string> rootPath;  // option 17 written
};

class OsPhase {
  public:
    explicit OsPhase(const NetbootLogic& logic) : logic_(logic) {}

    // pkt4_receive's first test of a query that is not a Pi's PXE query: false when `mac` can
    // have no record here or in the lease store (no bit in the registry's filter, not a Pi's
    // OUI), and the query is left alone. Lock-free: most queries are no Pi's and stop here.
    bool mayBeKnown(const PiRegistry& registry, const MacAddress& mac) const {
        return registry.mayKnow(mac) || logic_.config().classifier.ouis.contains(mac);
    }

    // pkt4_receive, for a query NetbootLogic did not take as a Pi: classes RPI_NETBOOT,
    // RPI_NETBOOT_OS and the model's class when `known` (the registry's record of its MAC).
    void classify(isc::dhcp::Pkt4& query, const PiRecord& known) const;

    // The record a lease gets when the boot phase is answered at `address`: `previous` (the
    // registry's record of that MAC) keeps its first-seen time.
    static PiRecord bootRecord(const PiDecision& d, std::uint32_t address,
                               const std::optional<PiRecord>& previous, std::int64_t now);
    // ... and when the OS phase is: hostname and root path as the templates give them with the
    // configured TFTP server (pkt4_send fills them in from the reply's option 54 otherwise).
    PiRecord osRecord(const PiRecord& known, std::uint32_t address, std::int64_t now) const;

    // The template values of a record (tftp-server: the configured one, else `response`'s 54).
    IdentityValues valuesOf(const PiRecord& r, isc::dhcp::Pkt4* response) const;

    // pkt4_send, for an OS-phase OFFER or ACK: options 12 and 17 per the templates and the
    // hostname and root path policies. Nothing else in the reply changes.
    OsSendResult onSend(const PiRecord& r, isc::dhcp::Pkt4& query, isc::dhcp::Pkt4& response) const;

  private:
    const NetbootLogic& logic_;
};

}  // namespace rpinetboot::kea
