#include "hook_stats.h"

#include <stats/stats_mgr.h>
#include <util/multi_threading_mgr.h>

#include <array>
#include <cstdint>

namespace rpinetboot::kea::stats {

namespace {

// StatsMgr::addValue(name) finds the statistic by name in a map on every call. With Kea's
// multi-threading off, every callout and every statistic-* command runs on one thread, so the
// hook keeps each of its Observation objects and adds to it directly. A statistic removed by
// statistic-remove(-all) is left held by this cache alone (use count 1): the next add() then
// goes through StatsMgr, which creates it anew, and caches that. With multi-threading on, only
// StatsMgr's own lock makes an update safe against a concurrent statistic-get: by name then.
struct Cached {
    const std::string* name = nullptr;
    isc::stats::ObservationPtr observation;
};
std::array<Cached, 16> cache;  // our statistics (all()), looked up by the name's address

Cached* cachedFor(const std::string& name) {
    for (Cached& c : cache) {
        if (c.name == &name) return &c;
        if (c.name == nullptr) {
            c.name = &name;
            return &c;
        }
    }
    return nullptr;  // not one of ours: by name
}

void clearCache() {
    for (Cached& c : cache) c = Cached{};
}

}  // namespace

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
    clearCache();
    for (const auto& name : all()) {
        isc::stats::StatsMgr::instance().setValue(name, static_cast<int64_t>(0));
    }
}

void remove() {
    clearCache();
    for (const auto& name : all()) isc::stats::StatsMgr::instance().del(name);
}

void add(const std::string& name, std::int64_t n) {
    auto& mgr = isc::stats::StatsMgr::instance();
    Cached* c = isc::util::MultiThreadingMgr::instance().getMode() ? nullptr : cachedFor(name);
    if (c == nullptr) {
        mgr.addValue(name, n);
        return;
    }
    if (c->observation && c->observation.use_count() > 1) {
        c->observation->addValue(n);
        return;
    }
    mgr.addValue(name, n);
    c->observation = mgr.getObservation(name);
}

}  // namespace rpinetboot::kea::stats
