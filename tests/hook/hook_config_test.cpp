// Hook parameters: defaults, accepted forms, and errors that name the parameter and the value.
#include <catch2/catch.hpp>

#include "hook_config.h"
#include "rpinetboot/dhcp_packet.h"

using isc::data::Element;
using rpinetboot::kea::ConfigError;
using rpinetboot::kea::HookConfig;
using rpinetboot::kea::RomPadding;

namespace {

HookConfig parse(const std::string& json) {
    return HookConfig::parse(Element::fromJSON(json));
}

std::string errorOf(const std::string& json) {
    try {
        parse(json);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("no parameters gives the documented defaults") {
    for (const auto& cfg : {HookConfig::parse(nullptr), parse("{}")}) {
        CHECK_FALSE(cfg.tftpServer);
        CHECK(cfg.menuText == "Raspberry Pi Boot");
        CHECK(cfg.romPadding == RomPadding::Auto);
        CHECK_FALSE(cfg.classifier.requireOui);
        CHECK(cfg.allowSerials.empty());
        CHECK(cfg.allowMacs.empty());
        CHECK(cfg.clientTftpServers.empty());
        CHECK(cfg.holdRomOffers);
        CHECK(cfg.romHoldLifetime == 60);
        CHECK(cfg.romHoldMaxUnconfirmed == 64);
    }
}

TEST_CASE("every parameter is read") {
    const auto cfg = parse(R"({
        "tftp-server": "192.0.2.53", "menu-text": "Lab Boot", "rom-padding": "never",
        "extra-ouis": ["02-11-22", "0A1122"], "require-oui": true,
        "allow-serials": ["10000000BF9FED6F", "12abcdef"], "allow-macs": ["B8-27-EB-12-34-56"],
        "clients": [{"serial": "bf9fed6f", "tftp-server": "192.0.2.54"}],
        "hold-rom-offers": false, "rom-hold-lifetime": 90, "rom-hold-max-unconfirmed": 8})");
    CHECK(cfg.tftpServer == rpinetboot::parseIpv4("192.0.2.53"));
    CHECK(cfg.menuText == "Lab Boot");
    CHECK(cfg.romPadding == RomPadding::Never);
    CHECK(cfg.classifier.ouis.contains(0x021122));
    CHECK(cfg.classifier.ouis.contains(0x0a1122));
    CHECK(cfg.classifier.ouis.contains(0xdca632));  // built-ins stay
    CHECK(cfg.classifier.requireOui);
    CHECK(cfg.allowSerials.count(*rpinetboot::Serial::parse("bf9fed6f")));
    CHECK(cfg.allowSerials.size() == 2);
    CHECK(cfg.allowMacs.count(*rpinetboot::MacAddress::parse("b8:27:eb:12:34:56")));
    CHECK(cfg.clientTftpServers.at(*rpinetboot::Serial::parse("bf9fed6f")) ==
          *rpinetboot::parseIpv4("192.0.2.54"));
    CHECK_FALSE(cfg.holdRomOffers);
    CHECK(cfg.romHoldLifetime == 90);
    CHECK(cfg.romHoldMaxUnconfirmed == 8);
    CHECK(parse(R"({"rom-padding": "always"})").romPadding == RomPadding::Always);
    CHECK(parse(R"({"rom-padding": "auto"})").romPadding == RomPadding::Auto);
}

TEST_CASE("each error names the parameter and the value") {
    using Catch::Matchers::Contains;
    CHECK_THAT(errorOf(R"({"tftp-server": "tftp.example"})"),
               Contains("parameter 'tftp-server' value \"tftp.example\""));
    CHECK_THAT(errorOf(R"({"tftp-server": "0.0.0.0"})"), Contains("'tftp-server'"));
    CHECK_THAT(errorOf(R"({"tftp-server": "224.0.0.1"})"), Contains("'tftp-server'"));
    CHECK_THAT(errorOf(R"({"tftp-server": 5})"), Contains("parameter 'tftp-server' value 5"));
    CHECK_THAT(errorOf(R"({"menu-text": ""})"), Contains("parameter 'menu-text' value \"\""));
    CHECK_THAT(errorOf(R"({"rom-padding": "sometimes"})"),
               Contains("parameter 'rom-padding' value \"sometimes\""));
    CHECK_THAT(errorOf(R"({"extra-ouis": "dc:a6:32"})"),
               Contains("parameter 'extra-ouis' value \"dc:a6:32\": must be a list"));
    CHECK_THAT(errorOf(R"({"extra-ouis": ["dc:a6:32", "xx"]})"),
               Contains("parameter 'extra-ouis[1]' value \"xx\""));
    CHECK_THAT(errorOf(R"({"require-oui": "true"})"),
               Contains("parameter 'require-oui' value \"true\": must be a bool"));
    CHECK_THAT(errorOf(R"({"allow-serials": ["20000000bf9fed6f"]})"),
               Contains("parameter 'allow-serials[0]' value \"20000000bf9fed6f\""));
    CHECK_THAT(errorOf(R"({"allow-macs": ["b8:27:eb:12:34"]})"),
               Contains("parameter 'allow-macs[0]' value \"b8:27:eb:12:34\""));
    CHECK_THAT(errorOf(R"({"clients": [{"serial": "bf9fed6f"}]})"),
               Contains("parameter 'clients[0]'"));
    CHECK_THAT(errorOf(R"({"clients": [{"tftp-server": "192.0.2.9"}]})"),
               Contains("needs a \"serial\""));
    CHECK_THAT(errorOf(R"({"clients": [{"serial": "bf9fed6f", "tftp-server": "192.0.2.9"},
                                       {"serial": "BF9FED6F", "tftp-server": "192.0.2.8"}]})"),
               Contains("serial bf9fed6f appears twice"));
    CHECK_THAT(errorOf(R"({"clients": [{"serial": "bf9fed6f", "tftp-server": "192.0.2.9",
                                        "menu": "x"}]})"),
               Contains("parameter 'clients[0].menu' value \"x\": unknown key"));
    CHECK_THAT(errorOf(R"({"hold-rom-offers": 1})"),
               Contains("parameter 'hold-rom-offers' value 1"));
    CHECK_THAT(errorOf(R"({"rom-hold-lifetime": 9})"),
               Contains("parameter 'rom-hold-lifetime' value 9: must be an integer from 10"));
    CHECK_THAT(errorOf(R"({"rom-hold-lifetime": 86401})"),
               Contains("parameter 'rom-hold-lifetime' value 86401"));
    CHECK_THAT(errorOf(R"({"rom-hold-lifetime": "60"})"),
               Contains("parameter 'rom-hold-lifetime' value \"60\": must be an integer"));
    CHECK_THAT(errorOf(R"({"rom-hold-max-unconfirmed": 0})"),
               Contains("parameter 'rom-hold-max-unconfirmed' value 0: must be an integer from 1"));
    CHECK_THAT(errorOf(R"({"rom-hold-max-unconfirmed": -5})"),
               Contains("parameter 'rom-hold-max-unconfirmed' value -5"));
    CHECK_THAT(errorOf(R"({"rom-hold-max-unconfirmed": 2.5})"),
               Contains("parameter 'rom-hold-max-unconfirmed' value 2.5"));
    CHECK(parse(R"({"rom-hold-lifetime": 10, "rom-hold-max-unconfirmed": 1})").romHoldLifetime ==
          10);
    CHECK_THAT(errorOf(R"({"tftp_server": "192.0.2.1"})"),
               Contains("parameter 'tftp_server' value \"192.0.2.1\": unknown parameter"));
    CHECK_THAT(errorOf(R"([1])"), Contains("parameter 'parameters' value [ 1 ]"));
}
