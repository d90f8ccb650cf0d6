#include "rom_hold.h"

#include <dhcp/dhcp4.h>
#include <dhcpsrv/cfgmgr.h>
#include <dhcpsrv/lease.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <stats/stats_mgr.h>

#include <ctime>

#include "netboot_logic.h"

namespace rpinetboot::kea {

using isc::dhcp::Lease;
using isc::dhcp::Lease4;
using isc::dhcp::Lease4Ptr;
using isc::dhcp::LeaseMgrFactory;

namespace {

std::uint32_t offeredLifetime(isc::dhcp::Pkt4& response) {
    const auto lease_time = optionPayload(response, isc::dhcp::DHO_DHCP_LEASE_TIME);
    if (!lease_time || lease_time->size() != 4) return kFallbackHoldSeconds;
    const auto& b = *lease_time;
    return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 |
           std::uint32_t{b[3]};
}

void countAssigned(isc::dhcp::SubnetID subnet_id) {
    // As Kea's allocator does, so that reclaiming the lease later balances the count.
    isc::stats::StatsMgr::instance().addValue(
        isc::stats::StatsMgr::generateName("subnet", subnet_id, "assigned-addresses"),
        static_cast<int64_t>(1));
}

}  // namespace

HoldResult holdRomOffer(isc::dhcp::Pkt4& response) {
    HoldResult result;
    const auto& addr = response.getYiaddr();
    const auto subnets = isc::dhcp::CfgMgr::instance().getCurrentCfg()->getCfgSubnets4()->getAll();
    isc::dhcp::SubnetID subnet_id = 0;
    for (const auto& subnet : *subnets) {
        if (subnet->inRange(addr)) {
            subnet_id = subnet->getID();
            break;
        }
    }
    if (subnet_id == 0) return result;

    const auto hwaddr = response.getHWAddr();
    const std::uint32_t lifetime = offeredLifetime(response);
    const time_t now = time(nullptr);
    result.lifetime = lifetime;
    auto& leases = LeaseMgrFactory::instance();
    Lease4Ptr existing = leases.getLease4(addr);
    if (!existing) {
        Lease4Ptr lease(
            new Lease4(addr, hwaddr, isc::dhcp::ClientIdPtr(), lifetime, now, subnet_id));
        // addLease fails if another thread added this address meanwhile.
        if (!leases.addLease(lease)) {
            result.outcome = HoldOutcome::Conflict;
            return result;
        }
        countAssigned(subnet_id);
        result.outcome = HoldOutcome::Held;
        return result;
    }
    const bool same_client = existing->hwaddr_ && hwaddr && *existing->hwaddr_ == *hwaddr;
    if (!same_client && !existing->expired()) {
        result.outcome = HoldOutcome::Conflict;
        return result;
    }
    const bool was_reclaimed = existing->stateExpiredReclaimed();
    const bool counted = !was_reclaimed;
    if (same_client && !existing->expired()) {
        // Never shorten a lease the Pi already has (e.g. from a later boot stage's REQUEST).
        if (existing->getExpirationTime() < now + static_cast<time_t>(lifetime)) {
            existing->cltt_ = now;
            existing->valid_lft_ = lifetime;
            leases.updateLease4(existing);
        }
        result.outcome = HoldOutcome::Refreshed;
        return result;
    }
    // An expired lease (this Pi's or another client's): take it over for this Pi.
    existing->hwaddr_ = hwaddr;
    existing->client_id_.reset();
    existing->cltt_ = now;
    existing->valid_lft_ = lifetime;
    existing->subnet_id_ = subnet_id;
    existing->hostname_.clear();
    existing->fqdn_fwd_ = existing->fqdn_rev_ = false;
    existing->state_ = Lease::STATE_DEFAULT;
    leases.updateLease4(existing);
    if (!counted) countAssigned(subnet_id);
    result.outcome = HoldOutcome::Held;
    return result;
}

}  // namespace rpinetboot::kea
