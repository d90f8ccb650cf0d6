#include "rom_hold.h"

#include <dhcp/dhcp4.h>
#include <dhcpsrv/cfgmgr.h>
#include <dhcpsrv/lease.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <stats/stats_mgr.h>

#include <ctime>
#include <optional>

#include "kea_compat.h"
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

// Kea 2.3.8 added per-pool statistics (subnet[S].pool[P].assigned-addresses) and Lease::pool_id_
// (Kea ChangeLog 2143; pool-id configurable since 2.4.0, 2156). From then on Kea's allocator counts
// a lease in its pool too and reclamation subtracts it there, so a hold must do the same or the
// pool's count goes negative when the hold expires. Kea 2.2 has neither. The getter's name and
// the lease field are detected rather than assumed, because only 2.2 is build-tested here.
template <typename P>
auto poolIdOf(const P& pool, int) -> decltype(static_cast<std::uint64_t>(pool.getID())) {
    return pool.getID();
}
template <typename P>
auto poolIdOf(const P& pool, long) -> decltype(static_cast<std::uint64_t>(pool.getId())) {
    return pool.getId();
}
template <typename L>
auto setPoolId(L& lease, std::uint64_t id, int) -> decltype(void(lease.pool_id_ = 0)) {
    lease.pool_id_ = static_cast<decltype(lease.pool_id_)>(id);
}
template <typename L>
void setPoolId(L&, std::uint64_t, long) {}

struct Placement {
    isc::dhcp::SubnetID subnet_id = 0;
    std::optional<std::uint64_t> pool_id;  // set only where Kea keeps per-pool statistics
};

Placement placementOf(const isc::asiolink::IOAddress& addr) {
    Placement where;
    const auto subnets = isc::dhcp::CfgMgr::instance().getCurrentCfg()->getCfgSubnets4()->getAll();
    for (const auto& subnet : *subnets) {
        if (!subnet->inRange(addr)) continue;
        where.subnet_id = subnet->getID();
#if RPI_NETBOOT_KEA_HOOKS_VERSION >= 20400
        const auto pool = subnet->getPool(isc::dhcp::Lease::TYPE_V4, addr, false);
        if (pool) where.pool_id = poolIdOf(*pool, 0);
#endif
        break;
    }
    return where;
}

void assignTo(Lease4& lease, const Placement& where) {
    lease.subnet_id_ = where.subnet_id;
    if (where.pool_id) setPoolId(lease, *where.pool_id, 0);
}

void countAssigned(const Placement& where) {
    // As Kea's allocator does, so that reclaiming the lease later balances the counts.
    using isc::stats::StatsMgr;
    StatsMgr::instance().addValue(
        StatsMgr::generateName("subnet", where.subnet_id, "assigned-addresses"),
        static_cast<int64_t>(1));
    if (where.pool_id) {
        StatsMgr::instance().addValue(
            StatsMgr::generateName(
                "subnet", where.subnet_id,
                StatsMgr::generateName("pool", *where.pool_id, "assigned-addresses")),
            static_cast<int64_t>(1));
    }
}

}  // namespace

HoldResult holdRomOffer(isc::dhcp::Pkt4& response) {
    HoldResult result;
    const auto& addr = response.getYiaddr();
    const Placement where = placementOf(addr);
    if (where.subnet_id == 0) return result;

    const auto hwaddr = response.getHWAddr();
    const std::uint32_t lifetime = offeredLifetime(response);
    const time_t now = time(nullptr);
    result.lifetime = lifetime;
    auto& leases = LeaseMgrFactory::instance();
    Lease4Ptr existing = leases.getLease4(addr);
    if (!existing) {
        Lease4Ptr lease(
            new Lease4(addr, hwaddr, isc::dhcp::ClientIdPtr(), lifetime, now, where.subnet_id));
        assignTo(*lease, where);
        // addLease fails if another thread added this address meanwhile.
        if (!leases.addLease(lease)) {
            result.outcome = HoldOutcome::Conflict;
            return result;
        }
        countAssigned(where);
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
    assignTo(*existing, where);
    existing->hostname_.clear();
    existing->fqdn_fwd_ = existing->fqdn_rev_ = false;
    existing->state_ = Lease::STATE_DEFAULT;
    leases.updateLease4(existing);
    if (!counted) countAssigned(where);
    result.outcome = HoldOutcome::Held;
    return result;
}

}  // namespace rpinetboot::kea
