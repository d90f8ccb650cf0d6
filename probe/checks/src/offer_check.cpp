#include "rpinetboot/probe/offer_check.h"

#include <algorithm>
#include <cctype>

#include "rpinetboot/option43.h"

namespace rpinetboot::probe {

namespace {

constexpr std::uint8_t kServerIdentifier = 54;
constexpr std::uint8_t kDhcpOffer = 2;

void add(OfferAssessment& a, Verdict v, std::string code, std::string message) {
    a.findings.push_back({v, std::move(code), std::move(message)});
}

bool printable(const Bytes& b) {
    return std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c >= 0x20 && c < 0x7f; });
}

// Option 66 must be dotted-quad text: the Pi has no resolver (facts section 1).
void checkTftpServer(OfferAssessment& a, const DhcpPacket& offer, std::uint32_t source_ip) {
    if (const Bytes* o66 = offer.option(kOptionTftpServerName)) {
        Bytes text = *o66;
        if (!text.empty() && text.back() == 0) {
            text.pop_back();
            add(a, Verdict::Warn, "option66-nul",
                "Option 66 ends in a NUL byte; some Pi firmware mis-reads it. Send the address "
                "without a terminator.");
        }
        if (!printable(text)) {
            add(a, Verdict::Fail, "option66-binary",
                "Option 66 holds binary bytes, not text. The Pi reads option 66 as dotted-quad "
                "text "
                "such as \"192.0.2.1\"; configure it as a string.");
            return;
        }
        const std::string s(text.begin(), text.end());
        if (auto ip = parseIpv4(s)) {
            a.tftp_server = *ip;
            a.tftp_server_source = "option 66";
            return;
        }
        add(a, Verdict::Fail, "option66-hostname",
            "Option 66 is \"" + s +
                "\", which is not a dotted-quad address; the Pi has no DNS resolver. Use the TFTP "
                "server's IPv4 address.");
        return;
    }
    if (a.server_id != 0) {
        a.tftp_server = a.server_id;
        a.tftp_server_source = "option 54";
    } else {
        a.tftp_server = source_ip;
        a.tftp_server_source = "source address";
    }
    add(a, Verdict::Info, "no-option-66",
        "No option 66: the Pi will use " + ipv4ToString(a.tftp_server) + " (" +
            a.tftp_server_source + ") as its TFTP server.");
}

}  // namespace

OfferAssessment assessOffer(const DhcpPacket& offer, PiModel model, std::uint32_t source_ip) {
    OfferAssessment a;
    a.yiaddr = offer.yiaddr;
    a.proxy = offer.yiaddr == 0;
    if (const Bytes* sid = offer.option(kServerIdentifier); sid && sid->size() == 4) {
        a.server_id = static_cast<std::uint32_t>((*sid)[0]) << 24 | (*sid)[1] << 16 |
                      (*sid)[2] << 8 | (*sid)[3];
    }
    if (offer.messageType() != kDhcpOffer) {
        add(a, Verdict::Fail, "not-an-offer", "The reply is not a DHCPOFFER.");
        return a;
    }
    const Bytes* o43 = offer.option(kOptionVendorEncapsulated);
    if (!o43) {
        add(a, Verdict::Fail, "no-option-43",
            "The OFFER from " + ipv4ToString(source_ip) +
                " has no option 43, so the Pi will not network-boot from it. The DHCP server must "
                "send the PXE vendor options with the text \"Raspberry Pi Boot\" to Pis.");
    } else {
        std::string error;
        auto decoded = decodeOption43(*o43, &error);
        const std::string menu = decoded && decoded->menu_text ? *decoded->menu_text : "";
        if (!decoded || menu.find(kDefaultMenuText) == std::string::npos) {
            add(a, Verdict::Fail, "no-pi-boot-text",
                "Option 43 does not carry the menu text \"Raspberry Pi Boot\"" +
                    (decoded ? std::string() : " (" + error + ")") +
                    "; the Pi ignores the OFFER. It is probably another vendor's option 43.");
        } else if (facts(model).needs_padded_menu && menu.size() < kDefaultMenuText.size() + 3) {
            add(a, Verdict::Fail, "no-rom-padding",
                "Option 43's menu text is not padded with three spaces; the Pi 3B boot ROM "
                "miscounts its length and will not boot. Send \"Raspberry Pi Boot   \" to it.");
        } else {
            a.netboot = true;
            add(a, Verdict::Ok, "option-43", "Option 43 carries \"" + menu + "\".");
        }
    }
    if (a.server_id == 0) {
        add(a, Verdict::Warn, "no-option-54",
            "The OFFER from " + ipv4ToString(source_ip) +
                " has no server identifier (option 54), which RFC 2131 requires; a Pi 4 or 5 "
                "names it in its DHCPREQUEST and, without option 66, fetches from it.");
    }
    if (!offer.option(kOptionVendorClass)) {
        add(a, Verdict::Warn, "no-option-60",
            "The OFFER has no option 60 \"PXEClient\"; dnsmasq and the Pi documentation send it.");
    }
    if (a.proxy) {
        add(a, Verdict::Info, "proxy-offer",
            "The OFFER from " + ipv4ToString(source_ip) +
                " carries no address (a proxyDHCP reply); the Pi needs another server's OFFER "
                "for its address.");
    }
    checkTftpServer(a, offer, source_ip);
    if (offer.siaddr != 0 && a.tftp_server != 0 && offer.siaddr != a.tftp_server) {
        add(a, Verdict::Warn, "siaddr-ignored",
            "next-server (siaddr) is " + ipv4ToString(offer.siaddr) +
                " but the Pi ignores it and will use " + ipv4ToString(a.tftp_server) +
                "; set option 66 instead.");
    }
    if (offer.has_pad && shapeOf(model) == DiscoverShape::C) {
        add(a, Verdict::Warn, "pad-options",
            "The OFFER contains pad options; Pi 4 EEPROMs released before 2020-01 drop such "
            "replies.");
    }
    return a;
}

int chooseOffer(const std::vector<OfferAssessment>& offers) {
    for (std::size_t i = 0; i < offers.size(); ++i) {
        if (offers[i].netboot && sound(offers[i].findings)) return static_cast<int>(i);
    }
    return -1;
}

OfferChoice chooseOffers(const std::vector<OfferAssessment>& offers) {
    OfferChoice choice;
    choice.boot = chooseOffer(offers);
    if (choice.boot < 0) return choice;
    if (!offers[static_cast<std::size_t>(choice.boot)].proxy) {
        choice.address = choice.boot;
        return choice;
    }
    for (std::size_t i = 0; i < offers.size(); ++i) {
        if (!offers[i].proxy && offers[i].yiaddr != 0) {
            choice.address = static_cast<int>(i);
            break;
        }
    }
    return choice;
}

}  // namespace rpinetboot::probe
