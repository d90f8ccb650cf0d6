// The one IPv4 text parser and formatter (host byte order).
#include <catch2/catch.hpp>

#include <string>

#include "rpinetboot/util/ipv4.h"

using namespace rpinetboot;

TEST_CASE("parseIpv4 reads a dotted quad in host order", "[util][ipv4]") {
    CHECK(parseIpv4("192.0.2.1") == 0xC0000201u);
    CHECK(parseIpv4("0.0.0.0") == 0u);
    CHECK(parseIpv4("255.255.255.255") == 0xFFFFFFFFu);
    CHECK(parseIpv4("198.51.100.0") == 0xC6336400u);
}

TEST_CASE("parseIpv4 refuses everything inet_pton refuses", "[util][ipv4]") {
    for (const char* bad :
         {"", "192.0.2", "192.0.2.1.", "192.0.2.1.5", ".192.0.2.1", "192..2.1", "256.0.0.1",
          "192.0.2.01", "192.0.2.0010", "1.2.3.-4", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "0x7f.0.0.1",
          "192.0.2.1/24", "::1", "3232235777"}) {
        INFO(bad);
        CHECK_FALSE(parseIpv4(bad));
    }
}

TEST_CASE("ipv4ToString writes what parseIpv4 reads", "[util][ipv4]") {
    CHECK(ipv4ToString(0xC0000201u) == "192.0.2.1");
    CHECK(ipv4ToString(0) == "0.0.0.0");
    for (std::uint32_t a : {0u, 1u, 0x0A000001u, 0xC6336464u, 0xFFFFFFFFu})
        CHECK(parseIpv4(ipv4ToString(a)) == a);
}

TEST_CASE("ipv4ToString writes each part as std::to_string does", "[util][ipv4]") {
    // Every value of every part (the digit-by-digit writer against the library's decimal).
    for (std::uint32_t v = 0; v < 256; ++v) {
        for (int shift = 0; shift < 32; shift += 8) {
            const std::uint32_t a = (v << shift) | (shift ? 7u : 0x07000000u);
            std::string expected;
            for (int s = 24; s >= 0; s -= 8) {
                expected += std::to_string(a >> s & 255);
                if (s) expected += '.';
            }
            INFO(expected);
            CHECK(ipv4ToString(a) == expected);
        }
    }
    char text[kMaxIpv4Text];
    CHECK(writeIpv4(text, 0xFFFFFFFFu) - text == static_cast<long>(kMaxIpv4Text));
}
