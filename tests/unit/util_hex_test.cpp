// The one hex encoder and decoder for bytes.
#include <catch2/catch.hpp>

#include "rpinetboot/util/hex.h"

using namespace rpinetboot;

TEST_CASE("toHex writes two lower-case digits per byte", "[util][hex]") {
    CHECK(toHex(Bytes{}).empty());
    CHECK(toHex(Bytes{0x00, 0x0f, 0xa0, 0xff, 0x5c}) == "000fa0ff5c");
}

TEST_CASE("fromHex reads either case and refuses anything else", "[util][hex]") {
    CHECK(fromHex("") == Bytes{});
    CHECK(fromHex("000fA0Ff5c") == Bytes{0x00, 0x0f, 0xa0, 0xff, 0x5c});
    for (const char* bad : {"0", "abc", "0g", "g0", " 0a", "0x0a", "0a:0b", "-1"}) {
        INFO(bad);
        CHECK_FALSE(fromHex(bad));
    }
    const Bytes all = [] {
        Bytes b;
        for (int i = 0; i < 256; ++i) b.push_back(static_cast<std::uint8_t>(i));
        return b;
    }();
    CHECK(fromHex(toHex(all)) == all);
}
