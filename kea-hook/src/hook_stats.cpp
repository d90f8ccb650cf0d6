#include "hook_stats.h"

#include <stats/stats_mgr.h>

#include <cstdint>

namespace rpinetboot::kea::stats {

const std::string& receivedByClass(PiModel cls) {
    static const std::string rom3 = "pkt4-rpi-netboot-rom3-received";
    static const std::string bootcode = "pkt4-rpi-netboot-bootcode-received";
    static const std::string pi4 = "pkt4-rpi-netboot-pi4-received";
    static const std::string pi5 = "pkt4-rpi-netboot-pi5-received";
    switch (cls) {
        case PiModel::Rom3:
            return rom3;
        case PiModel::Bootcode:
            return bootcode;
        case PiModel::Pi4:
            return pi4;
        case PiModel::Pi5:
            return pi5;
    }
    return pi4;
}

std::vector<std::string> all() {
    std::vector<std::string> names = {kReceived,      kAnswered,     kNotAllowed,     kMalformed,
                                      kRomHeld,       kRomConflict,  kRomConfirmed,   kRomReleased,
                                      kRomCapReached, kRomToPartner, kRomPartnerAcked};
    for (PiModel c : {PiModel::Rom3, PiModel::Bootcode, PiModel::Pi4, PiModel::Pi5}) {
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

void add(const std::string& name, std::int64_t n) {
    isc::stats::StatsMgr::instance().addValue(name, n);
}

}  // namespace rpinetboot::kea::stats
