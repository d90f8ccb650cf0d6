#include "rpinetboot/board_revision.h"

#include <array>
#include <cstdio>
#include <utility>

namespace rpinetboot {

namespace {

// raspberrypi/documentation revision-codes.adoc, "New-style revision codes": the TTTTTTTT table.
constexpr std::array<std::pair<std::uint8_t, std::string_view>, 25> kTypes = {{
    {0x00, "A"},
    {0x01, "B"},
    {0x02, "A+"},
    {0x03, "B+"},
    {0x04, "2B"},
    {0x05, "Alpha"},
    {0x06, "CM1"},
    {0x08, "3B"},
    {0x09, "Zero"},
    {0x0a, "CM3"},
    {0x0c, "Zero W"},
    {0x0d, "3B+"},
    {0x0e, "3A+"},
    {0x10, "CM3+"},
    {0x11, "4B"},
    {0x12, "Zero 2 W"},
    {0x13, "400"},
    {0x14, "CM4"},
    {0x15, "CM4S"},
    {0x17, "5"},
    {0x18, "CM5"},
    {0x19, "500"},
    {0x1a, "CM5 Lite"},
    {0x0f, "Internal use only"},
    {0x16, "Internal use only"},
}};
// CCCC and PPPP.
constexpr std::array<std::string_view, 6> kManufacturers = {"Sony UK",    "Egoman", "Embest",
                                                            "Sony Japan", "Embest", "Stadium"};
constexpr std::array<std::string_view, 5> kProcessors = {"BCM2835", "BCM2836", "BCM2837", "BCM2711",
                                                         "BCM2712"};

std::string hexField(unsigned value) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", value);
    return buf;
}

}  // namespace

std::optional<BoardRevision> decodeBoardRevision(std::uint32_t code) {
    if (!(code & (1u << 23))) return std::nullopt;  // F: 1 = new-style
    BoardRevision r;
    r.code = code;
    r.memoryMb = 256u << ((code >> 20) & 0x7);
    const unsigned manufacturer = (code >> 16) & 0xf;
    if (manufacturer < kManufacturers.size()) r.manufacturer = kManufacturers[manufacturer];
    const unsigned processor = (code >> 12) & 0xf;
    if (processor < kProcessors.size()) r.processor = kProcessors[processor];
    r.type = static_cast<std::uint8_t>((code >> 4) & 0xff);
    for (const auto& [type, name] : kTypes) {
        if (type == r.type) r.board = name;
    }
    r.revision = static_cast<std::uint8_t>(code & 0xf);
    return r;
}

std::string BoardRevision::describe() const {
    std::string out = board.empty() ? "type " + hexField(type) : std::string(board);
    out += " rev 1." + std::to_string(revision) + ", ";
    out +=
        memoryMb >= 1024 ? std::to_string(memoryMb / 1024) + "GB" : std::to_string(memoryMb) + "MB";
    out += ", " + (processor.empty() ? "processor " + hexField((code >> 12) & 0xf)
                                     : std::string(processor));
    out += ", " + (manufacturer.empty() ? "manufacturer " + hexField((code >> 16) & 0xf)
                                        : std::string(manufacturer));
    return out;
}

}  // namespace rpinetboot
