#include "rpinetboot/probe/dhcp_check.h"

#include <algorithm>

namespace rpinetboot::probe {

namespace {

constexpr std::uint8_t kDhcpOffer = 2, kDhcpAck = 5, kDhcpNak = 6;

}  // namespace

std::string firstFailure(const OfferAssessment& a) {
    for (const auto& f : a.findings) {
        if (f.verdict == Verdict::Fail) return std::string(f.code);
    }
    return "";
}

OfferRound judgeOffers(PiModel model, const std::vector<ReplyFact>& replies,
                       const std::string& interface) {
    OfferRound round;
    for (const auto& r : replies) {
        if (r.packet.messageType() != kDhcpOffer) continue;  // only OFFERs answer a DISCOVER
        const bool seen = std::any_of(round.offers.begin(), round.offers.end(),
                                      [&](const ReplyFact& o) { return o.srcIp == r.srcIp; });
        if (seen) continue;
        round.offers.push_back(r);
        round.judged.push_back(assessOffer(r.packet, model, r.srcIp));
        // The EEPROM bootloader checks UDP checksums; the ROM stages send and accept zero.
        if (!r.udpChecksumOk && shapeOf(model) == DiscoverShape::C) {
            round.findings.push_back(
                makeFinding(FindingId::BadUdpChecksum, {ipv4ToString(r.srcIp)}));
        }
    }
    if (round.offers.empty()) {
        round.findings.push_back(
            makeFinding(FindingId::NoOffer, {std::string(piModelName(model)), interface}));
        return round;
    }
    round.choice = chooseOffers(round.judged);
    for (std::size_t i = 0; i < round.offers.size(); ++i) {
        const auto index = static_cast<int>(i);
        const OfferAssessment& a = round.judged[i];
        const std::string server = ipv4ToString(round.offers[i].srcIp);
        if (index == round.choice.boot || round.choice.boot < 0) {
            // The offer the Pi boots from (or, when it boots from none, every offer) in detail.
            round.findings.insert(round.findings.end(), a.findings.begin(), a.findings.end());
        } else if (index == round.choice.address) {
            round.findings.push_back(
                makeFinding(FindingId::AddressOffer, {ipv4ToString(a.yiaddr), server}));
        } else {
            const std::string why = firstFailure(a);
            round.findings.push_back(makeFinding(
                FindingId::OfferIgnored,
                {server, why.empty() ? std::string("another server answered first") : why}));
        }
    }
    if (round.choice.boot >= 0 && round.choice.address < 0) {
        round.findings.push_back(makeFinding(FindingId::ProxyWithoutAddress));
    }
    return round;
}

RequestOutcome requestOutcome(const RequestFact& fact) {
    if (!fact.reply) return RequestOutcome::NoAnswer;
    const auto type = fact.reply->packet.messageType();
    if (type == kDhcpAck && fact.reply->packet.yiaddr == fact.requestedIp) {
        return RequestOutcome::Ack;
    }
    if (type == kDhcpNak) return RequestOutcome::Nak;
    return RequestOutcome::NoAnswer;
}

std::optional<Finding> judgeRequest(const RequestFact& fact) {
    switch (requestOutcome(fact)) {
        case RequestOutcome::Ack:
            return std::nullopt;
        case RequestOutcome::Nak:
            return makeFinding(FindingId::DhcpNak,
                               {ipv4ToString(fact.reply->srcIp), ipv4ToString(fact.requestedIp)});
        case RequestOutcome::NoAnswer:
            break;
    }
    return makeFinding(FindingId::NoAck,
                       {ipv4ToString(fact.serverId), ipv4ToString(fact.requestedIp)});
}

}  // namespace rpinetboot::probe
