// What the Pi makes of the DHCP exchange as a whole: which OFFER it boots from, which one gives it
// its address, and what the answer to its DHCPREQUEST means. The probe's DHCP stage records the
// replies (plain facts) and asks these functions; no sockets here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/pi_model.h"
#include "rpinetboot/probe/findings.h"
#include "rpinetboot/probe/offer_check.h"

namespace rpinetboot::probe {

// One reply as it arrived.
struct ReplyFact {
    DhcpPacket packet;
    std::uint32_t srcIp = 0;    // IP source address (host order)
    bool udpChecksumOk = true;  // false: wrong on the wire (offloaded checksums count as right)
};

// What the Pi makes of the OFFERs of one DISCOVER.
struct OfferRound {
    std::vector<ReplyFact> offers;        // the first OFFER of each server, in arrival order
    std::vector<OfferAssessment> judged;  // one per offer
    OfferChoice choice;                   // indices into offers
    std::vector<Finding> findings;        // in the order the report lists them
};

// `replies`: everything that answered the DISCOVER, in arrival order (non-OFFERs are skipped;
// several servers, or one answering twice, give one OFFER per server). `interface` names the
// probe's interface in messages.
OfferRound judgeOffers(PiModel model, const std::vector<ReplyFact>& replies,
                       const std::string& interface);

// The first failure's code of an offer, empty when it has none (for the timeline).
std::string firstFailure(const OfferAssessment& a);

// The answer to the DHCPREQUEST for `requestedIp` sent to `serverId`.
struct RequestFact {
    std::uint32_t requestedIp = 0;
    std::uint32_t serverId = 0;
    std::optional<ReplyFact> reply;  // the first reply, none within the window
};
enum class RequestOutcome { Ack, Nak, NoAnswer };
RequestOutcome requestOutcome(const RequestFact& fact);

// nullopt when the server acknowledged the offered address.
std::optional<Finding> judgeRequest(const RequestFact& fact);

}  // namespace rpinetboot::probe
