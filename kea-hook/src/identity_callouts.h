// The identity's part of the callouts (identity_callouts.cpp), as callouts.cpp calls it.
#pragma once

#include <dhcp/pkt4.h>
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
// (RPI_NETBOOT_OS): nothing else is to be done to its reply.
bool sendOs(isc::hooks::CalloutHandle& handle, isc::dhcp::Pkt4& query);
// A ROM or bootcode.bin OFFER just held: its lease gets the Pi's record. `written`: the record
// recordForHold gave, which the hold's own lease write carried (only the registry is updated).
void recordHeld(const PiDecision& d, const isc::dhcp::Pkt4& response,
                const PiRecord* written = nullptr);
// Before the hold: the record recordHeld would write into the hold's lease, for the hold to
// write it with the lease (one lease database write, not two); nothing when recordHeld would
// write no lease (no registry, or the Pi's record is as fresh as recordHeld keeps it).
std::optional<PiRecord> recordForHold(const PiDecision& d, const isc::dhcp::Pkt4& response);

}  // namespace rpinetboot::kea::identity
