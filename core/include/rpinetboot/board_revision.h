// The board revision code a Pi 4/5 EEPROM sends in option 97 (docs/protocol/dhcp.md), decoded
// into its fields as Raspberry Pi documents them: raspberrypi/documentation
// computers/raspberry-pi/revision-codes.adoc, "New-style revision codes"
// (NOQuuuWuFMMMCCCCPPPPTTTTTTTTRRRR). Old-style codes (flag bit 23 clear) are not decoded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpinetboot {

struct BoardRevision {
    std::uint32_t code = 0;
    std::uint32_t memoryMb = 0;     // MMM: 256 MB << MMM
    std::string_view manufacturer;  // CCCC, "" when the code is not in the table
    std::string_view processor;     // PPPP, e.g. "BCM2711"
    std::uint8_t type = 0;          // TTTTTTTT
    std::string_view board;         // the type's name, e.g. "4B", "5", "CM4"; "" when unknown
    std::uint8_t revision = 0;      // RRRR: the board's minor revision (1.RRRR)

    // "4B rev 1.5, 8GB, BCM2711, Sony UK" (unknown fields as hex numbers).
    std::string describe() const;
};

// nullopt for an old-style code (bit 23 clear) or 0 (shapes A and B carry none).
std::optional<BoardRevision> decodeBoardRevision(std::uint32_t code);

}  // namespace rpinetboot
