#include "registry_store.h"

#include <asiolink/io_address.h>
#include <dhcpsrv/dhcpsrv_exceptions.h>
#include <dhcpsrv/lease_mgr_factory.h>

#include <algorithm>

namespace rpinetboot::kea {

using isc::dhcp::Lease;
using isc::dhcp::Lease4;
using isc::dhcp::LeaseMgrFactory;

void storeRecord(Lease4& lease, const PiRecord& record) {
    lease.setContext(contextWithRecord(lease.getContext(), record));
}

bool storeRecordIfChanged(Lease4& lease, const PiRecord& record) {
    if (!recordWriteDue(recordInContext(lease.getContext(), nullptr), record)) return false;
    storeRecord(lease, record);
    return true;
}

isc::data::ConstElementPtr recordValueIfChanged(const Lease4& lease, const PiRecord& record) {
    if (!recordWriteDue(recordInContext(lease.getContext(), nullptr), record)) return nullptr;
    return isc::data::Element::create(toLeaseText(record));
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

RecordWrite writeRecordToLease(const PiRecord& record, isc::dhcp::Lease4Ptr* written) {
    auto& leases = LeaseMgrFactory::instance();
    const isc::dhcp::Lease4Ptr lease = leases.getLease4(isc::asiolink::IOAddress(record.address));
    if (!lease || !active(*lease) || !recordMatchesLease(record, *lease)) {
        return RecordWrite::NoLease;
    }
    if (!storeRecordIfChanged(*lease, record)) return RecordWrite::Unchanged;
    try {
        leases.updateLease4(lease);
    } catch (const isc::dhcp::NoSuchLease&) {
        // SQL back ends update a lease only while it is as it was read: another server changed
        // or deleted it meanwhile. Its next answer to the Pi writes the record.
        return RecordWrite::Lost;
    }
    if (written) *written = lease;
    return RecordWrite::Written;
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
