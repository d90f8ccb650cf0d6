// What a file a Pi fetched over TFTP means for its boot: the role core's boot plan gives it
// (core/include/rpinetboot/boot_plan.h).
#pragma once

#include <string>
#include <string_view>

namespace rpinetboot::timeline {

enum class FileRole {
    Other,        // anything the plan does not name (overlays, a custom file)
    SecondStage,  // bootcode.bin
    Config,       // config.txt, cmdline.txt
    Firmware,     // start*.elf, fixup*.dat; for the Pi 5, which fetches none, its device tree
    DeviceTree,
    Kernel,     // the plan's kernel names, kernel*.img, vmlinuz*, Image
    Initramfs,  // initramfs*, initrd*
};

struct BootFile {
    std::string name;  // the file without a serial or MAC directory: "start4.elf"
    FileRole role = FileRole::Other;
    bool required = false;  // the plan says a Pi cannot boot without it
};

// `model` is the model name boot events carry ("pi4", "rom3", ...; empty or unknown: every
// model's plan is consulted).
BootFile classifyBootFile(std::string_view model, std::string_view file);

}  // namespace rpinetboot::timeline
