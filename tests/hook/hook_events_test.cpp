// The hook's boot events: the "events" parameter (default none, a bad value names the
// parameter), which DHCP messages are steps, and the fields an event carries.
// tests/hook/test_hook_events.py checks them from a real kea-dhcp4.
#include <catch2/catch.hpp>

#include "hook_config.h"
#include "hook_events.h"
#include "rpinetboot/dhcp_packet.h"

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
