#include "rpinetboot/boot_plan.h"

#include <utility>

namespace rpinetboot {

std::string_view stepKindName(StepKind kind) {
    switch (kind) {
        case StepKind::RootFile:
            return "root-file";
        case StepKind::PrefixProbe:
            return "prefix-probe";
        case StepKind::File:
            return "file";
        case StepKind::Reread:
            return "reread";
    }
    return "file";
}

std::string_view purposeName(FilePurpose purpose) {
    switch (purpose) {
        case FilePurpose::SecondStage:
            return "second stage";
        case FilePurpose::Signature:
            return "signature";
        case FilePurpose::Prefix:
            return "prefix";
        case FilePurpose::Config:
            return "config";
        case FilePurpose::Recovery:
            return "recovery";
        case FilePurpose::Firmware:
            return "firmware";
        case FilePurpose::DeviceTree:
            return "dtb";
        case FilePurpose::Overlays:
            return "overlays";
        case FilePurpose::Cmdline:
            return "cmdline";
        case FilePurpose::Kernel:
            return "kernel";
        case FilePurpose::Armstub:
            return "armstub";
        case FilePurpose::Initramfs:
            return "initramfs";
    }
    return "firmware";
}

std::string_view deviceTree(PiModel model) {
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

std::string autoInitramfs(std::string_view kernel) {
    const std::size_t slash = kernel.rfind('/');
    const std::size_t base = slash == std::string_view::npos ? 0 : slash + 1;
    constexpr std::string_view kKernel = "kernel";
    if (kernel.substr(base, kKernel.size()) != kKernel) return {};
    std::string_view rest = kernel.substr(base + kKernel.size());
    const std::size_t dot = rest.rfind('.');
    if (dot != std::string_view::npos) rest = rest.substr(0, dot);
    return std::string(kernel.substr(0, base)) + "initramfs" + std::string(rest);
}

std::vector<BootFileStep> bootPlan(PiModel model) {
    using K = StepKind;
    using P = FilePurpose;
    const TftpDialect d = facts(model).firmwareTftp;
    const std::string dtb(deviceTree(model));
    const std::string kernel = defaultKernels(model).front();
    std::vector<BootFileStep> plan;
    switch (shapeOf(model)) {
        case DiscoverShape::A:
        case DiscoverShape::B:
            // The ROM loads bootcode.bin from the root with no options, then asks for bootsig.bin
            // (missing is normal); bootcode.bin goes on with start.elf under the prefix.
            plan = {{K::RootFile, "bootcode.bin", true, kRomTftp, P::SecondStage},
                    {K::RootFile, "bootsig.bin", false, kRomTftp, P::Signature},
                    {K::PrefixProbe, "start.elf", true, d, P::Prefix},
                    {K::File, "config.txt", true, d, P::Config},
                    {K::File, "start.elf", true, d, P::Firmware},
                    {K::File, "fixup.dat", true, d, P::Firmware}};
            break;
        case DiscoverShape::C:
            if (model == PiModel::Pi4) {
                // The order of a published Pi 4 dnsmasq log: recovery images and the EEPROM
                // signature are looked for (normally missing), config.txt is read twice.
                plan = {{K::PrefixProbe, "start4.elf", true, d, P::Prefix},
                        {K::File, "config.txt", true, d, P::Config},
                        {K::File, "recover4.elf", false, d, P::Recovery},
                        {K::File, "recovery.elf", false, d, P::Recovery},
                        {K::File, "pieeprom.sig", false, d, P::Recovery},
                        {K::File, "start4.elf", true, d, P::Firmware},
                        {K::File, "fixup4.dat", true, d, P::Firmware},
                        {K::Reread, "config.txt", true, d, P::Config}};
            } else {
                // The Pi 5 fetches no start*.elf; how it decides the prefix is not published, so
                // <prefix>/config.txt is taken as its probe (unconfirmed).
                plan = {{K::PrefixProbe, "config.txt", true, d, P::Prefix},
                        {K::File, "config.txt", true, d, P::Config}};
            }
            break;
    }
    plan.push_back({K::File, dtb, true, d, P::DeviceTree});
    if (shapeOf(model) == DiscoverShape::C) {
        plan.push_back({K::File, "overlays/overlay_map.dtb", false, d, P::Overlays});
    }
    plan.push_back({K::File, "cmdline.txt", true, d, P::Cmdline});
    plan.push_back({K::File, kernel, true, d, P::Kernel});
    if (model == PiModel::Pi4) plan.push_back({K::File, "armstub8-gic.bin", false, d, P::Armstub});
    // Raspberry Pi OS sets auto_initramfs=1: the initramfs named after the kernel.
    plan.push_back({K::File, autoInitramfs(kernel), false, d, P::Initramfs});
    return plan;
}

std::optional<FilePurpose> purposeOfFile(std::string_view request) {
    // Every model's file names, built once: a transfer's end asks for each file served.
    static const auto kFiles = [] {
        std::vector<std::pair<std::string, FilePurpose>> files;
        for (const PiModel model : kPiModels) {
            for (const BootFileStep& step : bootPlan(model)) {
                if (step.kind != StepKind::PrefixProbe) files.emplace_back(step.file, step.purpose);
            }
            for (std::string& kernel : defaultKernels(model)) {
                files.emplace_back(std::move(kernel), FilePurpose::Kernel);
            }
        }
        return files;
    }();
    for (const auto& [file, purpose] : kFiles) {
        const std::size_t n = file.size();
        if (request == file || (request.size() > n && request[request.size() - n - 1] == '/' &&
                                request.substr(request.size() - n) == file)) {
            return purpose;
        }
    }
    return std::nullopt;
}

bool exceedsBlockCounter(std::uint64_t size, std::uint16_t blksize) {
    return blksize != 0 && size / blksize >= 65535;
}

}  // namespace rpinetboot
