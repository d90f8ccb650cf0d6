// The lease4_release decision without Kea running (kea-hook/src/release_keep.h): a Pi's release
// of the lease holding its identity is skipped, every other release goes ahead.
#include <catch2/catch.hpp>

#include <cc/data.h>

#include "hook_config.h"
#include "pi_registry.h"
#include "release_keep.h"
#include "rpinetboot/util/ipv4.h"

using namespace rpinetboot;
using namespace rpinetboot::kea;
using isc::data::Element;

namespace {

PiRecord piRecord() {
    PiRecord r;
    r.mac = *MacAddress::parse("dc:a6:32:01:36:c2");
    r.serial = Serial::parse("0c0ffee4");
    r.model = PiModel::Pi4;
    r.address = *parseIpv4("192.0.2.100");
    r.phase = PiPhase::Os;
    r.firstSeen = 1700000000;
    r.lastSeen = 1700000100;
    return r;
}

}  // namespace

TEST_CASE("release: a Pi's lease carrying its record is kept", "[release]") {
    const PiRecord r = piRecord();
    const auto context = contextWithRecord(nullptr, r);
    const auto d = decideRelease(true, context, r.mac, r.address, std::nullopt);
    CHECK(d.keep);
    REQUIRE(d.record);
    CHECK(*d.record == r);
}

TEST_CASE("release: the registry's address for the MAC is kept without a context", "[release]") {
    const PiRecord r = piRecord();
    const auto d = decideRelease(true, nullptr, r.mac, r.address, r);
    CHECK(d.keep);
}

TEST_CASE("release: keep-pi-leases-on-release false releases a Pi's lease", "[release]") {
    const PiRecord r = piRecord();
    const auto d = decideRelease(false, contextWithRecord(nullptr, r), r.mac, r.address, r);
    CHECK_FALSE(d.keep);
    CHECK_FALSE(d.record);
}

TEST_CASE("release: other clients' releases go ahead", "[release]") {
    const PiRecord r = piRecord();
    const auto other = *MacAddress::parse("02:00:00:00:00:01");
    const std::uint32_t address = *parseIpv4("192.0.2.20");
    // No record anywhere.
    CHECK_FALSE(decideRelease(true, nullptr, other, address, std::nullopt).keep);
    // A user-context of another hook or Kea's own, without ours.
    const auto foreign = Element::fromJSON(R"({"ISC": {"relay-agent-info": "0x0102"}})");
    CHECK_FALSE(decideRelease(true, foreign, other, address, std::nullopt).keep);
    // A Pi's record copied to another client's lease is not believed.
    CHECK_FALSE(
        decideRelease(true, contextWithRecord(nullptr, r), other, r.address, std::nullopt).keep);
}

TEST_CASE("release: a Pi's other lease (not its identity's address) goes ahead", "[release]") {
    const PiRecord r = piRecord();
    const std::uint32_t elsewhere = *parseIpv4("192.0.2.20");
    CHECK_FALSE(decideRelease(true, nullptr, r.mac, elsewhere, r).keep);
    CHECK_FALSE(decideRelease(true, contextWithRecord(nullptr, r), r.mac, elsewhere, r).keep);
}

TEST_CASE("release: an unreadable record is no reason to keep a lease", "[release]") {
    const PiRecord r = piRecord();
    const auto bad = Element::fromJSON(R"({"rpi-netboot": {"mac": 7}})");
    CHECK_FALSE(decideRelease(true, bad, r.mac, r.address, std::nullopt).keep);
    // Not a map at all.
    CHECK_FALSE(decideRelease(true, Element::create(3), r.mac, r.address, std::nullopt).keep);
}

TEST_CASE("release: keep-pi-leases-on-release parameter", "[release][config]") {
    CHECK(HookConfig::parse(Element::fromJSON("{}")).identity.keepPiLeasesOnRelease);
    CHECK_FALSE(HookConfig::parse(Element::fromJSON(R"({"keep-pi-leases-on-release": false})"))
                    .identity.keepPiLeasesOnRelease);
    CHECK(HookConfig::parse(Element::fromJSON(R"({"keep-pi-leases-on-release": true})"))
              .identity.keepPiLeasesOnRelease);
    for (const char* bad :
         {R"({"keep-pi-leases-on-release": "false"})", R"({"keep-pi-leases-on-release": 0})"}) {
        CHECK_THROWS_WITH(HookConfig::parse(Element::fromJSON(bad)),
                          Catch::Matchers::Contains("parameter 'keep-pi-leases-on-release'") &&
                              Catch::Matchers::Contains("must be a bool"));
    }
}
