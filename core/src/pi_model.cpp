#include "rpinetboot/pi_model.h"

namespace rpinetboot {

namespace {

// Captures behind the rows: raspberrypi/documentation boot-net.adoc (shape A), raspberrypi/
// firmware#941 and #1605 (shape B), rpi-eeprom#58 and #74, #857 (shape C, TFTP options).
// Bootcode's filters: a 3B+ matches both [pi3] and [pi3+].
constexpr PiModelFacts kFacts[] = {
    {PiModel::Rom3,
     "rom3",
     "RPI_NETBOOT_ROM3",
     "Pi 3B boot ROM",
     DiscoverShape::A,
     RequestListMatch::Rom12,
     false,
     true,
     kBootcodeTftp,
     {"pi3", ""}},
    {PiModel::Bootcode,
     "bootcode",
     "RPI_NETBOOT_BOOTCODE",
     "Pi 3B+ ROM or bootcode.bin",
     DiscoverShape::B,
     RequestListMatch::Bootcode14,
     false,
     false,
     kBootcodeTftp,
     {"pi3", "pi3+"}},
    {PiModel::Pi4,
     "pi4",
     "RPI_NETBOOT_PI4",
     "Pi 4 EEPROM bootloader",
     DiscoverShape::C,
     RequestListMatch::Eeprom14,
     true,
     false,
     kEepromTftp,
     {"pi4", ""}},
    {PiModel::Pi5,
     "pi5",
     "RPI_NETBOOT_PI5",
     "Pi 5 EEPROM bootloader",
     DiscoverShape::C,
     RequestListMatch::Eeprom14,
     true,
     false,
     kEepromTftp,
     {"pi5", ""}},
};

}  // namespace

const PiModelFacts& facts(PiModel model) {
    for (const auto& row : kFacts) {
        if (row.model == model) return row;
    }
    return kFacts[2];  // unreachable: every enumerator has a row (core_test checks)
}

std::optional<PiModel> parsePiModel(std::string_view name) {
    for (const auto& row : kFacts) {
        if (row.name == name) return row.model;
    }
    return std::nullopt;
}

}  // namespace rpinetboot
