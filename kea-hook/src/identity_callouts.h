// The identity's part of the callouts (identity_callouts.cpp), as callouts.cpp calls it.
#pragma once

#include <dhcp/pkt4.h>
#include <hooks/hooks.h>

#include <memory>

#include "netboot_logic.h"

namespace rpinetboot::kea::identity {

// load(): registers rpi-netboot-list and rpi-netboot-get, starts an empty registry.
void load(isc::hooks::LibraryHandle& handle, std::shared_ptr<const NetbootLogic> logic);
void unload();

// pkt4_receive, for a query that is not a Pi's PXE query: classes a known MAC's OS phase.
void receiveOs(isc::hooks::CalloutHandle& handle, isc::dhcp::Pkt4& query);
// pkt4_send: options 12 and 17 for an OS-phase reply. True when the query is the OS phase
// (RPI_NETBOOT_OS): nothing else is to be done to its reply.
bool sendOs(isc::hooks::CalloutHandle& handle, isc::dhcp::Pkt4& query);
// A ROM or bootcode.bin OFFER just held: its lease gets the Pi's record.
void recordHeld(const PiDecision& d, const isc::dhcp::Pkt4& response);

}  // namespace rpinetboot::kea::identity
