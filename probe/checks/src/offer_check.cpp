#include "rpinetboot/probe/offer_check.h"

#include <algorithm>
#include <cctype>

#include "rpinetboot/option43.h"

namespace rpinetboot::probe {

namespace {

constexpr std::uint8_t kDhcpOffer = 2;

void add(OfferAssessment& a, FindingId id, std::initializer_list<std::string> args = {}) {
    a.findings.push_back(makeFinding(id, args));
}

bool printable(const Bytes& b) {
    return std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c >= 0x20 && c < 0x7f; });
}

// Option 66 must be dotted-quad text: the Pi has no resolver (docs/protocol/boot.md).
void checkTftpServer(OfferAssessment& a, const DhcpPacket& offer, std::uint32_t sourceIp) {
    if (const Bytes* o66 = offer.option(kOptionTftpServerName)) {
        Bytes text = *o66;
        if (!text.empty() && text.back() == 0) {
            text.pop_back();
            add(a, FindingId::Option66Nul);
        }
        if (!printable(text)) {
            add(a, FindingId::Option66Binary);
            return;
        }
        const std::string s(text.begin(), text.end());
        if (auto ip = parseIpv4(s)) {
            a.tftpServer = *ip;
            a.tftpServerSource = "option 66";
            return;
        }
        add(a, FindingId::Option66Hostname, {s});
        return;
    }
    if (a.serverId != 0) {
        a.tftpServer = a.serverId;
        a.tftpServerSource = "option 54";
    } else {
        a.tftpServer = sourceIp;
        a.tftpServerSource = "source address";
    }
    add(a, FindingId::NoOption66, {ipv4ToString(a.tftpServer), a.tftpServerSource});
}

}  // namespace

OfferAssessment assessOffer(const DhcpPacket& offer, PiModel model, std::uint32_t sourceIp) {
    OfferAssessment a;
    a.yiaddr = offer.yiaddr;
    a.proxy = offer.yiaddr == 0;
    a.serverId = offer.serverId().value_or(0);
    if (offer.messageType() != kDhcpOffer) {
        add(a, FindingId::NotAnOffer);
        return a;
    }
    const Bytes* o43 = offer.option(kOptionVendorEncapsulated);
    if (!o43) {
        add(a, FindingId::NoOption43, {ipv4ToString(sourceIp)});
    } else {
        std::string error;
        auto decoded = decodeOption43(*o43, &error);
        const std::string menu = decoded && decoded->menuText ? *decoded->menuText : "";
        if (!decoded || menu.find(kDefaultMenuText) == std::string::npos) {
            add(a, FindingId::NoPiBootText, {decoded ? std::string() : " (" + error + ")"});
        } else if (facts(model).needsPaddedMenu && menu.size() < kDefaultMenuText.size() + 3) {
            add(a, FindingId::NoRomPadding);
        } else {
            a.netboot = true;
            add(a, FindingId::Option43, {menu});
        }
    }
    if (a.serverId == 0) {
        add(a, FindingId::NoOption54, {ipv4ToString(sourceIp)});
    }
    if (!offer.option(kOptionVendorClass)) {
        add(a, FindingId::NoOption60);
    }
    if (a.proxy) {
        add(a, FindingId::ProxyOffer, {ipv4ToString(sourceIp)});
    }
    checkTftpServer(a, offer, sourceIp);
    if (offer.siaddr != 0 && a.tftpServer != 0 && offer.siaddr != a.tftpServer) {
        add(a, FindingId::SiaddrIgnored, {ipv4ToString(offer.siaddr), ipv4ToString(a.tftpServer)});
    }
    if (offer.hasPad && shapeOf(model) == DiscoverShape::C) {
        add(a, FindingId::PadOptions);
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
