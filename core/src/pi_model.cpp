#include "rpinetboot/pi_model.h"

namespace rpinetboot {

namespace {

// Captures behind the rows: raspberrypi/documentation boot-net.adoc (shape A), raspberrypi/
// firmware#941 and #1605 (shape B), rpi-eeprom#58 and #74, #857 (shape C, TFTP options).
// Bootcode's filters: a 3B+ matches both [pi3] and [pi3+]. OUIs: b8:27:eb (Pi 1-3), dc:a6:32
// (Pi 4), 2c:cf:67 (Pi 5). Revisions: 0x00d03115 is the Pi 4 of a published dnsmasq log's option
// 97, 0x00d04170 a Pi 5 8GB.
// Columns: model, name, Kea class, board, shape, option 55, sends REQUEST, padded menu,
// firmware TFTP, config.txt filters, emulated OUI, emulated board revision.
// clang-format off
constexpr PiModelFacts kFacts[] = {
    {PiModel::Rom3, "rom3", "RPI_NETBOOT_ROM3", "Pi 3B boot ROM",
     DiscoverShape::A, RequestListMatch::Rom12, false, true,
     kBootcodeTftp, {"pi3", ""}, 0xb827eb, 0},
    {PiModel::Bootcode, "bootcode", "RPI_NETBOOT_BOOTCODE", "Pi 3B+ ROM or bootcode.bin",
     DiscoverShape::B, RequestListMatch::Bootcode14, false, false,
     kBootcodeTftp, {"pi3", "pi3+"}, 0xb827eb, 0},
    {PiModel::Pi4, "pi4", "RPI_NETBOOT_PI4", "Pi 4 EEPROM bootloader",
     DiscoverShape::C, RequestListMatch::Eeprom14, true, false,
     kEepromTftp, {"pi4", ""}, 0xdca632, 0x00d03115},
    {PiModel::Pi5, "pi5", "RPI_NETBOOT_PI5", "Pi 5 EEPROM bootloader",
     DiscoverShape::C, RequestListMatch::Eeprom14, true, false,
     kEepromTftp, {"pi5", ""}, 0x2ccf67, 0x00d04170},
};
// clang-format on

}  // namespace

const PiModelFacts& facts(PiModel model) {
    for (const auto& row : kFacts) {
        if (row.model == model) return row;
    }
    return kFacts[2];  // unreachable: every enumerator has a row (core_test checks)
}

const char* shapeName(DiscoverShape s) {
    switch (s) {
        case DiscoverShape::A:
            return "A";
        case DiscoverShape::B:
            return "B";
        case DiscoverShape::C:
            return "C";
    }
    return "?";
}

std::optional<PiModel> parsePiModel(std::string_view name) {
    for (const auto& row : kFacts) {
        if (row.name == name) return row.model;
    }
    return std::nullopt;
}

}  // namespace rpinetboot
