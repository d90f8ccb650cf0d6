// DHCP as the emulated Pi does it: the model's exact DISCOVER from the core library, the replies
// in the window recorded and judged by probe/checks (dhcp_check.h), then REQUEST/ACK only where
// the model sends one. This file sends, receives and writes the timeline; it decides nothing.
#include "rpinetboot/classify.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/probe/dhcp_check.h"
#include "rpinetboot/probe/raw_dhcp_client.h"
#include "stages.h"

namespace rpinetboot::probe {

namespace {

constexpr std::size_t kMaxReplies = 32;

std::string hex32(std::uint32_t v) {
    static const char digits[] = "0123456789abcdef";
    std::string s = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 15];
    return s;
}

// docs/protocol/dhcp.md: the boot ROM and bootcode.bin send IP ttl 128, id 0 and UDP checksum 0.
// What the EEPROM bootloader does is unconfirmed; it is sent with an ordinary checksum.
Framing framingFor(PiModel model) {
    Framing f;
    if (shapeOf(model) == DiscoverShape::C) {
        f.ttl = 64;
        f.udpChecksum = true;
    }
    return f;
}

ReplyFact factOf(const DhcpReply& r) {
    return {r.packet, r.srcIp, r.udpChecksumOk};
}

std::string describeOffer(const OfferAssessment& a) {
    std::string s = "address " + ipv4ToString(a.yiaddr);
    if (a.tftpServer != 0) {
        s += ", TFTP " + ipv4ToString(a.tftpServer) + " (" + a.tftpServerSource + ")";
    }
    const std::string fail = firstFailure(a);
    return s + (fail.empty() ? "" : ", " + fail);
}

}  // namespace

std::optional<DhcpOutcome> runDhcp(const ProbeOptions& opt, Report& report) {
    const PiModel model = opt.pi.model;
    const Bytes discover = buildDiscover(opt.pi);
    const std::uint32_t xid = shapeOf(model) == DiscoverShape::C ? opt.pi.xid : kRomXid;
    RawDhcpClient client(opt.interface);

    std::vector<DhcpReply> replies;
    for (int attempt = 1; attempt <= 2 && replies.empty(); ++attempt) {
        client.send(opt.pi.mac, discover, framingFor(model));
        report.step("dhcp", "DISCOVER", Verdict::Ok,
                    std::string("shape ") + shapeName(shapeOf(model)) + ", " +
                        std::to_string(discover.size()) + " bytes, xid " + hex32(xid) +
                        (attempt > 1 ? ", again" : ""));
        replies = client.collect(xid, opt.pi.mac, opt.timeout, kMaxReplies);
    }
    std::vector<ReplyFact> facts;
    for (const auto& r : replies) facts.push_back(factOf(r));

    const OfferRound round = judgeOffers(model, facts, opt.interface);
    for (const auto& f : round.findings) report.finding(f, "dhcp");
    if (round.offers.empty()) {
        report.step("dhcp", "OFFER", Verdict::Fail, "none within the window");
        return std::nullopt;
    }
    const OfferChoice choice = round.choice;
    for (std::size_t i = 0; i < round.offers.size(); ++i) {
        const auto& a = round.judged[i];
        const std::string server = ipv4ToString(round.offers[i].srcIp);
        const bool isBoot = static_cast<int>(i) == choice.boot;
        const bool isAddress = static_cast<int>(i) == choice.address;
        const bool isChosen = isBoot || isAddress;
        report.step("dhcp", "OFFER from " + server,
                    isChosen ? Verdict::Ok : (a.netboot ? Verdict::Warn : Verdict::Fail),
                    describeOffer(a) + (isBoot && isAddress ? ", chosen"
                                        : isBoot            ? ", chosen for booting"
                                        : isAddress         ? ", chosen for the address"
                                                            : ""));
        report.offer({server, ipv4ToString(a.yiaddr),
                      a.tftpServer ? ipv4ToString(a.tftpServer) : "", a.tftpServerSource, a.netboot,
                      isChosen});
    }
    if (choice.boot < 0 || choice.address < 0) return std::nullopt;
    const OfferAssessment& best = round.judged[static_cast<std::size_t>(choice.boot)];
    const auto addressIndex = static_cast<std::size_t>(choice.address);
    const OfferAssessment& lease = round.judged[addressIndex];
    DhcpOutcome out{lease.yiaddr, best.tftpServer};
    report.address = ipv4ToString(lease.yiaddr);
    report.tftpServer = ipv4ToString(best.tftpServer);

    if (!sendsRequest(model)) {
        report.step("dhcp", "no REQUEST", Verdict::Ok,
                    std::string(piModelName(model)) + " uses the OFFER directly");
        return out;
    }
    // The REQUEST goes to the server whose address the Pi takes (RFC 2131 4.3.2).
    RequestFact request;
    request.requestedIp = lease.yiaddr;
    request.serverId = lease.serverId ? lease.serverId : round.offers[addressIndex].srcIp;
    client.send(opt.pi.mac, buildRequest(opt.pi, request.requestedIp, request.serverId),
                framingFor(model));
    report.step("dhcp", "REQUEST", Verdict::Ok,
                ipv4ToString(request.requestedIp) + " from " + ipv4ToString(request.serverId));
    // Only the chosen server answers a REQUEST (RFC 2131 4.3.2): the first reply is enough.
    for (const auto& r : client.collect(xid, opt.pi.mac, opt.timeout, 1)) {
        request.reply = factOf(r);
    }
    const std::string from = request.reply ? ipv4ToString(request.reply->srcIp) : "";
    switch (requestOutcome(request)) {
        case RequestOutcome::Ack:
            report.step("dhcp", "ACK from " + from, Verdict::Ok,
                        "address " + ipv4ToString(request.reply->packet.yiaddr));
            return out;
        case RequestOutcome::Nak:
            report.step("dhcp", "NAK from " + from, Verdict::Fail, "");
            break;
        case RequestOutcome::NoAnswer:
            report.step("dhcp", "ACK", Verdict::Fail, "none within the window");
            break;
    }
    if (auto f = judgeRequest(request)) report.finding(*f, "dhcp");
    return std::nullopt;
}

}  // namespace rpinetboot::probe
