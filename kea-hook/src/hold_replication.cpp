#include "hold_replication.h"

#include <dhcp/dhcp4.h>
#include <dhcp/iface_mgr.h>
#include <hooks/hooks_manager.h>
#include <hooks/server_hooks.h>
#include <stats/stats_mgr.h>

#include <exception>

#include "hook_log.h"
#include "hook_stats.h"

namespace rpinetboot::kea {

using isc::hooks::CalloutHandle;
using isc::hooks::HooksManager;

namespace {
// The hook point, and its parking lot, that kea-dhcp4 uses for a committed lease (Kea Hooks
// Developer's Guide, "leases4_committed"; the same name on 2.2 to 3.0).
const char* const kCommitted = "leases4_committed";
}  // namespace

OfferStep offerStepFor(bool ran, CalloutHandle::CalloutNextStep status) {
    if (!ran) return OfferStep::SendNow;
    switch (status) {
        case CalloutHandle::NEXT_STEP_PARK:
            return OfferStep::SendOnAck;
        case CalloutHandle::NEXT_STEP_DROP:
            return OfferStep::Drop;
        default:
            // CONTINUE, or SKIP, which kea-dhcp4 treats like CONTINUE at this hook point.
            return OfferStep::SendNow;
    }
}

HoldReplication::HoldReplication()
    : hookIndex_(isc::hooks::ServerHooks::getServerHooks().findIndex(kCommitted)) {}

bool HoldReplication::wanted() const {
    return hookIndex_ >= 0 && HooksManager::calloutsPresent(hookIndex_);
}

OfferStep HoldReplication::replicate(const isc::dhcp::Pkt4Ptr& response,
                                     const isc::dhcp::Lease4CollectionPtr& held,
                                     const isc::dhcp::Lease4CollectionPtr& released,
                                     const std::function<void()>& send) const {
    if (!wanted() || (held->empty() && released->empty())) return offerStepFor(false, {});
    // A handle of its own: the packet's handle is in the middle of its own hook point.
    const auto handle = HooksManager::createCalloutHandle();
    handle->setArgument("query4", response);
    // Kea 3.0 passes the reply as well (lease_cmds' binding variables read it there).
    handle->setArgument("response4", response);
    handle->setArgument("leases4", held);
    handle->setArgument("deleted_leases4", released);
    // Parked before the callouts run, as kea-dhcp4 does: a callout takes a reference to it and
    // may unpark it on another thread before callCallouts returns.
    HooksManager::park(kCommitted, response, send);
    try {
        HooksManager::callCallouts(hookIndex_, *handle);
    } catch (...) {
        HooksManager::drop(kCommitted, response);
        throw;
    }
    const OfferStep step = offerStepFor(true, handle->getStatus());
    // Not parked by any callout: nothing will unpark it; `send` must not run.
    if (step != OfferStep::SendOnAck) HooksManager::drop(kCommitted, response);
    return step;
}

void sendHeldOffer(const isc::dhcp::Pkt4Ptr& response) {
    try {
        isc::dhcp::IfaceMgr::instance().send(response);
        auto& stats = isc::stats::StatsMgr::instance();
        stats.addValue("pkt4-sent", static_cast<std::int64_t>(1));
        if (response->getType() == isc::dhcp::DHCPOFFER) {
            stats.addValue("pkt4-offer-sent", static_cast<std::int64_t>(1));
            stats::add(stats::kRomPartnerAcked);
        } else if (response->getType() == isc::dhcp::DHCPACK) {
            // An ACK that waited for the partner to store its identity record (callouts.cpp).
            stats.addValue("pkt4-ack-sent", static_cast<std::int64_t>(1));
        }
        LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_HOLD_REPLICATED)
            .arg(response->getLabel())
            .arg(response->getYiaddr().toText());
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_HELD_OFFER_SEND_FAILED)
            .arg(response->getLabel())
            .arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_HELD_OFFER_SEND_FAILED)
            .arg(response->getLabel())
            .arg("unknown error");
    }
}

}  // namespace rpinetboot::kea
