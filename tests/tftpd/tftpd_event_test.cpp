// The TFTP_FILE event's identity, taken from the request's first directory: a serial (the
// default TFTP_PREFIX) or a MAC in dashes (TFTP_PREFIX=2), docs/protocol/dhcp.md.
// tests/tftpd/test_events.py checks the daemon's events after real transfers.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "settings.h"
#include "transfer_event.h"

using rpinetboot::BootStep;
using rpinetboot::tftpd::tftpFileEvent;

TEST_CASE("the serial directory names the Pi") {
    auto e = tftpFileEvent("1A2B3C04/start4.elf", "192.0.2.10");
    CHECK(e.step == BootStep::TftpFile);
    CHECK(e.source == "rpi-tftpd");
    CHECK(e.serial == "1a2b3c04");
    CHECK(e.mac.empty());
    CHECK(e.address == "192.0.2.10");
    CHECK(e.file == "1A2B3C04/start4.elf");
    CHECK(e.timestampUs > 0);
    CHECK(tftpFileEvent("/10000000bf9fed6f/config.txt", "").serial == "bf9fed6f");
}

TEST_CASE("the dashed MAC directory names the Pi") {
    auto e = tftpFileEvent("DC-A6-32-01-36-C2/start4.elf", "192.0.2.10");
    CHECK(e.mac == "dc:a6:32:01:36:c2");
    CHECK(e.serial.empty());
}

TEST_CASE("other names carry no identity") {
    for (const char* name : {"bootcode.bin", "1a2b3c04", "overlays/x.dtbo", "dca6320136c2/x",
                             "1a2b3c0/x", "dc:a6:32:01:36:c2/x", "/", ""}) {
        auto e = tftpFileEvent(name, "192.0.2.10");
        INFO(name);
        CHECK(e.serial.empty());
        CHECK(e.mac.empty());
    }
}

TEST_CASE("the events option: none by default, validated like the library's sink spec") {
    using namespace rpinetboot::tftpd;
    auto parse = [](std::vector<std::string> args, Settings& s) {
        args.insert(args.begin(), {"--config", "/dev/null", "--root", "/srv/tftp"});
        return parseSettings(args, s);
    };
    Settings s;
    REQUIRE(parse({}, s).status == ParseStatus::Ok);
    CHECK(s.events == "none");
    REQUIRE(parse({"--events", "json:/var/log/rpi-tftpd-events.jsonl"}, s).status ==
            ParseStatus::Ok);
    CHECK(s.events == "json:/var/log/rpi-tftpd-events.jsonl");
    for (const char* bad : {"syslog", "json:", ""}) {
        Settings t;
        const auto r = parse({"--events", bad}, t);
        INFO(bad);
        CHECK(r.status == ParseStatus::Error);
        CHECK(r.text.rfind("--events", 0) == 0);
    }
}
