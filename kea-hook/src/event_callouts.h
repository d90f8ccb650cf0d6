// The boot events' part of the callouts (callouts.cpp, identity_callouts.cpp): the writer made
// at load() from parameter "events", and one call per step. Each call is a single pointer test
// when events are off; when on, it copies a small record into the writer's ring (hook_events.h).
#pragma once

#include <dhcp/pkt4.h>
#include <hooks/hooks.h>

#include <memory>

#include "hook_config.h"
#include "netboot_logic.h"
#include "pi_registry.h"

namespace rpinetboot::kea::events {

// The Kea statistic of events dropped because the writer's ring was full.
inline const std::string kDroppedStat = "rpi-netboot-events-dropped";

// load(): nullptr when events are off (hook_config.h, events). Throws ConfigError when the sink
// cannot be opened. The writer renders with `logic` (a refused Pi's reason).
void start(const HookConfig& config, std::shared_ptr<const NetbootLogic> logic);
// Installs what start() made (after the rest of load() succeeded), or stops it.
void commit();
void stop();  // unload(): writes out what is queued, then stops the thread
bool enabled();
std::string describe();  // "" when off

// A Pi's boot-phase query (DISCOVER, REQUEST) or reply (OFFER sent or held, ACK).
void received(const isc::dhcp::Pkt4& query, const PiDecision& decision);
void sent(const isc::dhcp::Pkt4& response, const PiDecision& decision, bool held);
// A query the allow-* lists refused.
void refused(const isc::dhcp::Pkt4& query, const PiDecision& decision);

// The OS phase: a query of a MAC the registry knows (`known`), and its reply (found by the
// record osReceived() left in the callout context).
void osReceived(isc::hooks::CalloutHandle& handle, const isc::dhcp::Pkt4& query,
                const PiRecord& known);
void osSent(isc::hooks::CalloutHandle& handle);

}  // namespace rpinetboot::kea::events
