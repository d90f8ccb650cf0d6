#include "release_keep.h"

namespace rpinetboot::kea {

namespace {

bool names(const PiRecord& record, const MacAddress& mac, std::uint32_t address) {
    return record.mac == mac && record.address == address;
}

}  // namespace

ReleaseDecision decideRelease(bool keepPiLeases, const isc::data::ConstElementPtr& leaseContext,
                              const MacAddress& leaseMac, std::uint32_t leaseAddress,
                              const std::optional<PiRecord>& indexed) {
    ReleaseDecision decision;
    if (!keepPiLeases) return decision;
    // A record copied with a lease to another address or MAC is not believed (as when the
    // registry is rebuilt from the leases, registry_store.h).
    if (const auto stored = recordInContext(leaseContext, nullptr);
        stored && names(*stored, leaseMac, leaseAddress)) {
        decision.keep = true;
        decision.record = stored;
    } else if (indexed && names(*indexed, leaseMac, leaseAddress)) {
        decision.keep = true;
        decision.record = indexed;
    }
    return decision;
}

}  // namespace rpinetboot::kea
