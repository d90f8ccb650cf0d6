// When to recount Kea's lease statistics on a server in a Kea High Availability pair.
//
// Kea's HA lease sync (the "syncing" state, and the ha-sync command) writes the partner's leases
// straight into the lease database, which counts nothing: the server's assigned-addresses stays
// below its lease count until a reconfiguration recounts it (ha_service.cc, synchronize, Kea 2.2
// to 3.0; docs/kea.md "High Availability"). The local state is sampled (ha_stats_sync.h), and
// HA's state machine may pass waiting, syncing and ready between two samples (one state handler
// call runs into the next), so the rule does not rely on seeing "syncing":
// - a server starts in "waiting": the first sample outside waiting/syncing recounts;
// - a sample in waiting/syncing makes the next one outside them recount (a failed sync stays in
//   "syncing");
// - a sample in another state than the last one recounts, unless the last one was "ready": a
//   sync ends in "ready", and HA leaves "ready" for the state it left before the sync only after
//   a heartbeat shows the partner out of partner-down (ha_service.cc, normalStateHandler and
//   readyStateHandler, 2.2 to 3.0), at least one heartbeat-delay later: with samples at most
//   half a heartbeat-delay apart (pollIntervalFor), a sync that returns to the normal state
//   (hot-standby, load-balancing) it began in is seen in "ready". From the other states a sync
//   ends elsewhere than it began, and from "ready" HA reaches one only through a lasting
//   "waiting" (partner state invalid).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rpinetboot::kea {

class HaSyncWatch {
  public:
    // One sample of the local HA state (the label HA's ha-heartbeat answers, e.g. "syncing").
    // True when the lease statistics are to be recounted now.
    bool observe(std::string_view state);

    // The sync the ha-sync command made (in any state): recount at the next sample outside
    // "waiting" and "syncing".
    void syncedByCommand() { pending_ = true; }

    // A recount is due at the next sample outside "waiting" and "syncing".
    bool pending() const { return pending_; }

  private:
    bool pending_ = false;
    std::string last_;  // the last sample's state; empty before the first
};

// Whether HA may still write leases it has not counted in `state` ("waiting", "syncing").
bool mayStillSync(std::string_view state);

// The sampling interval for HA's smallest heartbeat-delay (Kea's default 10 s when none is
// configured): half of it, within 100 ms and 1 s.
std::chrono::milliseconds pollIntervalFor(std::optional<long> heartbeatDelayMs);

}  // namespace rpinetboot::kea
