// The Raspberry Pi boot stages the project tells apart, and every per-model fact in one table:
// what the stage sends in DHCP, whether it ever sends DHCPREQUEST, how it speaks TFTP, and the
// names Kea and the probe use for it. Sources are cited beside each row (pi_model.cpp).
// Everything else in the project (hook, probe, lab, benchmarks) reads these.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "rpinetboot/request_list.h"

namespace rpinetboot {

// One boot stage as seen on the wire (the probe's --model takes the lowercase names).
enum class PiModel {
    Rom3,      // Pi 3B / 2B v1.2 boot ROM: DISCOVER shape A
    Bootcode,  // Pi 3B+ ROM, some 3B, bootcode.bin on Pi 1/2/3/Zero: shape B
    Pi4,       // Pi 4 / 400 / CM4 EEPROM bootloader: shape C
    Pi5,       // Pi 5 / 500 / CM5 EEPROM bootloader: shape C
};
inline constexpr std::array<PiModel, 4> kPiModels = {PiModel::Rom3, PiModel::Bootcode, PiModel::Pi4,
                                                     PiModel::Pi5};

// The three DISCOVER layouts (raspberrypi/firmware#941, #1605; rpi-eeprom#58).
enum class DiscoverShape { A, B, C };

// The TFTP options a loader puts in every RRQ. No Pi sends windowsize or timeout, and the mode is
// always octet (rpi-eeprom#74, #857; raspberrypi/firmware#1041).
struct TftpDialect {
    bool tsize = false;                    // "tsize 0"
    std::optional<std::uint16_t> blksize;  // nullopt: no blksize option, 512-byte blocks
};
inline constexpr TftpDialect kRomTftp{false, std::nullopt};      // Pi 3 boot ROM
inline constexpr TftpDialect kBootcodeTftp{true, std::nullopt};  // bootcode.bin, start.elf
inline constexpr TftpDialect kEeprom2019Tftp{true, 1024};        // Pi 4 EEPROM 2019-2022
inline constexpr TftpDialect kEepromTftp{true, 1468};            // Pi 4 >= 2022-10, Pi 5

struct PiModelFacts {
    PiModel model;
    std::string_view name;       // "rom3", "bootcode", "pi4", "pi5"
    std::string_view className;  // the Kea client class the hook assigns
    std::string_view board;      // in plain words, for people
    DiscoverShape shape;
    RequestListMatch requestList;  // the option 55 signature it sends
    // False for the stages that never send DHCPREQUEST and use the OFFERed address as it is (the
    // Pi 3B ROM; none seen from bootcode.bin): a server must hold their offers.
    bool sendsRequest;
    // The Pi 3B ROM miscounts option 43's menu text and needs "Raspberry Pi Boot" padded with
    // three spaces (raspberrypi/documentation boot-net.adoc, "Known problems").
    bool needsPaddedMenu;
    // How the loader of the firmware files speaks TFTP. The Pi 3 ROMs fetch bootcode.bin itself
    // with kRomTftp; boot_plan.h lists that step.
    TftpDialect firmwareTftp;
    // config.txt conditional sections that apply ([all] always does); raspberrypi/documentation
    // config.txt "Conditional filters".
    std::array<std::string_view, 2> configFilters;
    // What the emulators (probe, tests, storm) give such a Pi: a MAC OUI of that board family and,
    // for shape C's option 97, a real board revision code (raspberrypi/documentation
    // "Raspberry Pi revision codes"; 0 where the shape carries none).
    std::uint32_t emulatedOui;
    std::uint32_t emulatedBoardRevision;
};

const PiModelFacts& facts(PiModel model);

std::optional<PiModel> parsePiModel(std::string_view name);  // by PiModelFacts::name

// Shorthands for the most used columns.
inline std::string_view piModelName(PiModel m) {
    return facts(m).name;
}
inline std::string_view className(PiModel m) {
    return facts(m).className;
}
inline DiscoverShape shapeOf(PiModel m) {
    return facts(m).shape;
}
inline bool sendsRequest(PiModel m) {
    return facts(m).sendsRequest;
}
// "A", "B" or "C", as docs/protocol/dhcp.md names the DISCOVER shapes.
const char* shapeName(DiscoverShape s);

// The class every Pi gets besides its model's.
inline constexpr std::string_view kClassAll = "RPI_NETBOOT";

}  // namespace rpinetboot
