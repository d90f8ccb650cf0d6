// The hook's boot events: the "events" parameter (default none, a bad value names the
// parameter), which DHCP messages are steps, and the fields an event carries.
// tests/hook/test_hook_events.py checks them from a real kea-dhcp4.
#include <catch2/catch.hpp>

#include "hook_config.h"
#include "hook_events.h"
#include "netboot_logic.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/discover.h"

using isc::data::Element;
using rpinetboot::BootStep;
using rpinetboot::SinkSpec;
using namespace rpinetboot::kea;

TEST_CASE("events: none by default, a sink spec, a bad value names the parameter") {
    CHECK(HookConfig::parse(nullptr).events.kind == SinkSpec::Kind::None);
    const auto cfg = HookConfig::parse(Element::fromJSON(R"({"events": "json:/var/log/e.jsonl"})"));
    CHECK(cfg.events.kind == SinkSpec::Kind::File);
    CHECK(cfg.events.path == "/var/log/e.jsonl");
    CHECK(HookConfig::parse(Element::fromJSON(R"({"events": "none"})")).events.kind ==
          SinkSpec::Kind::None);
    for (const char* bad :
         {R"({"events": "syslog"})", R"({"events": "json:"})", R"({"events": 1})"}) {
        INFO(bad);
        try {
            HookConfig::parse(Element::fromJSON(bad));
            FAIL("accepted");
        } catch (const ConfigError& e) {
            CHECK_THAT(e.what(), Catch::Matchers::StartsWith("parameter 'events' value "));
        }
    }
}

TEST_CASE("DHCP message types that are boot steps") {
    CHECK(receivedStep(1) == BootStep::Discover);
    CHECK(receivedStep(3) == BootStep::Request);
    CHECK_FALSE(receivedStep(8));  // INFORM
    CHECK(sentStep(2, false) == BootStep::OfferSent);
    CHECK(sentStep(2, true) == BootStep::OfferHeld);
    CHECK(sentStep(5, false) == BootStep::Ack);
    CHECK_FALSE(sentStep(6, false));  // NAK
}

TEST_CASE("an event carries the decision's identity and the address") {
    PiDecision d;
    d.is_pi = true;
    d.pi_class = rpinetboot::PiModel::Pi4;
    d.serial = rpinetboot::Serial::parse("bf9fed6f");
    d.mac = *rpinetboot::MacAddress::parse("e4:5f:01:98:e0:82");
    auto e = dhcpEvent(BootStep::Ack, d, *rpinetboot::parseIpv4("192.0.2.100"));
    CHECK(e.step == BootStep::Ack);
    CHECK(e.source == "kea-hook");
    CHECK(e.serial == "bf9fed6f");
    CHECK(e.mac == "e4:5f:01:98:e0:82");
    CHECK(e.address == "192.0.2.100");
    CHECK(e.model == "pi4");
    CHECK(e.timestampUs > 0);
    d.serial.reset();
    e = dhcpEvent(BootStep::Discover, d, 0);
    CHECK(e.serial.empty());
    CHECK(e.address.empty());
}

TEST_CASE("a Pi the allow lists refuse: its event fails with the reason") {
    const NetbootLogic logic(HookConfig::parse(Element::fromJSON(R"({"allow-serials": ["1a2b3c05"],
        "allow-macs": ["dc:a6:32:00:00:07"], "allow-pairs": [{"serial": "bf9fed6f",
        "mac": "e4:5f:01:98:e0:82"}]})")));
    const auto receive = [&](const char* mac, const char* serial) {
        rpinetboot::PiIdentity pi;
        pi.model = rpinetboot::PiModel::Pi4;
        pi.mac = *rpinetboot::MacAddress::parse(mac);
        pi.serial = *rpinetboot::Serial::parse(serial);
        pi.board_revision = 0x00d03115;
        pi.xid = 0x01020304;
        const rpinetboot::Bytes wire = rpinetboot::buildDiscover(pi);
        isc::dhcp::Pkt4 query(wire.data(), wire.size());
        query.unpack();
        return logic.onReceive(query);
    };
    const ReceiveResult refused = receive("dc:a6:32:00:00:08", "deadbeef");
    REQUIRE(refused.outcome == ReceiveOutcome::NotAllowed);
    CHECK(logic.refusal(refused.decision) ==
          "not allowed: serial deadbeef not in allow-serials or allow-pairs, "
          "MAC dc:a6:32:00:00:08 not in allow-macs");
    const ReceiveResult copied = receive("dc:a6:32:00:00:07", "bf9fed6f");
    REQUIRE(copied.outcome == ReceiveOutcome::NotAllowed);
    CHECK(logic.refusal(copied.decision) ==
          "not allowed: serial bf9fed6f is paired with MAC e4:5f:01:98:e0:82 in allow-pairs, "
          "not dc:a6:32:00:00:07");

    const auto e =
        refusedEvent(BootStep::Discover, refused.decision, logic.refusal(refused.decision));
    CHECK(e.step == BootStep::Discover);
    CHECK(e.outcome == rpinetboot::Outcome::Failed);
    CHECK(e.serial == "deadbeef");
    CHECK(e.mac == "dc:a6:32:00:00:08");
    CHECK(e.model == "pi4");
    CHECK(e.address.empty());
    CHECK(e.error.rfind("not allowed: serial deadbeef", 0) == 0);

    // Only allow-serials set, and a Pi without a serial (the Pi 3B ROM): named as such.
    const NetbootLogic serials(
        HookConfig::parse(Element::fromJSON(R"({"allow-serials": ["1a2b3c05"]})")));
    PiDecision rom;
    rom.pi_class = rpinetboot::PiModel::Rom3;
    rom.mac = *rpinetboot::MacAddress::parse("b8:27:eb:00:00:0a");
    CHECK(serials.refusal(rom) ==
          "not allowed: no serial (the Pi 3B ROM sends none) for allow-serials");
}
