// rpi-netboot's command line and output (kea-hook/cli/fleet.h), on answers shaped as the hook's
// rpi-netboot-list and rpi-netboot-get give them (registry_commands.h).
#include <catch2/catch.hpp>

#include "fleet.h"

using namespace rpinetboot::cli;
using nlohmann::json;

namespace {

const json kPi4 = {{"serial", "bf9fed6f"},
                   {"mac", "e4:5f:01:98:e0:82"},
                   {"model", "pi4"},
                   {"board", "4B rev 1.5, 8GB, BCM2711, Sony UK"},
                   {"address", "192.0.2.100"},
                   {"phase", "os"},
                   {"first-seen", 1700000000},
                   {"last-seen", 1700000100},
                   {"hostname", "pi-bf9fed6f"},
                   {"root-path", "192.0.2.1:/srv/nfs/pi/bf9fed6f"}};
const json kRom3 = {{"mac", "b8:27:eb:2b:3c:01"},
                    {"model", "rom3"},
                    {"address", "192.0.2.101"},
                    {"phase", "boot"},
                    {"first-seen", 1},
                    {"last-seen", 1}};

FleetOptions args(std::vector<std::string> a) {
    std::string error;
    auto o = parseFleetArgs(a, &error);
    INFO(error);
    REQUIRE(o);
    return *o;
}

std::string errorOf(std::vector<std::string> a) {
    std::string error;
    CHECK_FALSE(parseFleetArgs(a, &error));
    return error;
}

}  // namespace

TEST_CASE("rpi-netboot command line") {
    CHECK(fleetCommand(args({"list"})) == json({{"command", "rpi-netboot-list"}}));
    const FleetOptions get =
        args({"--json", "--socket", "/run/kea/x", "get", "serial", "bf9fed6f"});
    CHECK(get.json);
    CHECK(get.socket == "/run/kea/x");
    CHECK(fleetCommand(get) ==
          json({{"command", "rpi-netboot-get"}, {"arguments", {{"serial", "bf9fed6f"}}}}));
    CHECK(args({"--help"}).command.empty());
    CHECK(errorOf({}) == "a command is needed: list or get");
    CHECK(errorOf({"get", "name", "x"}) == "usage: get serial|mac|address VALUE");
    CHECK(errorOf({"show"}) == "unknown command \"show\" (list or get)");
    CHECK(errorOf({"--socket"}) == "--socket needs a path");
    CHECK(errorOf({"-x", "list"}) == "unknown option -x");
}

TEST_CASE("rpi-netboot prints the fleet as a table or JSON") {
    const json list = {
        {"result", 0}, {"text", "2 Pis"}, {"arguments", {{"pis", {kPi4, kRom3}}, {"count", 2}}}};
    std::string out;
    CHECK(printFleetAnswer(list, args({"list"}), &out) == 0);
    const std::string table = out;
    CHECK(table.rfind("SERIAL    MAC                MODEL  BOARD", 0) == 0);
    CHECK(table.find("bf9fed6f  e4:5f:01:98:e0:82  pi4    4B rev 1.5, 8GB, BCM2711, Sony UK  "
                     "192.0.2.100  os     pi-bf9fed6f  192.0.2.1:/srv/nfs/pi/bf9fed6f  "
                     "2023-11-14T22:15:00Z") != std::string::npos);
    CHECK(table.find("-         b8:27:eb:2b:3c:01  rom3") != std::string::npos);  // no serial
    CHECK(std::count(table.begin(), table.end(), '\n') == 3);
    CHECK(printFleetAnswer(list, args({"--json", "list"}), &out) == 0);
    CHECK(json::parse(out) == json({kPi4, kRom3}));

    const json empty = {{"result", 3}, {"text", "0 Pis"}, {"arguments", {{"pis", json::array()}}}};
    CHECK(printFleetAnswer(empty, args({"list"}), &out) == 3);
    const json found = {{"result", 0}, {"text", "Pi e4:5f:01:98:e0:82"}, {"arguments", kPi4}};
    CHECK(printFleetAnswer(found, args({"get", "mac", "e4:5f:01:98:e0:82"}), &out) == 0);
    CHECK(out.find("pi-bf9fed6f") != std::string::npos);
    const json none = {{"result", 3}, {"text", "no Pi with serial deadbeef"}};
    CHECK(printFleetAnswer(none, args({"get", "serial", "deadbeef"}), &out) == 3);
    CHECK(out == "no Pi with serial deadbeef\n");
    const json bad = {{"result", 2}, {"text", "'rpi-netboot-list' command not supported."}};
    CHECK(printFleetAnswer(bad, args({"list"}), &out) == 1);
    CHECK(out.find("not supported") != std::string::npos);
}
