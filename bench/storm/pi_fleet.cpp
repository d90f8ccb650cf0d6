#include "pi_fleet.h"

#include <algorithm>
#include <random>
#include <set>

namespace rpinetboot::bench {

namespace {

MacAddress macOf(std::uint32_t oui, std::uint32_t low24) {
    return MacAddress(
        MacAddress::Bytes{static_cast<std::uint8_t>(oui >> 16), static_cast<std::uint8_t>(oui >> 8),
                          static_cast<std::uint8_t>(oui), static_cast<std::uint8_t>(low24 >> 16),
                          static_cast<std::uint8_t>(low24 >> 8), static_cast<std::uint8_t>(low24)});
}

constexpr PiModel kOrder[] = {PiModel::Rom3, PiModel::Bootcode, PiModel::Pi4, PiModel::Pi5};

}  // namespace

std::vector<PiIdentity> makeFleet(unsigned count, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<PiIdentity> out;
    out.reserve(count);
    for (unsigned i = 0; i < count; ++i) {
        PiIdentity pi;
        pi.model = kOrder[i % 4];
        // Index in the low 16 bits keeps MACs and serials distinct for up to 65536 Pis.
        const std::uint32_t low16 = i & 0xffffu;
        switch (pi.model) {
            case PiModel::Rom3:
            case PiModel::Bootcode:
                pi.serial = Serial(0x10a00000u | low16);
                pi.mac = macOf(0xb827eb, pi.serial.value() & 0xffffffu);
                break;
            case PiModel::Pi4:
                pi.serial = Serial(0x4b000000u | (rng() & 0x00ff0000u) | low16);
                pi.mac = macOf(0xdca632, 0xb00000u | low16);
                pi.board_revision = 0x00d03115;  // docs/protocol/dhcp.md's Pi 4
                pi.fourcc_wire_order_rpi = (i / 4) % 2 == 1;
                break;
            case PiModel::Pi5:
                pi.serial = Serial(0x5c000000u | (rng() & 0x00ff0000u) | low16);
                pi.mac = macOf(0x2ccf67, 0xc00000u | low16);
                pi.board_revision = 0x00d04170;
                break;
        }
        pi.xid = rng();
        out.push_back(pi);
    }
    return out;
}

std::vector<probe::PiBootStep> bootSequence(PiModel model) {
    switch (model) {
        case PiModel::Rom3:
            return probe::pi3BootSequence();
        case PiModel::Bootcode: {
            auto steps = probe::pi3BootSequence();
            steps.erase(steps.begin());  // bootcode.bin itself came from the SD card
            return steps;
        }
        case PiModel::Pi4:
            return probe::pi4BootSequence(probe::PiTftpClient::Pi4Eeprom2022);
        case PiModel::Pi5: {
            auto steps = probe::pi4BootSequence(probe::PiTftpClient::Pi4Eeprom2022);
            steps.erase(std::remove_if(steps.begin(), steps.end(),
                                       [](const probe::PiBootStep& s) {
                                           return s.file == "start4.elf" || s.file == "fixup4.dat";
                                       }),
                        steps.end());
            return steps;
        }
    }
    return {};
}

std::vector<std::string> requiredFiles(PiModel model) {
    std::set<std::string> files;
    for (const auto& step : bootSequence(model)) {
        if (step.kind == probe::PiBootStep::Kind::Optional) continue;
        files.insert(step.underPrefix ? step.file : "/" + step.file);
    }
    return {files.begin(), files.end()};
}

}  // namespace rpinetboot::bench
