#include "release_keep.h"

namespace rpinetboot::kea {

namespace {

bool names(const PiRecord& record, const MacAddress& mac, std::uint32_t address) {
    return record.mac == mac && record.address == address;
}

}  // namespace

ReleaseDecision decideRelease(bool keep_pi_leases, const isc::data::ConstElementPtr& lease_context,
                              const MacAddress& lease_mac, std::uint32_t lease_address,
                              const std::optional<PiRecord>& indexed) {
    ReleaseDecision decision;
    if (!keep_pi_leases) return decision;
    // A record copied with a lease to another address or MAC is not believed (as when the
    // registry is rebuilt from the leases, registry_store.h).
    if (const auto stored = recordInContext(lease_context, nullptr);
        stored && names(*stored, lease_mac, lease_address)) {
        decision.keep = true;
        decision.record = stored;
    } else if (indexed && names(*indexed, lease_mac, lease_address)) {
        decision.keep = true;
        decision.record = indexed;
    }
    return decision;
}

}  // namespace rpinetboot::kea
