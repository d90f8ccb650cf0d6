#include "registry_store.h"

#include <dhcpsrv/lease_mgr_factory.h>

#include <algorithm>

namespace rpinetboot::kea {

using isc::dhcp::Lease;
using isc::dhcp::Lease4;
using isc::dhcp::LeaseMgrFactory;

void storeRecord(Lease4& lease, const PiRecord& record) {
    lease.setContext(contextWithRecord(lease.getContext(), record));
}

bool storeRecordForWrite(Lease4& lease, const PiRecord& record) {
    const auto stored = recordInContext(lease.getContext(), nullptr);
    storeRecord(lease, record);
    if (lease.reuseable_valid_lft_ == 0 || (stored && !differsBeyondLastSeen(*stored, record))) {
        return false;
    }
    lease.reuseable_valid_lft_ = 0;
    return true;
}

bool recordMatchesLease(const PiRecord& record, const Lease4& lease) {
    if (record.address != lease.addr_.toUint32() || !lease.hwaddr_) return false;
    const auto& hw = lease.hwaddr_->hwaddr_;
    return hw.size() == 6 && std::equal(hw.begin(), hw.end(), record.mac.bytes().begin());
}

namespace {

bool active(const Lease4& lease) {
    return lease.state_ == Lease::STATE_DEFAULT && !lease.expired();
}

}  // namespace

RebuildResult rebuildRegistry(PiRegistry& registry) {
    RebuildResult result;
    const auto leases = LeaseMgrFactory::instance().getLeases4();
    registry.clear();
    for (const auto& lease : leases) {
        ++result.leases;
        if (!lease || !active(*lease)) continue;
        std::string error;
        const auto record = recordInContext(lease->getContext(), &error);
        if (!record && !error.empty()) {
            error = lease->addr_.toText() + ": " + error;
        } else if (record && !recordMatchesLease(*record, *lease)) {
            error = lease->addr_.toText() + ": the record names another address or MAC";
        }
        if (!error.empty()) {
            ++result.malformed;
            if (result.reported.size() < RebuildResult::kMaxReported) {
                result.reported.push_back(error);
            }
            continue;
        }
        if (!record) continue;
        // Two leases of one MAC (another subnet): the one seen last wins.
        const auto known = registry.byMac(record->mac);
        if (known && known->lastSeen > record->lastSeen) continue;
        if (registry.put(*record)) ++result.records;
    }
    registry.setLoaded(true);
    return result;
}

std::optional<PiRecord> recordFromLeases(const MacAddress& mac) {
    const auto& bytes = mac.bytes();
    const isc::dhcp::HWAddr hwaddr(std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
                                   isc::dhcp::HTYPE_ETHER);
    std::optional<PiRecord> best;
    for (const auto& lease : LeaseMgrFactory::instance().getLease4(hwaddr)) {
        if (!lease || !active(*lease)) continue;
        const auto record = recordInContext(lease->getContext(), nullptr);
        if (!record || !recordMatchesLease(*record, *lease)) continue;
        if (!best || record->lastSeen > best->lastSeen) best = record;
    }
    return best;
}

}  // namespace rpinetboot::kea
