// The identity's part of the callouts (identity_callouts.cpp), as callouts.cpp calls it.
#pragma once

#include <dhcp/pkt4.h>
#include <dhcpsrv/lease.h>
#include <hooks/hooks.h>

#include <memory>
#include <optional>

#include "netboot_logic.h"
#include "pi_registry.h"

namespace rpinetboot::kea::identity {

// load(): registers rpi-netboot-list and rpi-netboot-get, starts an empty registry.
void load(isc::hooks::LibraryHandle& handle, std::shared_ptr<const NetbootLogic> logic);
void unload();

// pkt4_receive, for a query that is not a Pi's PXE query: classes a known MAC's OS phase.
void receiveOs(isc::hooks::CalloutHandle& handle, isc::dhcp::Pkt4& query);
// pkt4_send: options 12 and 17 for an OS-phase reply. True when the query is the OS phase
// (RPI_NETBOOT_OS): nothing else is to be done to its reply. `due`: for an ACK, the record its
// lease must now carry (writeRecord), or nothing when the registry says the lease has it (only
// the registry's last-seen moves on then).
bool sendOs(isc::hooks::CalloutHandle& handle, isc::dhcp::Pkt4& query, isc::dhcp::Pkt4& response,
            std::optional<PiRecord>& due);
// pkt4_send, a Pi's boot-phase reply that is not held (the Pi 4/5 bootloader's ACK): the record
// its lease must now carry, as sendOs's `due`.
std::optional<PiRecord> bootAckRecord(const PiDecision& d, const isc::dhcp::Pkt4& response);
// Writes a record sendOs or bootAckRecord gave into the ACK's lease (in the lease store: the
// hook registers no lease hook point, so Kea runs none for every client). `written` (when not
// null) gets the lease as written, for an HA partner; null when nothing was written.
void writeRecord(const PiRecord& record, const isc::dhcp::Pkt4& response,
                 isc::dhcp::Lease4Ptr* written = nullptr);
// A ROM or bootcode.bin OFFER just held: its lease gets the Pi's record. `written`: the record
// recordForHold gave, which the hold's own lease write carried (only the registry is updated).
void recordHeld(const PiDecision& d, const isc::dhcp::Pkt4& response,
                const PiRecord* written = nullptr);
// Before the hold: the record the hold's lease is to carry, for the hold to write it with the
// lease (one lease database write, not two; recordValueIfChanged: a lease that has it already
// is not given it again); nothing without a registry.
std::optional<PiRecord> recordForHold(const PiDecision& d, const isc::dhcp::Pkt4& response);

}  // namespace rpinetboot::kea::identity
