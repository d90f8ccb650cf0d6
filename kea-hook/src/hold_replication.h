// Sending the hook's holds to a Kea High Availability partner through Kea's own HA hook.
//
// Kea's HA hook (libdhcp_ha.so) sends the partner a lease only from its leases4_committed callout,
// which kea-dhcp4 runs for a DHCPREQUEST, never for a DISCOVER; offer-lifetime leases are not sent
// either (Kea ARM, "Temporary Allocation on DHCPDISCOVER": "Updates are not sent to HA peers").
// A hold is the lease a Pi 3B ROM or bootcode.bin takes with no REQUEST, so the hook hands it to
// every library's leases4_committed callouts itself, with the arguments kea-dhcp4 passes there
// (query4, response4, leases4, deleted_leases4) and the packet parked in that hook point's parking
// lot, as kea-dhcp4 parks a REQUEST. The HA hook then does for a hold what it does for an ACK: it
// sends lease4-update (and lease4-del for released holds) to the partner with its own peers, TLS
// and credentials, and unparks the packet once the partner answered, or drops it when the partner
// did not. The OFFER therefore leaves only after the partner has the hold, or not at all; in
// partner-down (no update is due) it leaves at once and the partner gets the hold from HA's lease
// sync when it returns. docs/kea.md, "High Availability", has the sources and the per-version
// facts.
#pragma once

#include <dhcp/pkt4.h>
#include <dhcpsrv/lease.h>
#include <hooks/callout_handle.h>

#include <functional>

namespace rpinetboot::kea {

// What becomes of a held OFFER once the leases4_committed callouts have seen its hold.
enum class OfferStep {
    SendNow,    // no library wants it, or none sends an update now (e.g. HA in partner-down)
    SendOnAck,  // a library parked it: it leaves when every library has unparked it
    Drop,       // a library dropped it
};

// The step for the callouts' verdict. `ran`: callouts were present and called.
OfferStep offerStepFor(bool ran, isc::hooks::CalloutHandle::CalloutNextStep status);

class HoldReplication {
  public:
    // Finds the leases4_committed hook point (kea-dhcp4 registers it before loading libraries).
    HoldReplication();

    // Whether some library has a leases4_committed callout (the HA hook has one).
    bool wanted() const;

    // Runs the leases4_committed callouts for `response` (standing in for its query: the
    // callouts see it as query4) with `held` as leases4 and `released` as deleted_leases4.
    // SendOnAck: `send` is called once, by the library that unparks the packet last (possibly on
    // another thread, possibly before this returns); it is never called for another step.
    OfferStep replicate(const isc::dhcp::Pkt4Ptr& response,
                        const isc::dhcp::Lease4CollectionPtr& held,
                        const isc::dhcp::Lease4CollectionPtr& released,
                        const std::function<void()>& send) const;

  private:
    int hookIndex_ = -1;
};

// Sends an OFFER (or an ACK whose identity record was replicated) that waited for the partner
// (packed already: buffer4_send) as kea-dhcp4 sends one, counting it in pkt4-sent and
// pkt4-offer-sent or pkt4-ack-sent as kea-dhcp4 does. Never throws.
void sendHeldOffer(const isc::dhcp::Pkt4Ptr& response);

}  // namespace rpinetboot::kea
