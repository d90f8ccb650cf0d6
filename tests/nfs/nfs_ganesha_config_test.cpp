// The ganesha include file: Export_Id scanning and allocation, rendering, reading back. Block
// syntax: nfs-ganesha ganesha-export-config(8) (EXPORT, CLIENT, Access_Type, Squash, FSAL).
#include <catch2/catch.hpp>

#include "rpinetboot/nfs/ganesha_config.h"

using namespace rpinetboot;
using namespace rpinetboot::nfs;

namespace {
GaneshaEntry entry(const char* serial, const char* client, int id, const char* opts = "") {
    GaneshaEntry e;
    e.record.serial = *Serial::parse(serial);
    e.record.path = std::string("/srv/nfs/pi/") + serial;
    e.record.client = *parseClient(client);
    e.record.options = buildOptions(opts).options;
    e.exportId = id;
    return e;
}
}  // namespace

TEST_CASE("ganesha: Export_Id scan ignores comments and is case-insensitive", "[nfs][ganesha]") {
    auto ids = scanExportIds(
        "EXPORT { Export_Id = 1; Path = \"/a#b\"; }\n# Export_Id = 2;\nexport {EXPORT_ID=77;}\n"
        "EXPORT { my_export_id = 5; }\n");
    CHECK(ids == std::set<int>{1, 77});
    CHECK(allocateExportId({}) == 100);
    CHECK(allocateExportId({100, 101, 103}) == 102);
}

TEST_CASE("ganesha: %include targets", "[nfs][ganesha]") {
    auto inc = scanIncludes(
        "%include \"/etc/ganesha/rpi-netboot.conf\"\n  %include other.conf\n"
        "# %include \"/nope\"\n");
    CHECK(inc == std::vector<std::string>{"/etc/ganesha/rpi-netboot.conf", "other.conf"});
}

TEST_CASE("ganesha: block restricts the client, round-trips, detects edits", "[nfs][ganesha]") {
    GaneshaOptions opt;
    auto e = entry("bf9fed6f", "192.0.2.10", 100);
    auto block = renderGaneshaBlock(e, opt);
    CHECK(block.find("Export_Id = 100;") != std::string::npos);
    CHECK(block.find("    Access_Type = None;\n") != std::string::npos);  // default: nobody
    CHECK(block.find("Clients = 192.0.2.10;\n        Access_Type = RW;\n        Squash = "
                     "No_Root_Squash;") != std::string::npos);
    CHECK(block.find("Clients = 127.0.0.1;\n        Access_Type = MDONLY_RO;\n        Squash = "
                     "All_Squash;") != std::string::npos);
    auto text = renderGaneshaInclude({entry("deadbeef", "192.0.2.11", 101, "ro"), e}, opt);
    CHECK(text.back() == '\n');
    auto f = parseGaneshaInclude(text, "f", opt);
    CHECK(f.problems.empty());
    REQUIRE(f.entries.size() == 2);
    CHECK(f.entries[0].record == e.record);
    CHECK(f.entries[0].exportId == 100);
    CHECK(f.entries[1].exportId == 101);
    std::string edited = text;
    edited.replace(edited.find("Access_Type = RW"), 16, "Access_Type = RO");
    CHECK_FALSE(parseGaneshaInclude(edited, "f", opt).problems.empty());
    GaneshaOptions other = opt;
    other.verifyClient = "";
    CHECK_FALSE(parseGaneshaInclude(text, "f", other).problems.empty());
}
