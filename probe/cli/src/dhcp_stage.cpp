// DHCP as the emulated Pi does it: the model's exact DISCOVER from the core library, every
// OFFER in the window judged by probe/checks, then REQUEST/ACK only where the model sends one.
#include <algorithm>

#include "rpinetboot/classify.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/probe/offer_check.h"
#include "rpinetboot/probe/raw_dhcp_client.h"
#include "stages.h"

namespace rpinetboot::probe {

namespace {

constexpr std::size_t kMaxReplies = 32;
constexpr std::uint8_t kDhcpAck = 5, kDhcpNak = 6;

std::string hex32(std::uint32_t v) {
    static const char digits[] = "0123456789abcdef";
    std::string s = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 15];
    return s;
}

const char* shapeName(DiscoverShape s) {
    switch (s) {
        case DiscoverShape::A:
            return "A";
        case DiscoverShape::B:
            return "B";
        case DiscoverShape::C:
            return "C";
    }
    return "?";
}

// docs/protocol/dhcp.md: the boot ROM and bootcode.bin send IP ttl 128, id 0 and UDP checksum 0.
// What the EEPROM bootloader does is unconfirmed; it is sent with an ordinary checksum.
Framing framingFor(PiModel model) {
    Framing f;
    if (shapeOf(model) == DiscoverShape::C) {
        f.ttl = 64;
        f.udp_checksum = true;
    }
    return f;
}

std::string firstFailure(const OfferAssessment& a) {
    for (const auto& f : a.findings) {
        if (f.verdict == Verdict::Fail) return f.code;
    }
    return "";
}

std::string describeOffer(const OfferAssessment& a) {
    std::string s = "address " + ipv4ToString(a.yiaddr);
    if (a.tftp_server != 0) {
        s += ", TFTP " + ipv4ToString(a.tftp_server) + " (" + a.tftp_server_source + ")";
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

    std::vector<OfferAssessment> offers;
    std::vector<const DhcpReply*> offer_replies;
    for (const auto& r : replies) {
        if (r.packet.messageType() != 2) continue;  // only OFFERs answer a DISCOVER
        // Several servers, or one answering twice: keep one assessment per server.
        const bool seen = std::any_of(offer_replies.begin(), offer_replies.end(),
                                      [&](const DhcpReply* o) { return o->src_ip == r.src_ip; });
        if (seen) continue;
        offers.push_back(assessOffer(r.packet, model, r.src_ip));
        offer_replies.push_back(&r);
        if (!r.udp_checksum_ok && shapeOf(model) == DiscoverShape::C) {
            // Checksums left to offload (veth, local senders) are recognised through
            // PACKET_AUXDATA and not counted here: this one was wrong on the wire.
            report.finding({Verdict::Fail, "bad-udp-checksum",
                            "The OFFER from " + ipv4ToString(r.src_ip) +
                                " arrived with a wrong UDP checksum; the Pi 4 EEPROM "
                                "bootloader drops such replies."},
                           "dhcp");
        }
    }
    if (offers.empty()) {
        report.step("dhcp", "OFFER", Verdict::Fail, "none within the window");
        report.finding({Verdict::Fail, "no-offer",
                        "No DHCP server answered the " + std::string(piModelName(model)) +
                            " DISCOVER on " + opt.interface +
                            ". Check that a DHCP server serves this network (or a relay forwards "
                            "to it), that it accepts UDP with checksum 0, and that it has "
                            "addresses left."},
                       "dhcp");
        return std::nullopt;
    }
    const OfferChoice choice = chooseOffers(offers);
    const int chosen = choice.boot;
    for (std::size_t i = 0; i < offers.size(); ++i) {
        const auto& a = offers[i];
        const std::string server = ipv4ToString(offer_replies[i]->src_ip);
        const bool is_boot = static_cast<int>(i) == chosen;
        const bool is_address = static_cast<int>(i) == choice.address;
        const bool is_chosen = is_boot || is_address;
        report.step("dhcp", "OFFER from " + server,
                    is_chosen ? Verdict::Ok : (a.netboot ? Verdict::Warn : Verdict::Fail),
                    describeOffer(a) + (is_boot && is_address ? ", chosen"
                                        : is_boot             ? ", chosen for booting"
                                        : is_address          ? ", chosen for the address"
                                                              : ""));
        report.offer({server, ipv4ToString(a.yiaddr),
                      a.tftp_server ? ipv4ToString(a.tftp_server) : "", a.tftp_server_source,
                      a.netboot, is_chosen});
        if (is_boot || chosen < 0) {
            for (const auto& f : a.findings) report.finding(f, "dhcp");
        } else if (is_address) {
            report.finding({Verdict::Info, "address-offer",
                            "The Pi takes its address " + ipv4ToString(a.yiaddr) + " from " +
                                server + " and its boot options from the proxyDHCP reply."},
                           "dhcp");
        } else {
            const std::string why = firstFailure(a);
            report.finding({Verdict::Info, "offer-ignored",
                            "The Pi ignores the OFFER from " + server +
                                (why.empty() ? std::string(" (another server answered first)")
                                             : " (" + why + ")") +
                                "."},
                           "dhcp");
        }
    }
    if (chosen < 0) return std::nullopt;
    const OfferAssessment& best = offers[static_cast<std::size_t>(chosen)];
    if (choice.address < 0) {
        report.finding({Verdict::Fail, "proxy-without-address",
                        "Only a proxyDHCP server answered (boot options, no address); no DHCP "
                        "server offered the Pi an address."},
                       "dhcp");
        return std::nullopt;
    }
    const auto address_index = static_cast<std::size_t>(choice.address);
    const OfferAssessment& lease = offers[address_index];
    DhcpOutcome out{lease.yiaddr, best.tftp_server};
    report.address = ipv4ToString(lease.yiaddr);
    report.tftp_server = ipv4ToString(best.tftp_server);

    if (!sendsRequest(model)) {
        report.step("dhcp", "no REQUEST", Verdict::Ok,
                    std::string(piModelName(model)) + " uses the OFFER directly");
        return out;
    }
    // The REQUEST goes to the server whose address the Pi takes (RFC 2131 4.3.2).
    const std::uint32_t server_id =
        lease.server_id ? lease.server_id : offer_replies[address_index]->src_ip;
    const Bytes request = buildRequest(opt.pi, lease.yiaddr, server_id);
    client.send(opt.pi.mac, request, framingFor(model));
    report.step("dhcp", "REQUEST", Verdict::Ok,
                ipv4ToString(lease.yiaddr) + " from " + ipv4ToString(server_id));
    // Only the chosen server answers a REQUEST (RFC 2131 4.3.2): the first reply is enough.
    for (const auto& r : client.collect(xid, opt.pi.mac, opt.timeout, 1)) {
        const auto type = r.packet.messageType();
        if (type == kDhcpAck && r.packet.yiaddr == lease.yiaddr) {
            report.step("dhcp", "ACK from " + ipv4ToString(r.src_ip), Verdict::Ok,
                        "address " + ipv4ToString(r.packet.yiaddr));
            return out;
        }
        if (type == kDhcpNak) {
            report.step("dhcp", "NAK from " + ipv4ToString(r.src_ip), Verdict::Fail, "");
            report.finding({Verdict::Fail, "dhcp-nak",
                            "The server " + ipv4ToString(r.src_ip) + " refused (DHCPNAK) the " +
                                "address " + ipv4ToString(lease.yiaddr) + " it had offered."},
                           "dhcp");
            return std::nullopt;
        }
    }
    report.step("dhcp", "ACK", Verdict::Fail, "none within the window");
    report.finding(
        {Verdict::Fail, "no-ack",
         "The server " + ipv4ToString(server_id) + " offered " + ipv4ToString(lease.yiaddr) +
             " but did not acknowledge the Pi's DHCPREQUEST; the Pi retries and does "
             "not boot."},
        "dhcp");
    return std::nullopt;
}

}  // namespace rpinetboot::probe
