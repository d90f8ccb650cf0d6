// DHCP parameter-request lists (option 55) of the three Pi DISCOVER shapes (docs/protocol/dhcp.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "rpinetboot/span.h"

namespace rpinetboot {

// The vendor class (option 60) every Pi netboot client sends, in all three shapes.
inline constexpr std::string_view kPiVendorClass = "PXEClient:Arch:00000:UNDI:002001";

// Shape A (Pi 3B / 2B v1.2 boot ROM): 12 codes.
inline constexpr std::array<std::uint8_t, 12> kRomRequestList = {
    0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x42};
// Shape B (3B+ ROM, bootcode.bin): the 12 followed by 1 and 3.
inline constexpr std::array<std::uint8_t, 14> kBootcodeRequestList = {
    0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x42, 0x01, 0x03};
// Shape C (Pi 4/5 EEPROM bootloader): the same 14 codes, 1 and 3 first.
inline constexpr std::array<std::uint8_t, 14> kEepromRequestList = {
    0x01, 0x03, 0x2b, 0x3c, 0x42, 0x43, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87};

enum class RequestListMatch {
    None,         // not a Pi list
    Rom12,        // the 12-code set, in any order
    Bootcode14,   // the 14-code set, exactly in shape B's order
    Eeprom14,     // the 14-code set, exactly in shape C's order
    Unordered14,  // the 14-code set in some other order
};

// Compares the codes as a set (duplicates make it a non-match), then the order.
RequestListMatch matchRequestList(ByteSpan codes);

// The list a Pi sends for an exact signature (Rom12, Bootcode14, Eeprom14); empty for the others.
ByteSpan requestListOf(RequestListMatch signature);

}  // namespace rpinetboot
