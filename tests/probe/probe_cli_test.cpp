// rpi-netboot-probe's command line and report, without sockets: usage errors exit 2, defaults
// follow docs/protocol/dhcp.md (Pi 1-3 MAC low bytes = serial low bytes), JSON keys are stable.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "options.h"
#include "report.h"

using namespace rpinetboot;
using namespace rpinetboot::probe;

namespace {

ParseOutcome parse(std::vector<std::string> args) {
    return parseOptions(args);
}

}  // namespace

TEST_CASE("the probe needs an interface and a known model", "[probe][cli]") {
    CHECK(parse({"--model", "pi4"}).exitCode == 2);
    CHECK(parse({"--interface", "eth1"}).exitCode == 2);
    auto badModel = parse({"--interface", "eth1", "--model", "pi9"});
    CHECK(badModel.exitCode == 2);
    CHECK(badModel.message.find("pi9") != std::string::npos);
    CHECK(parse({"--interface", "eth1", "--model", "pi4", "--serial", "xyz"}).exitCode == 2);
    CHECK(parse({"--interface", "eth1", "--model", "pi4", "--mac", "1:2"}).exitCode == 2);
    CHECK(
        parse({"--interface", "eth1", "--model", "pi4", "--tftp-only", "tftp.example"}).exitCode ==
        2);
    CHECK(parse({"--interface", "eth1", "--model", "pi4", "--nfs-server", "300.1.1.1"}).exitCode ==
          2);
    CHECK(parse({"--interface", "eth1", "--model", "pi4", "--timeout-ms", "5"}).exitCode == 2);
    CHECK(parse({"--interface", "eth1", "--model", "pi4", "--bogus"}).exitCode == 2);
    CHECK(parse({"--interface", "eth1", "--model", "pi4", "extra"}).exitCode == 2);
    CHECK(parse({"--interface", "a-very-long-interface-name", "--model", "pi4"}).exitCode == 2);
}

TEST_CASE("help and version exit 0 with text", "[probe][cli]") {
    auto help = parse({"--help"});
    CHECK(help.exitCode == 0);
    CHECK_FALSE(help.options);
    for (const char* s : {"--interface", "--model", "--serial", "--mac", "--json", "--tftp-only",
                          "--timeout-ms", "--nfs-server", "Exit status", "no-offer"}) {
        CHECK(help.message.find(s) != std::string::npos);
    }
    CHECK(parse({"--version"}).message.find("rpi-netboot-probe") == 0);
}

TEST_CASE("identity defaults follow the models' MAC and serial habits", "[probe][cli]") {
    auto pi4 = parse({"--interface", "eth1", "--model", "pi4", "--serial", "10000000bf9fed6f",
                      "--mac", "E4-5F-01-98-E0-82", "--json", "--timeout-ms", "250"});
    REQUIRE(pi4.options);
    CHECK(pi4.options->pi.model == PiModel::Pi4);
    CHECK(pi4.options->pi.serial.str() == "bf9fed6f");
    CHECK(pi4.options->pi.mac.str() == "e4:5f:01:98:e0:82");
    CHECK(pi4.options->json);
    CHECK(pi4.options->timeout.count() == 250);

    // Pi 1-3: the MAC's low three bytes are the serial's (docs/protocol/dhcp.md).
    auto rom = parse({"--interface", "eth1", "--model", "rom3", "--mac", "b8:27:eb:ab:03:01"});
    REQUIRE(rom.options);
    CHECK(rom.options->pi.serial.str() == "00ab0301");
    auto bootcode = parse({"--interface", "eth1", "--model", "bootcode", "--serial", "00ab0302"});
    REQUIRE(bootcode.options);
    CHECK(bootcode.options->pi.mac.str() == "b8:27:eb:ab:03:02");
    auto pi5 = parse({"--interface", "eth1", "--model", "pi5"});
    REQUIRE(pi5.options);
    CHECK(pi5.options->pi.mac.oui() == 0x2ccf67);
    CHECK(pi5.options->timeout.count() == 3000);
}

TEST_CASE("the report's JSON keeps its keys and judges soundness", "[probe][cli]") {
    Report r;
    r.model = "pi4";
    r.mac = "dc:a6:32:01:36:c2";
    r.serial = "bf9fed6f";
    r.interface = "eth1";
    r.address = "192.0.2.13";
    r.step("dhcp", "DISCOVER", Verdict::Ok, "");
    r.file({"bf9fed6f/kernel8.img", true, 65536, true});
    r.finding(makeFinding(FindingId::Option43, {"fine"}), "dhcp");  // Ok findings are not listed
    r.finding(makeFinding(FindingId::SiaddrIgnored, {"192.0.2.9", "192.0.2.1"}), "dhcp");
    CHECK(r.sound());
    std::ostringstream out;
    r.printJson(out);
    auto j = nlohmann::json::parse(out.str());
    for (const char* key :
         {"model", "mac", "serial", "interface", "address", "tftp_server", "prefix", "nfs_root",
          "nfs_exported", "sound", "timeline", "files", "findings", "offers"}) {
        CHECK(j.contains(key));
    }
    CHECK(j["sound"] == true);
    CHECK(j["findings"].size() == 1);
    CHECK(j["files"][0]["bytes"] == 65536);
    CHECK(j["nfs_exported"].is_null());

    r.finding(makeFinding(FindingId::NoOackEeprom, {"s/start4.elf", "without an OACK"}), "tftp");
    CHECK_FALSE(r.sound());
    std::ostringstream text;
    r.printText(text);
    CHECK(text.str().find("[fail] no-oack: The TFTP server answered \"s/start4.elf\" without") !=
          std::string::npos);
    CHECK(j["findings"][0]["code"] == "siaddr-ignored");
    CHECK(text.str().find("The Pi would not boot") != std::string::npos);
}
