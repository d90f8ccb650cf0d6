// What the probe takes from config.txt: kernel=, initramfs NAME, deviceTree=. Conditional
// sections ([pi4], [all], ...) are honoured for the emulated model (raspberrypi/documentation
// config.txt "Conditional filters"; the filters per model are core's PiModelFacts).
#pragma once

#include <optional>
#include <string>

#include "rpinetboot/pi_model.h"

namespace rpinetboot::probe {

struct BootConfig {
    std::optional<std::string> kernel;
    std::optional<std::string> initramfs;
    std::optional<std::string> deviceTree;
};
BootConfig parseConfigTxt(const std::string& text, PiModel model);

}  // namespace rpinetboot::probe
