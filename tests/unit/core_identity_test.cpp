// Serial, MAC and OUI forms (docs/protocol/dhcp.md: "Serial numbers and MAC prefixes", "MAC OUIs").
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <string>

#include "rpinetboot/mac.h"
#include "rpinetboot/oui.h"
#include "rpinetboot/serial.h"

using namespace rpinetboot;

TEST_CASE("serials parse in the forms admins copy them in", "[serial]") {
    CHECK(Serial::parse("bf9fed6f")->value() == 0xbf9fed6f);
    CHECK(Serial::parse("BF9FED6F")->str() == "bf9fed6f");
    CHECK(Serial::parse("10000000bf9fed6f")->str() == "bf9fed6f");  // /proc/cpuinfo
    CHECK(Serial::parse("00000000bf9fed6f")->str() == "bf9fed6f");
    CHECK(Serial::parse("0000abcd")->str() == "0000abcd");
}

TEST_CASE("bad serials are rejected", "[serial]") {
    for (const char* bad : {"", "bf9fed6", "bf9fed6f0", "bf9fed6g", "20000000bf9fed6f", " bf9fed6f",
                            "bf9f-d6f", "../../et"}) {
        INFO(bad);
        CHECK_FALSE(Serial::parse(bad));
    }
}

TEST_CASE("MAC addresses parse and print in the Pi's forms", "[mac]") {
    auto mac = MacAddress::parse("DC:A6:32:01:36:C2");
    REQUIRE(mac);
    CHECK(mac->str() == "dc:a6:32:01:36:c2");
    CHECK(mac->dashed() == "dc-a6-32-01-36-c2");  // TFTP_PREFIX=2 directory
    CHECK(mac->oui() == 0xdca632);
    CHECK(MacAddress::parse("dc-a6-32-01-36-c2") == mac);
    CHECK(MacAddress::parse("dca6320136c2") == mac);
    for (const char* bad : {"", "dc:a6:32:01:36", "dc:a6-32:01:36:c2", "dc:a6:32:01:36:cg",
                            "dc.a6.32.01.36.c2", "dca6320136c2ff"}) {
        INFO(bad);
        CHECK_FALSE(MacAddress::parse(bad));
    }
}

TEST_CASE("the built-in OUI list matches docs/protocol/dhcp.md and is extensible", "[oui]") {
    OuiSet set;
    for (const char* oui :
         {"b8:27:eb", "dc:a6:32", "e4:5f:01", "28:cd:c1", "d8:3a:dd", "2c:cf:67", "88:a2:9e"}) {
        INFO(oui);
        CHECK(set.contains(*parseOui(oui)));
    }
    CHECK(builtinPiOuis().size() == 7);
    CHECK_FALSE(set.contains(0x001122));
    set.add(*parseOui("00-11-22"));
    CHECK(set.contains(*MacAddress::parse("00:11:22:33:44:55")));
    CHECK(parseOui("001122") == 0x001122u);
    CHECK_FALSE(parseOui("00:11-22"));
    CHECK_FALSE(parseOui("0011"));
}

// contains() asks a 256-bit filter before the set: exact for every OUI, whether its filter bit
// is clear, set by a member, or set by another OUI that shares it.
TEST_CASE("OuiSet answers every OUI exactly, its filter in front", "[oui]") {
    const OuiSet set;
    const auto& builtin = builtinPiOuis();
    for (std::uint32_t oui = 0; oui < (1u << 24); oui += 97) {
        const bool member = std::find(builtin.begin(), builtin.end(), oui) != builtin.end();
        if (set.contains(oui) != member) FAIL("OUI " << oui);
    }
    for (const std::uint32_t oui : builtin) {
        CHECK(set.contains(oui));
        CHECK(set.contains(MacAddress::fromOui(oui, 0xabcdef)));
        CHECK_FALSE(set.contains(oui ^ 1u));  // a neighbour, which may share a member's bit
    }
}

// str() and dashed() are formatted by hand: byte-identical to the printf forms they replaced, for
// every byte value in every position and for serials across the 32-bit range.
TEST_CASE("MAC and serial text matches the printf forms", "[mac][serial]") {
    for (unsigned v = 0; v < 256; ++v) {
        for (std::size_t at = 0; at < 6; ++at) {
            MacAddress::Bytes b{0x01, 0x23, 0x45, 0x67, 0x89, 0xab};
            b[at] = static_cast<std::uint8_t>(v);
            char colons[18], dashes[18];
            std::snprintf(colons, sizeof colons, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
                          b[3], b[4], b[5]);
            std::snprintf(dashes, sizeof dashes, "%02x-%02x-%02x-%02x-%02x-%02x", b[0], b[1], b[2],
                          b[3], b[4], b[5]);
            CHECK(MacAddress(b).str() == std::string(colons));
            CHECK(MacAddress(b).dashed() == std::string(dashes));
        }
    }
    for (std::uint64_t v = 0; v <= 0xffffffffu; v += 0x00fedcbau) {
        for (std::uint32_t s : {static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(~v)}) {
            char text[9];
            std::snprintf(text, sizeof text, "%08x", s);
            CHECK(Serial(s).str() == std::string(text));
        }
    }
}
