// What the probe takes from config.txt: kernel=, initramfs NAME, device_tree=, auto_initramfs=.
// Conditional sections ([pi4], [all], ...) are honoured for the emulated model
// (raspberrypi/documentation config.txt "Conditional filters"; the filters per model are core's
// PiModelFacts).
#pragma once

#include <optional>
#include <string>

#include "rpinetboot/pi_model.h"

namespace rpinetboot::probe {

struct BootConfig {
    std::optional<std::string> kernel;
    std::optional<std::string> initramfs;
    std::optional<std::string> deviceTree;
    // auto_initramfs=1 (Raspberry Pi OS's default): with no initramfs line the firmware loads
    // the initramfs named after the kernel, if it exists (core's autoInitramfs).
    bool autoInitramfs = false;
};
BootConfig parseConfigTxt(const std::string& text, PiModel model);

}  // namespace rpinetboot::probe
