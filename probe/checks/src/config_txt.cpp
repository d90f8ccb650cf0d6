#include "rpinetboot/probe/config_txt.h"

#include <sstream>

namespace rpinetboot::probe {

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool filterMatches(const std::string& filter, PiModel model) {
    if (filter == "all") return true;
    for (std::string_view f : facts(model).configFilters) {
        if (!f.empty() && f == filter) return true;
    }
    return false;
}

}  // namespace

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
            if (key == "device_tree" && !value.empty()) cfg.deviceTree = value;
            if (key == "auto_initramfs") cfg.autoInitramfs = value == "1";
            continue;
        }
        std::istringstream words(line);
        std::string command, name;
        words >> command >> name;
        if (command == "initramfs" && !name.empty()) cfg.initramfs = name;
    }
    return cfg;
}

}  // namespace rpinetboot::probe
