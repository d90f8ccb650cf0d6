// The one decimal parser: digits only, bounded, never overflowing.
#include <catch2/catch.hpp>

#include "rpinetboot/util/decimal.h"

using rpinetboot::parseDecimal;

TEST_CASE("parseDecimal accepts digits up to the maximum", "[util][decimal]") {
    CHECK(parseDecimal("0", 10) == 0u);
    CHECK(parseDecimal("1468", 65464) == 1468u);
    CHECK(parseDecimal("0512", 65464) == 512u);  // leading zeros are plain decimal
    CHECK(parseDecimal("65535", 65535) == 65535u);
    CHECK(parseDecimal("9223372036854775807", UINT64_MAX >> 1) == (UINT64_MAX >> 1));
}

TEST_CASE("parseDecimal refuses anything but bounded digits", "[util][decimal]") {
    CHECK_FALSE(parseDecimal("", 10));
    CHECK_FALSE(parseDecimal("65536", 65535));
    CHECK_FALSE(parseDecimal("-1", 10));
    CHECK_FALSE(parseDecimal("+1", 10));
    CHECK_FALSE(parseDecimal(" 1", 10));
    CHECK_FALSE(parseDecimal("1 ", 10));
    CHECK_FALSE(parseDecimal("0x10", 100));
    CHECK_FALSE(parseDecimal("1e3", 10000));
    // 20 digits could overflow 64 bits: refused before any arithmetic.
    CHECK_FALSE(parseDecimal("18446744073709551616", UINT64_MAX));
    CHECK_FALSE(parseDecimal("00000000000000000001", UINT64_MAX));
}
