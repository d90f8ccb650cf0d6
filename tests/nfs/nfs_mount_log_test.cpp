// rpc.mountd's log lines (as nfs-utils 2.6.2 writes them, measured in a network namespace with
// libnfs's nfs-ls as the client) parsed into mount requests, and matched to the Pi exports.
#include <catch2/catch.hpp>

#include "rpinetboot/nfs/mount_log.h"

using namespace rpinetboot;
using namespace rpinetboot::nfs;

TEST_CASE("mountd's authenticated and refused lines, plain and from journalctl -o json",
          "[nfs][mountlog]") {
    auto a = parseMountLog(
        "rpc.mountd: authenticated mount request from 192.0.2.10:850 for /srv/rpi/1a2b3c04 "
        "(/srv/rpi/1a2b3c04)");
    REQUIRE(a);
    CHECK(a->address == "192.0.2.10");
    CHECK(a->path == "/srv/rpi/1a2b3c04");
    CHECK(a->realPath == "/srv/rpi/1a2b3c04");
    CHECK_FALSE(a->refused);
    CHECK_FALSE(a->timestampUs);
    // syslog form, CR LF.
    a = parseMountLog(
        "Dec  5 22:11:02 srv rpc.mountd[812]: authenticated mount request from "
        "198.51.100.11:1023 for /srv/rpi/1a2b3c05/ (/srv/rpi/1a2b3c05)\r");
    REQUIRE(a);
    CHECK(a->address == "198.51.100.11");
    CHECK(a->path == "/srv/rpi/1a2b3c05/");

    auto r = parseMountLog(
        "rpc.mountd: refused mount request from 192.0.2.10 for /tmp/tl/nothere (/): not exported");
    REQUIRE(r);
    CHECK(r->refused);
    CHECK(r->address == "192.0.2.10");
    CHECK(r->path == "/tmp/tl/nothere");
    CHECK(r->realPath == "/");
    CHECK(r->reason == "not exported");

    auto j = parseMountLog(
        R"j({"__REALTIME_TIMESTAMP":"1796497318163410","MESSAGE":"authenticated mount request )j"
        R"j(from 192.0.2.10:622 for /srv/rpi/1a2b3c04 (/srv/rpi/1a2b3c04)","_PID":"812"})j");
    REQUIRE(j);
    CHECK(j->timestampUs == 1796497318163410u);
    CHECK(j->address == "192.0.2.10");
}

TEST_CASE("every other line is no mount request", "[nfs][mountlog]") {
    for (const char* line : {
             "",
             "rpc.mountd: Version 2.6.2 starting",
             "rpc.mountd: Kernel does not have pseudo root support.",
             "rpc.mountd: authenticated mount request from",
             "rpc.mountd: authenticated mount request from nohost:1 for /a (/a)",
             "rpc.mountd: authenticated mount request from 192.0.2.10:850 to /a (/a)",
             "rpc.mountd: authenticated mount request from 192.0.2.10:850 for relative (x)",
             "rpc.mountd: authenticated mount request from 192.0.2.10:850 for /a",
             "{\"MESSAGE\":7}",
             "{not json",
             "{\"MESSAGE\":\"rpc.mountd: Caught signal 15, un-registering and exiting.\"}",
         }) {
        INFO(line);
        CHECK_FALSE(parseMountLog(line));
    }
}

TEST_CASE("a mount request is matched to the export of its path or a directory above it",
          "[nfs][mountlog]") {
    std::vector<PiExport> records(2);
    records[0].serial = *Serial::parse("1a2b3c04");
    records[0].path = "/srv/rpi/1a2b3c04";
    records[1].serial = *Serial::parse("1a2b3c05");
    records[1].path = "/srv/rpi/1a2b3c05";
    MountRequest m;
    m.path = "/srv/rpi/1a2b3c05";
    CHECK(exportForMount(records, m) == &records[1]);
    m.path = "/srv/rpi/1a2b3c04/boot";
    CHECK(exportForMount(records, m) == &records[0]);
    m.path = "/srv/rpi/1a2b3c0";  // a prefix of a name is not a directory above
    CHECK(exportForMount(records, m) == nullptr);
    m.path = "/srv/rpi/1a2b3c045";
    CHECK(exportForMount(records, m) == nullptr);
    m.path = "/other";
    m.realPath = "/srv/rpi/1a2b3c04";  // through a symlink
    CHECK(exportForMount(records, m) == &records[0]);
}
