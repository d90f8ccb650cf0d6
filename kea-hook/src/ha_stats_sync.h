// Kea's lease statistics made right again after Kea's HA lease sync (ha_sync_watch.h says when).
//
// Only while Kea's HA hook is loaded (its ha-heartbeat command handler is present when
// dhcp4_srv_configured runs): a timer on Kea's main thread reads the local HA state of each HA
// relationship (half of HA's
// smallest heartbeat-delay apart, within 100 ms and 1 s: pollIntervalFor) through HA's own
// ha-heartbeat handler, called in-process as Kea's command manager calls it but without its log
// line per command, and recounts the statistics with Kea's LeaseMgr::recountLeaseStats4 when
// HaSyncWatch says so, in a MultiThreadingCriticalSection (the packet threads paused, as Kea
// itself recounts on a reconfiguration). Nothing runs per packet; nothing runs at all without
// HA. The sync itself stays Kea's: this only recounts.
#pragma once

#include <cc/data.h>
#include <hooks/hooks.h>

#include <optional>
#include <string>
#include <vector>

namespace rpinetboot::kea::haStats {

// load(): registers the dhcp4_srv_configured callout (starts the timer when HA is loaded) and
// the command_processed callout (notes a successful ha-sync command). unload(): stops the timer.
void load(isc::hooks::LibraryHandle& handle);
void unload();

// Recounts the lease statistics as a reconfiguration does: subnet and, from Kea 2.4 on, pool
// assigned/declined-addresses. Call on Kea's main thread only. False (and logged) on an error.
bool recountLeaseStats();

// What the hook reads from Kea's HA hook's parameters ("high-availability": one relationship
// on Kea 2.2/2.4, one or more (hub-and-spoke) on 2.6+): each relationship's this-server-name,
// which ha-heartbeat takes as server-name on 2.6+ (2.2 ignores arguments), and the smallest
// heartbeat-delay set. Empty for any other library's parameters.
struct HaRelationships {
    std::vector<std::string> servers;
    std::optional<long> heartbeatDelay;
};
HaRelationships haRelationshipsOf(const isc::data::ConstElementPtr& parameters);

}  // namespace rpinetboot::kea::haStats
