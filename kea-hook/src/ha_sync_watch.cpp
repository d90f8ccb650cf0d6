#include "ha_sync_watch.h"

#include <algorithm>

namespace rpinetboot::kea {

bool mayStillSync(std::string_view state) {
    return state == "waiting" || state == "syncing";
}

bool HaSyncWatch::observe(std::string_view state) {
    // An empty label is no sample (HA did not answer): nothing is known, nothing changes.
    if (state.empty()) return false;
    const bool changed = state != last_;
    const bool fromReady = last_ == "ready";
    last_ = std::string(state);
    if (mayStillSync(state)) {
        pending_ = true;
        return false;
    }
    const bool due = pending_ || (changed && !fromReady);
    pending_ = false;
    return due;
}

std::chrono::milliseconds pollIntervalFor(std::optional<long> heartbeatDelayMs) {
    constexpr long kKeaDefault = 10000;  // Kea ARM, "High Availability": heartbeat-delay
    const long half = heartbeatDelayMs.value_or(kKeaDefault) / 2;
    return std::chrono::milliseconds(std::clamp(half, 100L, 1000L));
}

}  // namespace rpinetboot::kea
