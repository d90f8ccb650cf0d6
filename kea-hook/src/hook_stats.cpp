#include "hook_stats.h"

#include <stats/stats_mgr.h>

#include <cstdint>

namespace rpinetboot::kea::stats {

std::string receivedByClass(PiClass cls) {
    switch (cls) {
        case PiClass::Rom3:
            return "pkt4-rpi-netboot-rom3-received";
        case PiClass::Bootcode:
            return "pkt4-rpi-netboot-bootcode-received";
        case PiClass::Pi4:
            return "pkt4-rpi-netboot-pi4-received";
        case PiClass::Pi5:
            return "pkt4-rpi-netboot-pi5-received";
    }
    return "pkt4-rpi-netboot-pi4-received";
}

std::vector<std::string> all() {
    std::vector<std::string> names = {kReceived,  kAnswered, kNotAllowed,
                                      kMalformed, kRomHeld,  kRomConflict};
    for (PiClass c : {PiClass::Rom3, PiClass::Bootcode, PiClass::Pi4, PiClass::Pi5}) {
        names.push_back(receivedByClass(c));
    }
    return names;
}

void reset() {
    for (const auto& name : all()) {
        isc::stats::StatsMgr::instance().setValue(name, static_cast<int64_t>(0));
    }
}

void remove() {
    for (const auto& name : all()) isc::stats::StatsMgr::instance().del(name);
}

void add(const std::string& name) {
    isc::stats::StatsMgr::instance().addValue(name, static_cast<int64_t>(1));
}

}  // namespace rpinetboot::kea::stats
