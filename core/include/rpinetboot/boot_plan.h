// The TFTP requests each Pi boot stage makes, in order. One list per model, read by the probe's
// walk, the tftpd and storm clients (probe/tftp), and the lab's tree builder (via
// rpinetboot-facts). Sources: raspberrypi/documentation boot-net.adoc (the Pi 3 ROM's bootcode.bin
// and bootsig.bin), rpi-eeprom#74 and #857 and a published Pi 4 dnsmasq log (the Pi 4 order,
// approximate).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/pi_model.h"

namespace rpinetboot {

enum class StepKind {
    RootFile,     // from the TFTP root whatever the prefix (the Pi 3 ROMs' bootcode.bin)
    PrefixProbe,  // decides the prefix: <prefix>/<file> exists, or the Pi falls back to the root
    File,         // probed (RRQ with tsize, early terminate), then fetched, under the prefix
    Reread,       // fetched again without a probe (config.txt once the firmware runs)
};
std::string_view stepKindName(StepKind kind);  // "root-file", "prefix-probe", "file", "reread"

// What a file is for; the probe names it in messages and resolves kernel and initramfs names
// through config.txt.
enum class FilePurpose {
    SecondStage,
    Signature,
    Prefix,
    Config,
    Recovery,
    Firmware,
    DeviceTree,
    Overlays,
    Cmdline,
    Kernel,
    Armstub,
    Initramfs
};
inline constexpr std::size_t kFilePurposeCount =
    static_cast<std::size_t>(FilePurpose::Initramfs) + 1;
std::string_view purposeName(FilePurpose purpose);  // "second stage", "dtb", "kernel", ...

// What a requested file is for, whatever the model: the request's last path components are
// matched against every model's plan and default kernel names (`1a2b3c04/start4.elf` is the
// firmware, `overlays/overlay_map.dtb` the overlays). Nothing for a name no plan holds (a kernel
// renamed in config.txt, an admin's own file). A prefix probe is its file's purpose.
std::optional<FilePurpose> purposeOfFile(std::string_view request);

struct BootFileStep {
    StepKind kind = StepKind::File;
    std::string file;
    bool required = true;  // a missing optional file is normal: the firmware probes many
    TftpDialect dialect;
    FilePurpose purpose = FilePurpose::Firmware;
};

// Every request of a boot, kernel and initramfs included under their default names (config.txt's
// kernel= and initramfs lines replace them; defaultKernels lists the fallbacks; the initramfs is
// the default kernel's autoInitramfs name).
std::vector<BootFileStep> bootPlan(PiModel model);

// The kernel names the firmware tries when config.txt names none; the first that exists wins
// (raspberrypi/documentation config.txt "kernel").
std::vector<std::string> defaultKernels(PiModel model);

// The initramfs the firmware loads for `kernel` under auto_initramfs=1 (Raspberry Pi OS's
// config.txt): the kernel's file name with its leading "kernel" replaced by "initramfs" and its
// extension dropped, in the kernel's directory: kernel8.img -> initramfs8, kernel_2712.img ->
// initramfs_2712 (raspberrypi/documentation#3090; a Pi 5 told kernel=kernel8.img loading another
// initramfs than initramfs8 was a firmware bug, raspberrypi/firmware#1965). Empty for a kernel
// whose name does not start with "kernel": config.txt must then name the initramfs itself.
std::string autoInitramfs(std::string_view kernel);

// The device tree the firmware loads for the board the model stands for.
std::string_view deviceTree(PiModel model);

// Bootloaders before 2025-09-23 cannot roll the TFTP block counter over, so a file of more than
// 65535 blocks fails on them (rpi-eeprom#720, #375).
bool exceedsBlockCounter(std::uint64_t size, std::uint16_t blksize);

}  // namespace rpinetboot
