#include "rpinetboot/probe/boot_plan.h"

#include <sstream>

namespace rpinetboot::probe {

namespace {

// docs/protocol/tftp.md, "Options per loader".
constexpr TftpDialect kRomDialect{false, std::nullopt};
constexpr TftpDialect kBootcodeDialect{true, std::nullopt};
constexpr TftpDialect kEepromDialect{true, 1468};

std::string dtbFor(PiModel model) {
    switch (model) {
        case PiModel::Rom3:
            return "bcm2710-rpi-3-b.dtb";
        case PiModel::Bootcode:
            return "bcm2710-rpi-3-b-plus.dtb";
        case PiModel::Pi4:
            return "bcm2711-rpi-4-b.dtb";
        case PiModel::Pi5:
            return "bcm2712-rpi-5-b.dtb";
    }
    return "";
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// config.txt conditional filters, as far as the emulated models go.
bool filterMatches(const std::string& filter, PiModel model) {
    if (filter == "all") return true;
    switch (model) {
        case PiModel::Rom3:
            return filter == "pi3";
        case PiModel::Bootcode:
            return filter == "pi3" || filter == "pi3+";
        case PiModel::Pi4:
            return filter == "pi4";
        case PiModel::Pi5:
            return filter == "pi5";
    }
    return false;
}

}  // namespace

std::vector<BootStep> bootPlan(PiModel model) {
    std::vector<BootStep> plan;
    const std::string dtb = dtbFor(model);
    if (shapeOf(model) != DiscoverShape::C) {
        // Pi 2B v1.2 / 3B / 3B+: the boot ROM loads bootcode.bin from the root, then asks for
        // bootsig.bin (missing is normal); bootcode.bin goes on with start.elf under the prefix.
        plan.push_back({StepKind::RootFile, "bootcode.bin", true, kRomDialect, "second stage"});
        plan.push_back({StepKind::RootFile, "bootsig.bin", false, kRomDialect, "signature"});
        plan.push_back({StepKind::PrefixProbe, "start.elf", true, kBootcodeDialect, "prefix"});
        plan.push_back({StepKind::File, "config.txt", true, kBootcodeDialect, "config"});
        plan.push_back({StepKind::File, "start.elf", true, kBootcodeDialect, "firmware"});
        plan.push_back({StepKind::File, "fixup.dat", true, kBootcodeDialect, "firmware"});
        plan.push_back({StepKind::File, dtb, true, kBootcodeDialect, "dtb"});
        plan.push_back({StepKind::File, "cmdline.txt", true, kBootcodeDialect, "cmdline"});
        return plan;
    }
    if (model == PiModel::Pi4) {
        plan.push_back({StepKind::PrefixProbe, "start4.elf", true, kEepromDialect, "prefix"});
        plan.push_back({StepKind::File, "config.txt", true, kEepromDialect, "config"});
        plan.push_back({StepKind::File, "start4.elf", true, kEepromDialect, "firmware"});
        plan.push_back({StepKind::File, "fixup4.dat", true, kEepromDialect, "firmware"});
    } else {
        // Pi 5 fetches no start*.elf (docs/protocol/tftp.md); how it decides the prefix is not
        // published, so the probe tests <prefix>/config.txt (unconfirmed).
        plan.push_back({StepKind::PrefixProbe, "config.txt", true, kEepromDialect, "prefix"});
        plan.push_back({StepKind::File, "config.txt", true, kEepromDialect, "config"});
    }
    plan.push_back({StepKind::File, dtb, true, kEepromDialect, "dtb"});
    plan.push_back({StepKind::File, "overlays/overlay_map.dtb", false, kEepromDialect, "overlays"});
    plan.push_back({StepKind::File, "cmdline.txt", true, kEepromDialect, "cmdline"});
    return plan;
}

std::vector<std::string> defaultKernels(PiModel model) {
    switch (model) {
        case PiModel::Rom3:
        case PiModel::Bootcode:
            return {"kernel8.img", "kernel7.img"};
        case PiModel::Pi4:
            return {"kernel8.img", "kernel7l.img"};
        case PiModel::Pi5:
            return {"kernel_2712.img", "kernel8.img"};
    }
    return {};
}

BootConfig parseConfigTxt(const std::string& text, PiModel model) {
    BootConfig cfg;
    std::istringstream in(text);
    std::string line;
    bool active = true;
    while (std::getline(in, line)) {
        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) continue;
        if (line.front() == '[' && line.back() == ']') {
            active = filterMatches(line.substr(1, line.size() - 2), model);
            continue;
        }
        if (!active) continue;
        const auto eq = line.find('=');
        if (eq != std::string::npos) {
            const std::string key = trim(line.substr(0, eq));
            const std::string value = trim(line.substr(eq + 1));
            if (key == "kernel" && !value.empty()) cfg.kernel = value;
            if (key == "device_tree" && !value.empty()) cfg.device_tree = value;
            continue;
        }
        std::istringstream words(line);
        std::string command, name;
        words >> command >> name;
        if (command == "initramfs" && !name.empty()) cfg.initramfs = name;
    }
    return cfg;
}

bool exceedsBlockCounter(std::uint64_t size, std::uint16_t blksize) {
    return size / blksize >= 65535;
}

}  // namespace rpinetboot::probe
