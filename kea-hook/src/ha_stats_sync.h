// Kea's lease statistics made right again after Kea's HA lease sync (ha_sync_watch.h says when).
//
// Only while Kea's HA hook is loaded (its ha-heartbeat command handler is present when
// dhcp4_srv_configured runs): a timer on Kea's main thread reads the local HA state (half of HA's
// smallest heartbeat-delay apart, within 100 ms and 1 s: pollIntervalFor) through HA's own
// ha-heartbeat handler, called in-process as Kea's command manager calls it but without its log
// line per command, and recounts the statistics with Kea's LeaseMgr::recountLeaseStats4 when
// HaSyncWatch says so, in a MultiThreadingCriticalSection (the packet threads paused, as Kea
// itself recounts on a reconfiguration). Nothing runs per packet; nothing runs at all without
// HA. The sync itself stays Kea's: this only recounts.
#pragma once

#include <hooks/hooks.h>

namespace rpinetboot::kea::haStats {

// load(): registers the dhcp4_srv_configured callout (starts the timer when HA is loaded) and
// the command_processed callout (notes a successful ha-sync command). unload(): stops the timer.
void load(isc::hooks::LibraryHandle& handle);
void unload();

// Recounts the lease statistics as a reconfiguration does: subnet and, from Kea 2.4 on, pool
// assigned/declined-addresses. Call on Kea's main thread only. False (and logged) on an error.
bool recountLeaseStats();

}  // namespace rpinetboot::kea::haStats
