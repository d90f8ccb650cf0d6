// The emulated Pis' DHCP packets (docs/protocol/dhcp.md shapes: option order, lengths, xid, flags).
#include <catch2/catch.hpp>

#include "rpinetboot/classify.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/discover.h"
#include "vectors.h"

using namespace rpinetboot;

namespace {
PiIdentity identity(PiModel model) {
    PiIdentity pi;
    pi.model = model;
    pi.mac = *MacAddress::parse(vectors::kPi4Mac);
    pi.serial = Serial(vectors::kPi4Serial);
    pi.boardRevision = vectors::kPi4Revision;
    pi.xid = 0x5eed1234;
    return pi;
}

std::vector<std::uint8_t> codes(const DhcpPacket& p) {
    std::vector<std::uint8_t> out;
    for (const auto& o : p.options) out.push_back(o.first);
    return out;
}
}  // namespace

TEST_CASE("DISCOVER lengths, option order and xid per shape", "[discover]") {
    struct Case {
        PiModel model;
        std::size_t length;
        const Bytes& list;
        bool romXid;
    };
    for (const Case& c : {Case{PiModel::Rom3, 320, vectors::kList55A, true},
                          Case{PiModel::Bootcode, 322, vectors::kList55B, true},
                          Case{PiModel::Pi4, 322, vectors::kList55C, false},
                          Case{PiModel::Pi5, 322, vectors::kList55C, false}}) {
        INFO(piModelName(c.model));
        Bytes wire = buildDiscover(identity(c.model));
        CHECK(wire.size() == c.length);
        std::string error;
        auto p = parseDhcpPacket(wire, &error);
        REQUIRE(p);
        CHECK(p->op == 1);
        CHECK(p->flags == 0);  // no broadcast flag
        CHECK(p->hops == 0);
        CHECK(p->xid == (c.romXid ? kRomXid : 0x5eed1234u));
        CHECK(p->chaddr == *MacAddress::parse(vectors::kPi4Mac));
        CHECK(codes(*p) == std::vector<std::uint8_t>{53, 55, 93, 94, 97, 60});
        CHECK_FALSE(p->hasPad);
        CHECK(p->messageType() == 1);
        CHECK(*p->option(55) == c.list);
        CHECK(*p->option(93) == Bytes{0, 0});
        CHECK(*p->option(94) == Bytes{1, 2, 1});
        CHECK(*p->option(60) == vectors::text("PXEClient:Arch:00000:UNDI:002001"));
        CHECK(p->option(97)->size() == 17);
        CHECK(wire.back() == 255);
    }
    CHECK(*parseDhcpPacket(buildDiscover(identity(PiModel::Pi4)), nullptr)->option(97) ==
          vectors::kPi4Option97);
}

TEST_CASE("shape C REQUEST carries 50 and 54 after 53", "[discover]") {
    Bytes wire =
        buildRequest(identity(PiModel::Pi4), *parseIpv4("192.0.2.50"), *parseIpv4("192.0.2.1"));
    auto p = parseDhcpPacket(wire, nullptr);
    REQUIRE(p);
    CHECK(p->messageType() == 3);
    CHECK(codes(*p) == std::vector<std::uint8_t>{53, 50, 54, 55, 93, 94, 97, 60});
    CHECK(*p->option(50) == Bytes{192, 0, 2, 50});
    CHECK(*p->option(54) == Bytes{192, 0, 2, 1});
    CHECK(p->serverId() == *parseIpv4("192.0.2.1"));
    // A DISCOVER has no server identifier, and a malformed one (not 4 bytes) is none either.
    auto discover = parseDhcpPacket(buildDiscover(identity(PiModel::Pi4)), nullptr);
    REQUIRE(discover);
    CHECK_FALSE(discover->serverId());
    for (auto& [code, value] : p->options) {
        if (code == 54) value.pop_back();
    }
    CHECK_FALSE(p->serverId());
}

TEST_CASE("the DHCP reader rejects truncated packets", "[dhcp]") {
    Bytes wire = buildDiscover(identity(PiModel::Pi4));
    std::string error;
    CHECK_FALSE(parseDhcpPacket(ByteSpan(wire.data(), 100), &error));
    Bytes cut(wire.begin(), wire.end() - 10);
    CHECK_FALSE(parseDhcpPacket(cut, &error));
    CHECK(error.find("truncated") != std::string::npos);
    Bytes noEnd(wire.begin(), wire.end() - 1);
    CHECK_FALSE(parseDhcpPacket(noEnd, &error));
}
