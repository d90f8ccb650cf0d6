// Option 43/60/66 encoding (docs/protocol/dhcp.md, "The reply a Pi needs").
#include <catch2/catch.hpp>

#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"
#include "vectors.h"

using namespace rpinetboot;

TEST_CASE("option 43 is byte-for-byte what dnsmasq's pxe-service emits", "[option43]") {
    CHECK(encodeOption43(kDefaultMenuText, false) == vectors::option43Unpadded());
}

TEST_CASE("the Pi 3B ROM form has three trailing spaces", "[option43]") {
    CHECK(encodeOption43(kDefaultMenuText, true) == vectors::option43Padded());
}

TEST_CASE("option 43 decodes back, padding kept", "[option43]") {
    auto d = decodeOption43(vectors::option43Padded(), nullptr);
    REQUIRE(d);
    CHECK(d->discoveryControl == 3);
    CHECK(d->menuText == "Raspberry Pi Boot   ");
    CHECK(d->hasEnd);
    std::string error;
    auto truncated = vectors::option43Unpadded();
    truncated.resize(16);
    CHECK_FALSE(decodeOption43(truncated, &error));
    CHECK(error.find("truncated") != std::string::npos);
}

TEST_CASE("menu text is validated", "[option43]") {
    CHECK_FALSE(validateMenuText("Raspberry Pi Boot"));
    CHECK(validateMenuText(""));
    CHECK(validateMenuText(std::string(65, 'x')));
    CHECK_FALSE(validateMenuText(std::string(64, 'x')));
    CHECK(validateMenuText("Raspberry\nPi"));
    CHECK(validateMenuText("Raspberry\xc3\xa9"));
    // The longest allowed text still fits one option with padding.
    CHECK(encodeOption43(std::string(64, 'x'), true).size() < 255);
}

TEST_CASE("option 66 is dotted-quad text without NUL", "[option66]") {
    // docs/protocol/dhcp.md: "192.168.47.1" = 31 39 32 2e 31 36 38 2e 34 37 2e 31.
    const std::string text = tftpServerText(*parseIpv4("192.168.47.1"));
    CHECK(vectors::text(text) ==
          Bytes{0x31, 0x39, 0x32, 0x2e, 0x31, 0x36, 0x38, 0x2e, 0x34, 0x37, 0x2e, 0x31});
    CHECK_FALSE(parseIpv4("192.0.2"));
    CHECK_FALSE(parseIpv4("192.0.2.256"));
}
