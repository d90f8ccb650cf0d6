#include "rpinetboot/timeline/boot_file.h"

#include "rpinetboot/boot_plan.h"
#include "rpinetboot/mac.h"
#include "rpinetboot/serial.h"

namespace rpinetboot::timeline {
namespace {

bool startsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// The per-Pi directory rpi-tftpd serves (`<serial>/`, `<mac with dashes>/`) is not part of the
// file's name for the plan.
std::string_view withoutPiDirectory(std::string_view file) {
    while (!file.empty() && file.front() == '/') file.remove_prefix(1);
    const auto slash = file.find('/');
    if (slash == std::string_view::npos) return file;
    const auto dir = file.substr(0, slash);
    if (Serial::parse(dir) || (dir.size() == 17 && dir[2] == '-' && MacAddress::parse(dir)))
        file.remove_prefix(slash + 1);
    return file;
}

FileRole roleOf(FilePurpose purpose, PiModel model) {
    switch (purpose) {
        case FilePurpose::SecondStage:
            return FileRole::SecondStage;
        case FilePurpose::Config:
        case FilePurpose::Cmdline:
            return FileRole::Config;
        case FilePurpose::Firmware:
            return FileRole::Firmware;
        case FilePurpose::DeviceTree:
            // The Pi 5 bootloader loads the OS files itself (no start*.elf): its device tree is
            // the first file of the firmware stage.
            return model == PiModel::Pi5 ? FileRole::Firmware : FileRole::DeviceTree;
        case FilePurpose::Kernel:
            return FileRole::Kernel;
        case FilePurpose::Initramfs:
            return FileRole::Initramfs;
        default:
            return FileRole::Other;
    }
}

}  // namespace

BootFile classifyBootFile(std::string_view model, std::string_view file) {
    BootFile out;
    out.name = std::string(withoutPiDirectory(file));
    std::vector<PiModel> models;
    if (auto m = parsePiModel(model)) {
        models.push_back(*m);
    } else {
        models.assign(kPiModels.begin(), kPiModels.end());
    }
    for (PiModel m : models) {
        for (const auto& step : bootPlan(m)) {
            if (step.file != out.name || step.purpose == FilePurpose::Prefix) continue;
            out.role = roleOf(step.purpose, m);
            out.required = step.required;
            return out;
        }
        for (const auto& kernel : defaultKernels(m)) {
            if (kernel == out.name) {
                out.role = FileRole::Kernel;
                out.required = true;
                return out;
            }
        }
    }
    // Names config.txt may give instead (raspberrypi/documentation config.txt "kernel",
    // "initramfs"): recognised by their usual forms.
    const std::string_view base = out.name.find('/') == std::string::npos
                                      ? std::string_view(out.name)
                                      : std::string_view(out.name).substr(out.name.rfind('/') + 1);
    if (startsWith(base, "kernel") || startsWith(base, "vmlinuz") || base == "Image") {
        out.role = FileRole::Kernel;
        out.required = true;
    } else if (startsWith(base, "initramfs") || startsWith(base, "initrd")) {
        out.role = FileRole::Initramfs;
    }
    return out;
}

}  // namespace rpinetboot::timeline
