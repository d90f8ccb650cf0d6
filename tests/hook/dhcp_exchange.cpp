// Test client for the hook's integration tests: behaves like one Pi boot stage (or sends any
// BOOTP payload) on an interface and prints every reply as one JSON line.
//
//   dhcp_exchange --interface IF --model rom3|bootcode|pi4|pi5 --mac MAC --serial SERIAL
//                 [--xid HEX] [--no-request]
//   dhcp_exchange --interface IF --payload-hex HEX [--request]
//   common: [--window-ms N] (per phase, default 3000) [--expect N] (stop a phase after N replies)
//
// Pi models send DISCOVER, then REQUEST for the first OFFER if the model sends one (pi4, pi5).
// Exit status: 0 after the exchange (whatever was received), 2 on bad usage, 1 on errors.
#include <chrono>
#include <exception>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include "rpinetboot/classify.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/discover.h"
#include "rpinetboot/probe/raw_dhcp_client.h"
#include "rpinetboot/probe/request_from_discover.h"
#include "rpinetboot/util/hex.h"

using namespace rpinetboot;
using namespace rpinetboot::probe;

namespace {

void printReply(const char* phase, const DhcpReply& r) {
    const DhcpPacket& p = r.packet;
    std::ostringstream out;
    out << "{\"phase\":\"" << phase << "\",\"message_type\":" << int(p.messageType().value_or(0))
        << ",\"yiaddr\":\"" << ipv4ToString(p.yiaddr) << "\",\"siaddr\":\""
        << ipv4ToString(p.siaddr) << "\",\"giaddr\":\"" << ipv4ToString(p.giaddr)
        << "\",\"src_ip\":\"" << ipv4ToString(r.srcIp) << "\",\"dst_ip\":\""
        << ipv4ToString(r.dstIp) << "\",\"server_mac\":\"" << r.serverMac.str()
        << "\",\"udp_checksum_ok\":" << (r.udpChecksumOk ? "true" : "false")
        << ",\"has_pad\":" << (p.hasPad ? "true" : "false") << ",\"options\":[";
    for (std::size_t i = 0; i < p.options.size(); ++i) {
        out << (i ? "," : "") << "{\"code\":" << int(p.options[i].first) << ",\"hex\":\""
            << toHex(p.options[i].second) << "\"}";
    }
    out << "],\"bootp_hex\":\"" << toHex(r.bootp) << "\"}";
    std::cout << out.str() << std::endl;
}

int usage(const std::string& why) {
    std::cerr << "dhcp_exchange: " << why
              << "\nusage: dhcp_exchange --interface IF (--model M --mac MAC --serial S [--xid "
                 "HEX] [--no-request] | --payload-hex HEX [--request]) [--window-ms N] "
                 "[--expect N]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string interface, model_name, mac_text, serial_text, payload_hex;
    std::optional<std::uint32_t> xid;
    bool noRequest = false, payloadRequest = false;
    long windowMs = 3000;
    std::size_t expect = 64;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
            return argv[++i];
        };
        try {
            if (arg == "--interface")
                interface = value();
            else if (arg == "--model")
                model_name = value();
            else if (arg == "--mac")
                mac_text = value();
            else if (arg == "--serial")
                serial_text = value();
            else if (arg == "--payload-hex")
                payload_hex = value();
            else if (arg == "--xid")
                xid = static_cast<std::uint32_t>(std::stoul(value(), nullptr, 16));
            else if (arg == "--no-request")
                noRequest = true;
            else if (arg == "--request")
                payloadRequest = true;
            else if (arg == "--window-ms")
                windowMs = std::stol(value());
            else if (arg == "--expect")
                expect = std::stoul(value());
            else
                return usage("unknown argument " + arg);
        } catch (const std::exception& e) {
            return usage(std::string("bad value for ") + arg + ": " + e.what());
        }
    }
    if (interface.empty()) return usage("--interface is required");
    if (windowMs <= 0 || windowMs > 60000) return usage("--window-ms must be 1..60000");
    const auto window = std::chrono::milliseconds(windowMs);

    Bytes discover;
    MacAddress mac;
    std::optional<PiIdentity> pi;
    if (!payload_hex.empty()) {
        auto payload = fromHex(payload_hex);
        std::string error;
        const auto parsed = payload ? parseDhcpPacket(*payload, &error) : std::nullopt;
        if (!parsed) return usage("--payload-hex is not a DHCP packet: " + error);
        discover = *payload;
        mac = parsed->chaddr;
        xid = parsed->xid;
    } else {
        const auto model = parsePiModel(model_name);
        const auto m = MacAddress::parse(mac_text);
        const auto serial = Serial::parse(serial_text);
        if (!model) return usage("--model must be rom3, bootcode, pi4 or pi5");
        if (!m) return usage("--mac is not a MAC address");
        if (!serial) return usage("--serial is not a Pi serial");
        pi = PiIdentity{};
        pi->model = *model;
        pi->mac = *m;
        pi->serial = *serial;
        pi->boardRevision = facts(*model).emulatedBoardRevision;
        pi->xid = xid ? *xid : std::random_device{}();
        mac = *m;
        discover = buildDiscover(*pi);
        xid = shapeOf(*model) == DiscoverShape::C ? pi->xid : kRomXid;
    }

    try {
        RawDhcpClient client(interface);
        client.send(mac, discover);
        const auto offers = client.collect(*xid, mac, window, expect);
        for (const auto& r : offers) printReply("discover", r);
        const bool wantsRequest = pi ? (sendsRequest(pi->model) && !noRequest) : payloadRequest;
        if (!wantsRequest || offers.empty()) return 0;
        const DhcpPacket& offer = offers.front().packet;
        const auto serverId = offer.serverId();
        if (!serverId) {
            std::cerr << "dhcp_exchange: OFFER without server identifier; no REQUEST sent\n";
            return 0;
        }
        Bytes request;
        if (pi) {
            request = buildRequest(*pi, offer.yiaddr, *serverId);
        } else {
            std::string error;
            auto built = requestFromDiscover(discover, offer.yiaddr, *serverId, &error);
            if (!built) {
                std::cerr << "dhcp_exchange: cannot build REQUEST: " << error << "\n";
                return 1;
            }
            request = std::move(*built);
        }
        client.send(mac, request);
        for (const auto& r : client.collect(*xid, mac, window, expect)) printReply("request", r);
    } catch (const std::exception& e) {
        std::cerr << "dhcp_exchange: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
