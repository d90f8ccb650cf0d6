// The TFTP requests each Pi boot stage makes, in order (docs/protocol/tftp.md; the Pi 3 ROM's
// bootcode.bin and bootsig.bin requests from raspberrypi/documentation, network boot modes).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/discover.h"

namespace rpinetboot::probe {

// TFTP options a boot stage sends (docs/protocol/tftp.md, "Options per loader").
struct TftpDialect {
    bool tsize = false;
    std::optional<std::uint16_t> blksize;  // nullopt: no blksize option, 512-byte blocks
};

enum class StepKind {
    RootFile,     // fetched from the TFTP root regardless of prefix (the ROM's bootcode.bin)
    PrefixProbe,  // decides the prefix: <prefix>/<file> exists or the prefix is cleared
    File,         // fetched under the decided prefix
};

struct BootStep {
    StepKind kind = StepKind::File;
    std::string file;
    bool required = true;  // a missing optional file is normal (the firmware probes many)
    TftpDialect dialect;
    std::string purpose;  // "firmware", "dtb", "cmdline", "kernel", ... for the timeline
};

// The fixed part of the plan; config.txt decides the kernel and initramfs (see below).
std::vector<BootStep> bootPlan(PiModel model);

// The kernel names the firmware tries when config.txt names none, first existing wins.
std::vector<std::string> defaultKernels(PiModel model);

// What the probe takes from config.txt: kernel=, initramfs NAME, device_tree=.
// Conditional sections ([pi4], [all], ...) are honoured for the emulated model.
struct BootConfig {
    std::optional<std::string> kernel;
    std::optional<std::string> initramfs;
    std::optional<std::string> device_tree;
};
BootConfig parseConfigTxt(const std::string& text, PiModel model);

// Old bootloaders cannot roll the TFTP block counter over (rpi-eeprom#720).
bool exceedsBlockCounter(std::uint64_t size, std::uint16_t blksize);

}  // namespace rpinetboot::probe
