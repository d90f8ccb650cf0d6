// What a Pi makes of a DHCP OFFER (docs/protocol/dhcp.md, docs/kea.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/discover.h"
#include "rpinetboot/probe/findings.h"

namespace rpinetboot::probe {

struct OfferAssessment {
    bool netboot = false;  // the Pi would boot from this offer
    bool proxy = false;    // yiaddr 0.0.0.0: a proxyDHCP reply (boot options, no address)
    std::uint32_t yiaddr = 0;
    std::uint32_t serverId = 0;    // option 54, 0 when absent
    std::uint32_t tftpServer = 0;  // where the Pi will fetch from
    std::string tftpServerSource;  // "option 66", "option 54" or "source address"
    std::vector<Finding> findings;
};

// `sourceIp` is the IP source address the OFFER came from (host order).
OfferAssessment assessOffer(const DhcpPacket& offer, PiModel model, std::uint32_t sourceIp);

// Picks the offer the Pi would use: the first one that carries a usable option 43
// (the Pi ignores offers without it); nullptr-like index -1 when none does.
int chooseOffer(const std::vector<OfferAssessment>& offers);

// The boot options come from the chosen offer; when that is a proxyDHCP reply (dnsmasq's
// `dhcp-range=...,proxy` with `pxe-service=0,"Raspberry Pi Boot"`, the set-up of
// raspberrypi/documentation's Pi 3 network boot tutorial), the address comes from the first
// other OFFER that carries one. -1 where there is none.
struct OfferChoice {
    int boot = -1;
    int address = -1;
};
OfferChoice chooseOffers(const std::vector<OfferAssessment>& offers);

}  // namespace rpinetboot::probe
