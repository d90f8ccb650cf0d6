// The probe's DHCP framing and REQUEST derivation (no sockets).
#include <catch2/catch.hpp>

#include "rpinetboot/discover.h"
#include "rpinetboot/probe/request_from_discover.h"
#include "rpinetboot/probe/udp_frame.h"

using namespace rpinetboot;
using namespace rpinetboot::probe;

namespace {

PiIdentity pi4() {
    PiIdentity pi;
    pi.model = PiModel::Pi4;
    pi.mac = *MacAddress::parse("e4:5f:01:98:e0:82");
    pi.serial = *Serial::parse("bf9fed6f");
    pi.boardRevision = 0x00d03115;
    pi.xid = 0x12345678;
    return pi;
}

std::uint16_t ipHeaderSum(const Bytes& frame) {
    std::uint32_t acc = 0;
    for (std::size_t i = 14; i < 34; i += 2) acc += std::uint32_t(frame[i] << 8 | frame[i + 1]);
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<std::uint16_t>(acc);
}

}  // namespace

TEST_CASE("a ROM3 DISCOVER is framed as the Pi frames it") {
    PiIdentity pi = pi4();
    pi.model = PiModel::Rom3;
    const Bytes bootp = buildDiscover(pi);
    REQUIRE(bootp.size() == 320);  // docs/protocol/dhcp.md, shape A
    const Bytes frame = buildClientFrame(pi.mac, bootp, Framing{});
    REQUIRE(frame.size() == 14 + 20 + 8 + 320);
    CHECK(Bytes(frame.begin(), frame.begin() + 6) == Bytes(6, 0xff));
    CHECK(Bytes(frame.begin() + 6, frame.begin() + 12) ==
          Bytes(pi.mac.bytes().begin(), pi.mac.bytes().end()));
    CHECK(frame[14 + 4] == 0);            // IP id 0 (high byte)
    CHECK(frame[14 + 5] == 0);            // IP id 0 (low byte)
    CHECK(frame[14 + 8] == 128);          // ttl 128
    CHECK(ipHeaderSum(frame) == 0xffff);  // valid IP header checksum
    CHECK(frame[40] == 0);                // UDP checksum 0
    CHECK(frame[41] == 0);

    const auto parsed = parseUdpFrame(frame);
    REQUIRE(parsed);
    CHECK(parsed->srcPort == 68);
    CHECK(parsed->dstPort == 67);
    CHECK(parsed->dstIp == 0xffffffff);
    CHECK(parsed->ttl == 128);
    CHECK(parsed->udpChecksum == 0);
    CHECK(parsed->udpChecksumOk);
    CHECK(Bytes(parsed->payload.begin(), parsed->payload.end()) == bootp);
}

TEST_CASE("UDP checksums are computed and verified when asked for") {
    const Bytes bootp = buildDiscover(pi4());
    Framing framing;
    framing.udpChecksum = true;
    framing.ttl = 64;
    Bytes frame = buildClientFrame(pi4().mac, bootp, framing);
    auto parsed = parseUdpFrame(frame);
    REQUIRE(parsed);
    CHECK(parsed->udpChecksum != 0);
    CHECK(parsed->udpChecksumOk);
    frame.back() ^= 0x01;  // corrupt the payload
    parsed = parseUdpFrame(frame);
    REQUIRE(parsed);
    CHECK_FALSE(parsed->udpChecksumOk);
}

TEST_CASE("frames that are not IPv4 UDP are rejected") {
    Bytes frame = buildClientFrame(pi4().mac, buildDiscover(pi4()), Framing{});
    CHECK_FALSE(parseUdpFrame(ByteSpan(frame.data(), 30)));
    Bytes arp = frame;
    arp[12] = 0x08;
    arp[13] = 0x06;
    CHECK_FALSE(parseUdpFrame(arp));
    Bytes tcp = frame;
    tcp[14 + 9] = 6;
    CHECK_FALSE(parseUdpFrame(tcp));
    Bytes fragment = frame;
    fragment[14 + 6] = 0x20;  // more fragments
    CHECK_FALSE(parseUdpFrame(fragment));
    Bytes longIp = frame;
    longIp[14 + 2] = 0xff;  // IP total length beyond the frame
    CHECK_FALSE(parseUdpFrame(longIp));
}

TEST_CASE("a REQUEST derived from a DISCOVER equals the core's Pi 4 REQUEST") {
    const PiIdentity pi = pi4();
    const std::uint32_t offered = 0xc0000264, server = 0xc0000201;
    std::string error;
    const auto request = requestFromDiscover(buildDiscover(pi), offered, server, &error);
    REQUIRE(request);
    CHECK(*request == buildRequest(pi, offered, server));
}

TEST_CASE("requestFromDiscover refuses what is not a DISCOVER") {
    const PiIdentity pi = pi4();
    std::string error;
    CHECK_FALSE(requestFromDiscover(buildRequest(pi, 1, 2), 1, 2, &error));
    CHECK(error == "not a DHCPDISCOVER");
    Bytes truncated = buildDiscover(pi);
    truncated.pop_back();  // no end option
    CHECK_FALSE(requestFromDiscover(truncated, 1, 2, &error));
}
