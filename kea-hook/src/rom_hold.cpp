#include "rom_hold.h"

#include <dhcp/dhcp4.h>
#include <dhcpsrv/cfgmgr.h>
#include <dhcpsrv/dhcpsrv_exceptions.h>
#include <dhcpsrv/lease.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <stats/stats_mgr.h>

#include <dhcp/option_int.h>
#include <algorithm>
#include <ctime>
#include <optional>
#include <typeinfo>

#include "kea_compat.h"
#include "netboot_logic.h"
#include "rpinetboot/pi_model.h"
#include "rpinetboot/util/big_endian.h"

namespace rpinetboot::kea {

using isc::dhcp::Lease;
using isc::dhcp::Lease4;
using isc::dhcp::Lease4Ptr;
using isc::dhcp::LeaseMgrFactory;

namespace {

std::uint32_t offeredLifetime(isc::dhcp::Pkt4& response) {
    // Kea puts option 51 in as a uint32 option: read it as one, without packing it (and without
    // the copy getOption makes for callouts: only read here).
    const bool copying = response.isCopyRetrievedOptions();
    response.setCopyRetrievedOptions(false);
    const auto option = response.getOption(isc::dhcp::DHO_DHCP_LEASE_TIME);
    response.setCopyRetrievedOptions(copying);
    if (option) {
        const isc::dhcp::Option& leaseTime = *option;  // typeid of a reference: no side effects
        if (typeid(leaseTime) == typeid(isc::dhcp::OptionUint32) &&
            leaseTime.getOptions().empty()) {
            return static_cast<const isc::dhcp::OptionUint32&>(leaseTime).getValue();
        }
    }
    const auto leaseTime = optionPayload(response, isc::dhcp::DHO_DHCP_LEASE_TIME);
    if (!leaseTime || leaseTime->size() != 4) return kFallbackHoldSeconds;
    return readBe32(leaseTime->data());
}

// Kea 2.3.8 added per-pool statistics (subnet[S].pool[P].assigned-addresses) and Lease::pool_id_
// (Kea ChangeLog 2143; pool-id configurable since 2.4.0, 2156). From then on Kea's allocator counts
// a lease in its pool too and reclamation subtracts it there, so a hold must do the same or the
// pool's count goes negative when the hold expires. Kea 2.2 has neither. The getter's name and
// the lease field are detected rather than assumed (the getter: poolIdOf, kea_compat.h).
template <typename L>
auto setPoolId(L& lease, std::uint64_t id, int) -> decltype(void(lease.pool_id_ = 0)) {
    lease.pool_id_ = static_cast<decltype(lease.pool_id_)>(id);
}
template <typename L>
void setPoolId(L&, std::uint64_t, long) {}

}  // namespace

struct Placement {
    isc::dhcp::SubnetID subnetId = 0;
    std::optional<std::uint64_t> poolId;  // set only where Kea keeps per-pool statistics
};

namespace {

Placement placementOf(const isc::asiolink::IOAddress& addr) {
    Placement where;
    const auto subnets = isc::dhcp::CfgMgr::instance().getCurrentCfg()->getCfgSubnets4()->getAll();
    for (const auto& subnet : *subnets) {
        if (!subnet->inRange(addr)) continue;
        where.subnetId = subnet->getID();
#if RPI_NETBOOT_KEA_HOOKS_VERSION >= 20400
        const auto pool = subnet->getPool(isc::dhcp::Lease::TYPE_V4, addr, false);
        if (pool) where.poolId = poolIdOf(*pool, 0);
#endif
        break;
    }
    return where;
}

void assignTo(Lease4& lease, const Placement& where) {
    lease.subnet_id_ = where.subnetId;
    if (where.poolId) setPoolId(lease, *where.poolId, 0);
}

MacAddress macOf(const isc::dhcp::HWAddrPtr& hw) {
    MacAddress::Bytes bytes{};
    if (hw && hw->hwaddr_.size() == bytes.size()) {
        std::copy(hw->hwaddr_.begin(), hw->hwaddr_.end(), bytes.begin());
    }
    return MacAddress(bytes);
}

// Two servers on one lease database can hold two different addresses for one Pi at the same
// moment: each allocator picked its own before either hold was written. So after writing its
// hold a server looks for another live lease of the Pi in the subnet, and if there is one it
// gives its own back and drops its OFFER. Each hold is written before it looks, so of two such
// holds at least the later writer sees the other: a Pi is never offered two addresses (both may
// give back; the ROM then asks again).
bool heldElsewhere(const isc::dhcp::LeaseMgr& leases, const Lease4& mine) {
    if (!mine.hwaddr_) return false;
    for (const Lease4Ptr& other : leases.getLease4(*mine.hwaddr_)) {
        if (other && other->subnet_id_ == mine.subnet_id_ && other->addr_ != mine.addr_ &&
            !other->expired() && other->state_ == Lease::STATE_DEFAULT) {
            return true;
        }
    }
    return false;
}

// Writes a changed lease back. Kea's SQL backends update a lease only while it is as it was read
// (its previous expiry): when another server on the same database changed or deleted it meanwhile,
// the update throws NoSuchLease. That is a lost race, not a database failure: false.
bool updated(isc::dhcp::LeaseMgr& leases, const Lease4Ptr& lease) {
    try {
        leases.updateLease4(lease);
        return true;
    } catch (const isc::dhcp::NoSuchLease&) {
        return false;
    }
}

// A copy for use outside the lock, sharing nothing with the lease database.
Lease4Ptr detachedCopy(const Lease4& lease) {
    Lease4Ptr copy(new Lease4(lease));
    if (lease.hwaddr_) copy->hwaddr_.reset(new isc::dhcp::HWAddr(*lease.hwaddr_));
    if (lease.client_id_) copy->client_id_.reset(new isc::dhcp::ClientId(*lease.client_id_));
    if (lease.getContext()) copy->setContext(isc::data::copy(lease.getContext()));
    return copy;
}

// A hold carries its stage in the lease's user context, under "rpi-netboot-hold" (Kea keeps a
// lease's user context and HA's lease4-update copies it: Kea ARM, "lease4-update"), so that an HA
// partner given the hold recognises it as one after a failover and confirms it when the Pi comes
// back at its next stage, as the server that made it would. "expire" ties the mark to this very
// lease write: a lease Kea renewed for a REQUEST (another cltt) is no longer a hold.
// Beside, not inside, the Pi's identity record ("rpi-netboot", pi_registry.h): each has its own
// key, neither replaces the other, and a hold sets both in one change (RomHolds::mark).
const char* const kMarkKey = "rpi-netboot-hold";

struct HoldMark {
    PiModel stage = PiModel::Rom3;
    bool confirmed = false;
};

std::optional<HoldMark> holdMarkOf(const Lease4& lease) {
    using isc::data::Element;
    const auto context = lease.getContext();
    if (!context || context->getType() != Element::map) return std::nullopt;
    const auto mark = context->get(kMarkKey);
    if (!mark || mark->getType() != Element::map) return std::nullopt;
    const auto stage = mark->get("hold-stage");
    const auto confirmed = mark->get("confirmed");
    const auto expire = mark->get("expire");
    if (!stage || stage->getType() != Element::string || !confirmed ||
        confirmed->getType() != Element::boolean || !expire ||
        expire->getType() != Element::integer ||
        expire->intValue() != static_cast<int64_t>(lease.getExpirationTime())) {
        return std::nullopt;
    }
    const auto model = parsePiModel(stage->stringValue());
    if (!model) return std::nullopt;
    return HoldMark{*model, confirmed->boolValue()};
}

HoldRecord recordOf(const MacAddress& mac, const Lease4& lease, isc::dhcp::SubnetID subnet) {
    return HoldRecord{mac, lease.addr_.toUint32(), static_cast<std::uint32_t>(subnet), lease.cltt_,
                      lease.valid_lft_};
}

}  // namespace

RomHolds::RomHolds(HoldLimits limits) : book_(limits) {
    using isc::data::Element;
    for (const PiModel m : kPiModels) {
        stageNames_[static_cast<std::size_t>(m)] = Element::create(std::string(piModelName(m)));
    }
    confirmed_ = Element::create(true);
    unconfirmed_ = Element::create(false);
}

void RomHolds::mark(Lease4& lease, PiModel stage, bool confirmed, const ContextEntry& extra) const {
    using isc::data::Element;
    // Made once: MapElement::set copies its key into the map.
    static const std::string kMark = kMarkKey;
    static const std::string kStage = "hold-stage";
    static const std::string kConfirmed = "confirmed";
    static const std::string kExpire = "expire";
    const auto mark = Element::createMap();
    mark->set(kStage, stageNames_[static_cast<std::size_t>(stage)]);
    mark->set(kConfirmed, confirmed ? confirmed_ : unconfirmed_);
    mark->set(kExpire, Element::create(static_cast<int64_t>(lease.getExpirationTime())));
    lease.setContext(contextWith(lease.getContext(), {{&kMark, mark}, extra}));
}

const std::string& RomHolds::statName(StatName kind, std::uint32_t subnet, std::uint64_t pool) {
    using isc::stats::StatsMgr;
    auto& name = statNames_[std::make_tuple(kind, subnet, pool)];
    if (name.empty()) {
        switch (kind) {
            case StatName::Assigned:
                name = StatsMgr::generateName("subnet", subnet, "assigned-addresses");
                break;
            case StatName::PoolAssigned:
                name = StatsMgr::generateName(
                    "subnet", subnet, StatsMgr::generateName("pool", pool, "assigned-addresses"));
                break;
            case StatName::Unconfirmed:
                name = unconfirmedHoldsStat(subnet);
                break;
        }
    }
    return name;
}

void RomHolds::countAssigned(const Placement& where, std::int64_t delta) {
    // As Kea's allocator (+1) and release (-1) do, so that reclaiming the lease later balances
    // the counts.
    const auto subnet = static_cast<std::uint32_t>(where.subnetId);
    auto& stats = isc::stats::StatsMgr::instance();
    stats.addValue(statName(StatName::Assigned, subnet), delta);
    if (where.poolId) {
        stats.addValue(statName(StatName::PoolAssigned, subnet, *where.poolId), delta);
    }
}

std::string unconfirmedHoldsStat(std::uint32_t subnet) {
    return isc::stats::StatsMgr::generateName("subnet", subnet, "rpi-netboot-unconfirmed-holds");
}

std::size_t RomHolds::release(const std::vector<HoldRecord>& holds,
                              isc::dhcp::Lease4Collection* out) {
    auto& leases = LeaseMgrFactory::instance();
    std::size_t released = 0;
    for (const HoldRecord& hold : holds) {
        const isc::asiolink::IOAddress addr(hold.address);
        const Lease4Ptr lease = leases.getLease4(addr);
        // Only the very lease the hold wrote: if the Pi has since taken it with a REQUEST, or
        // it expired and Kea reclaimed or re-used it, it is not the hook's to give back.
        if (!lease || lease->expired() || lease->stateExpiredReclaimed() ||
            macOf(lease->hwaddr_) != hold.mac || lease->cltt_ != hold.cltt ||
            lease->valid_lft_ != hold.lifetime) {
            continue;
        }
        if (!leases.deleteLease(lease)) continue;
        if (out) out->push_back(detachedCopy(*lease));
        Placement where = placementOf(addr);
        if (where.subnetId == 0) where.subnetId = lease->subnet_id_;
        countAssigned(where, -1);
        ++released;
    }
    return released;
}

HoldResult RomHolds::holdRomOffer(isc::dhcp::Pkt4& response, PiModel stage, LeaseCopies copies,
                                  const LeaseDecorator& decorate) {
    HoldResult result;
    if (copies == LeaseCopies::Make) {
        result.lease.reset(new isc::dhcp::Lease4Collection);
        result.releasedLeases.reset(new isc::dhcp::Lease4Collection);
    }
    const auto& addr = response.getYiaddr();
    const Placement where = placementOf(addr);
    if (where.subnetId == 0) return result;
    result.subnet = static_cast<std::uint32_t>(where.subnetId);

    // Everything that may end up shared with the lease database (the lease and its HWAddr) is
    // made and released under the lock, so their last reference is never dropped beside a
    // database read. The lease gets its own HWAddr: the packet's is freed with the packet.
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto replyHw = response.getHWAddr();
    const isc::dhcp::HWAddrPtr hwaddr(replyHw ? new isc::dhcp::HWAddr(*replyHw) : nullptr);
    const MacAddress mac = macOf(hwaddr);
    const std::uint32_t offered = offeredLifetime(response);
    auto& leases = LeaseMgrFactory::instance();

    const time_t now = time(nullptr);
    Lease4Ptr existing = leases.getLease4(addr);
    const bool sameClient =
        existing && existing->hwaddr_ && hwaddr && *existing->hwaddr_ == *hwaddr;
    // A hold this server did not write but that is marked as one (its HA partner's, replicated
    // before a failover): adopted, so that the Pi's next stage confirms it here.
    if (sameClient && !existing->expired() &&
        !book_.isOurs(recordOf(mac, *existing, where.subnetId))) {
        if (const auto mark = holdMarkOf(*existing)) {
            book_.record(recordOf(mac, *existing, where.subnetId), mark->stage, mark->confirmed,
                         true);
        }
    }
    const HoldPlan plan = book_.plan(mac, stage, result.subnet, offered, now);
    result.confirmed = plan.confirmed;
    result.lifetime = plan.lifetime;
    result.released = release(plan.release, result.releasedLeases.get());

    const auto finish = [&](HoldOutcome outcome, const Lease4& lease, bool ours) {
        result.outcome = outcome;
        if (result.lease) result.lease->push_back(detachedCopy(lease));
        result.capReached =
            book_.record(recordOf(mac, lease, where.subnetId), stage, plan.confirmed, ours);
        result.unconfirmed = book_.unconfirmed(result.subnet);
        isc::stats::StatsMgr::instance().setValue(statName(StatName::Unconfirmed, result.subnet),
                                                  static_cast<int64_t>(result.unconfirmed));
        return result;
    };

    // The hold's mark and what else the lease about to be written carries, in one change.
    const auto markLease = [&](Lease4& lease) {
        ContextEntry extra;
        if (decorate) {
            extra = decorate(lease);
            result.decorated = true;
        }
        mark(lease, stage, plan.confirmed, extra);
    };

    // Gives back a hold just written (counted) that lost to another server's (heldElsewhere).
    const auto yield = [&](const Lease4Ptr& lease) {
        if (leases.deleteLease(lease)) countAssigned(where, -1);
        result.outcome = HoldOutcome::Conflict;
        return result;
    };

    if (!existing) {
        Lease4Ptr lease(
            new Lease4(addr, hwaddr, isc::dhcp::ClientIdPtr(), plan.lifetime, now, where.subnetId));
        assignTo(*lease, where);
        markLease(*lease);
        // addLease fails if another thread added this address meanwhile.
        if (!leases.addLease(lease)) {
            result.outcome = HoldOutcome::Conflict;
            return result;
        }
        countAssigned(where, 1);
        if (heldElsewhere(leases, *lease)) return yield(lease);
        return finish(HoldOutcome::Held, *lease, true);
    }
    if (!sameClient && !existing->expired()) {
        result.outcome = HoldOutcome::Conflict;
        return result;
    }
    if (sameClient && !existing->expired()) {
        // Another server may be giving back a hold of this Pi at another address right now
        // (heldElsewhere): until one of the two is gone, offering either could be the second
        // address the Pi is offered.
        if (heldElsewhere(leases, *existing)) {
            result.outcome = HoldOutcome::Conflict;
            return result;
        }
        // A hold of the hook's own is renewed (a ROM retry, or the Pi's next stage). Any other
        // lease is Kea's (a REQUEST's, or Kea 2.4+'s offer-lifetime lease for this very OFFER):
        // neither lengthened nor shortened, and never counted again.
        const bool ours = book_.isOurs(recordOf(mac, *existing, where.subnetId));
        // A hold renewed moments ago (less than an eighth of its lifetime) is left as it is: the
        // ROM asks every 5 s and each renewal is a lease database write, while the hold still
        // outlasts the next query by far. A change of lifetime (confirmation) is always written.
        const bool fresh = existing->valid_lft_ == plan.lifetime &&
                           existing->getExpirationTime() + static_cast<time_t>(plan.lifetime / 8) >=
                               now + static_cast<time_t>(plan.lifetime);
        if (ours && !fresh) {
            existing->cltt_ = now;
            existing->valid_lft_ = plan.lifetime;
            markLease(*existing);
            if (!updated(leases, existing)) {
                result.outcome = HoldOutcome::Conflict;
                return result;
            }
        } else if (ours) {
            result.lifetime = static_cast<std::uint32_t>(existing->getExpirationTime() - now);
        } else {
            result.lifetime = static_cast<std::uint32_t>(
                std::max<time_t>(0, existing->getExpirationTime() - now));
        }
        return finish(HoldOutcome::Refreshed, *existing, ours);
    }
    // An expired lease (this Pi's or another client's): take it over for this Pi.
    const bool counted = !existing->stateExpiredReclaimed();
    existing->hwaddr_ = hwaddr;
    existing->client_id_.reset();
    existing->cltt_ = now;
    existing->valid_lft_ = plan.lifetime;
    assignTo(*existing, where);
    existing->hostname_.clear();
    existing->fqdn_fwd_ = existing->fqdn_rev_ = false;
    existing->state_ = Lease::STATE_DEFAULT;
    markLease(*existing);
    if (!updated(leases, existing)) {
        result.outcome = HoldOutcome::Conflict;
        return result;
    }
    if (!counted) countAssigned(where, 1);
    if (heldElsewhere(leases, *existing)) return yield(existing);
    return finish(HoldOutcome::Held, *existing, true);
}

void RomHolds::removeStats() {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const auto subnet : book_.subnets()) {
        isc::stats::StatsMgr::instance().del(unconfirmedHoldsStat(subnet));
    }
}

}  // namespace rpinetboot::kea
