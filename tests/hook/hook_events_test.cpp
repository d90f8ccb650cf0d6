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

namespace {
const NetbootLogic& plainLogic() {
    static const NetbootLogic logic(HookConfig::parse(nullptr));
    return logic;
}
rpinetboot::BootEvent rendered(const HookEvent& record, const NetbootLogic& logic = plainLogic()) {
    rpinetboot::BootEvent e;
    renderEvent(record, logic, e);
    return e;
}
}  // namespace

TEST_CASE("an event carries the decision's identity and the address") {
    PiDecision d;
    d.isPi = true;
    d.piClass = rpinetboot::PiModel::Pi4;
    d.serial = rpinetboot::Serial::parse("bf9fed6f");
    d.mac = *rpinetboot::MacAddress::parse("e4:5f:01:98:e0:82");
    auto e = rendered(dhcpEvent(BootStep::Ack, d, *rpinetboot::parseIpv4("192.0.2.100")));
    CHECK(e.step == BootStep::Ack);
    CHECK(e.source == "kea-hook");
    CHECK(e.serial == "bf9fed6f");
    CHECK(e.mac == "e4:5f:01:98:e0:82");
    CHECK(e.address == "192.0.2.100");
    CHECK(e.model == "pi4");
    CHECK(e.timestampUs > 0);
    CHECK(e.outcome == rpinetboot::Outcome::None);
    CHECK(e.phase.empty());
    d.serial.reset();
    e = rendered(dhcpEvent(BootStep::Discover, d, 0));
    CHECK(e.serial.empty());
    CHECK(e.address.empty());
}

TEST_CASE("the writer's own formatting of serial, MAC and address matches core's") {
    PiDecision d;
    d.piClass = rpinetboot::PiModel::Pi4;
    rpinetboot::BootEvent e;
    std::uint32_t x = 0x12345678;
    for (int i = 0; i < 2000; ++i) {
        x = x * 1103515245u + 12345u;  // a fixed pseudo-random sequence
        const std::uint32_t address = i < 4 ? std::uint32_t{0xffffffffu} >> (8 * i) : x;
        d.serial = rpinetboot::Serial(i == 0 ? 0 : x ^ 0x5a5a5a5au);
        d.mac = rpinetboot::MacAddress::fromOui(x >> 8, x * 2654435761u);
        renderEvent(dhcpEvent(BootStep::Ack, d, address), plainLogic(), e);
        INFO(i);
        REQUIRE(e.serial == d.serial->str());
        REQUIRE(e.mac == d.mac.str());
        REQUIRE(e.address == (address ? rpinetboot::ipv4ToString(address) : std::string()));
    }
    for (const char* a : {"0.0.0.1", "10.0.0.0", "192.0.2.100", "1.20.100.9", "255.255.255.255"}) {
        renderEvent(dhcpEvent(BootStep::Ack, d, *rpinetboot::parseIpv4(a)), plainLogic(), e);
        CHECK(e.address == a);
    }
}

TEST_CASE("rendering into a used event leaves nothing of the previous one") {
    PiDecision d;
    d.piClass = rpinetboot::PiModel::Pi5;
    d.serial = rpinetboot::Serial::parse("1a2b3c04");
    d.mac = *rpinetboot::MacAddress::parse("d8:3a:dd:00:00:01");
    rpinetboot::BootEvent e;
    e.file = "start4.elf";
    e.bytes = 1;
    e.durationUs = 2;
    e.text = "x";
    e.error = "y";
    e.outcome = rpinetboot::Outcome::Failed;
    e.phase = "os";
    renderEvent(dhcpEvent(BootStep::Request, d, 0), plainLogic(), e);
    CHECK(e.step == BootStep::Request);
    CHECK(e.serial == "1a2b3c04");
    CHECK(e.model == "pi5");
    CHECK(e.file.empty());
    CHECK_FALSE(e.bytes);
    CHECK_FALSE(e.durationUs);
    CHECK(e.text.empty());
    CHECK(e.error.empty());
    CHECK(e.outcome == rpinetboot::Outcome::None);
    CHECK(e.phase.empty());
}

TEST_CASE("an OS-phase event: the registry's identity, phase os") {
    PiRecord known;
    known.mac = *rpinetboot::MacAddress::parse("dc:a6:32:01:36:c2");
    known.serial = rpinetboot::Serial::parse("1a2b3c04");
    known.model = rpinetboot::PiModel::Pi4;
    const HookEvent r = osEvent(BootStep::Discover, known, 0);
    CHECK(r.osPhase);
    const auto e = rendered(r);
    CHECK(e.phase == "os");
    CHECK(e.serial == "1a2b3c04");
    CHECK(e.mac == "dc:a6:32:01:36:c2");
    CHECK(e.model == "pi4");
    CHECK(rpinetboot::toJson(e).find(R"("phase":"os")") != std::string::npos);
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
        pi.boardRevision = 0x00d03115;
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

    const auto e = rendered(refusedEvent(BootStep::Discover, refused.decision), logic);
    CHECK(e.step == BootStep::Discover);
    CHECK(e.outcome == rpinetboot::Outcome::Failed);
    CHECK(e.serial == "deadbeef");
    CHECK(e.mac == "dc:a6:32:00:00:08");
    CHECK(e.model == "pi4");
    CHECK(e.address.empty());
    CHECK(e.error == logic.refusal(refused.decision));

    // Only allow-serials set, and a Pi without a serial (the Pi 3B ROM): named as such.
    const NetbootLogic serials(
        HookConfig::parse(Element::fromJSON(R"({"allow-serials": ["1a2b3c05"]})")));
    PiDecision rom;
    rom.piClass = rpinetboot::PiModel::Rom3;
    rom.mac = *rpinetboot::MacAddress::parse("b8:27:eb:00:00:0a");
    CHECK(serials.refusal(rom) ==
          "not allowed: no serial (the Pi 3B ROM sends none) for allow-serials");
}
