// Board revision codes, checked against rows of raspberrypi/documentation
// computers/raspberry-pi/revision-codes.adoc ("New-style revision codes" and its table).
#include <catch2/catch.hpp>

#include "rpinetboot/board_revision.h"

using namespace rpinetboot;

TEST_CASE("new-style revision codes decode as the Raspberry Pi table lists them") {
    // d03115: 4B 1.5 8GB Sony UK (the Pi 4 of docs/protocol/dhcp.md's option 97).
    const auto pi4 = decodeBoardRevision(0x00d03115);
    REQUIRE(pi4);
    CHECK(pi4->board == "4B");
    CHECK(pi4->revision == 5);
    CHECK(pi4->memoryMb == 8192);
    CHECK(pi4->processor == "BCM2711");
    CHECK(pi4->manufacturer == "Sony UK");
    CHECK(pi4->describe() == "4B rev 1.5, 8GB, BCM2711, Sony UK");
    // d04170: 5 1.0 8GB; d04190: 500; c04180: CM5 4GB; b041a0: CM5 Lite 2GB.
    CHECK(decodeBoardRevision(0xd04170)->board == "5");
    CHECK(decodeBoardRevision(0xd04170)->processor == "BCM2712");
    CHECK(decodeBoardRevision(0xd04190)->board == "500");
    CHECK(decodeBoardRevision(0xc04180)->board == "CM5");
    CHECK(decodeBoardRevision(0xc04180)->memoryMb == 4096);
    CHECK(decodeBoardRevision(0xb041a0)->board == "CM5 Lite");
    CHECK(decodeBoardRevision(0xb041a0)->memoryMb == 2048);
    // c03130: Pi 400 1.0 4GB; a020d3: 3B+ 1.3 1GB Sony UK; 9020e0: 3A+ 512MB.
    CHECK(decodeBoardRevision(0xc03130)->board == "400");
    const auto b3plus = decodeBoardRevision(0xa020d3);
    CHECK(b3plus->board == "3B+");
    CHECK(b3plus->memoryMb == 1024);
    CHECK(b3plus->processor == "BCM2837");
    CHECK(decodeBoardRevision(0x9020e0)->memoryMb == 512);
    // a22082: 3B 1.2 Embest (manufacturer 2).
    CHECK(decodeBoardRevision(0xa22082)->manufacturer == "Embest");
}

TEST_CASE("old-style codes and unknown fields") {
    CHECK_FALSE(decodeBoardRevision(0));           // shapes A and B carry no revision
    CHECK_FALSE(decodeBoardRevision(0x0000000e));  // old-style "000e": B 2.0
    // Bits N, O, Q and W (overvoltage, OTP, warranty) do not change the fields.
    CHECK(decodeBoardRevision(0xe2d03115)->board == "4B");
    // A type the table does not (yet) list stays decodable.
    const auto unknown = decodeBoardRevision(0xd047f0);
    REQUIRE(unknown);
    CHECK(unknown->board.empty());
    CHECK(unknown->describe() == "type 0x7f rev 1.0, 8GB, BCM2712, Sony UK");
}
