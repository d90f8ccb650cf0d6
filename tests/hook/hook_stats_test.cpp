// The hook's statistics: add() keeps each Observation instead of a look-up by name per packet;
// what StatsMgr (statistic-get) reports must stay exact through statistic-reset, statistic-remove
// and Kea's multi-threading mode. tests/hook/test_hook_pis.py reads them from a real kea-dhcp4.
#include <catch2/catch.hpp>

#include <stats/stats_mgr.h>
#include <util/multi_threading_mgr.h>

#include "hook_stats.h"

using isc::stats::StatsMgr;
using namespace rpinetboot::kea;

namespace {

// What statistic-get shows: the value, or -1 when the statistic does not exist.
std::int64_t shown(const std::string& name) {
    const auto obs = StatsMgr::instance().getObservation(name);
    return obs ? static_cast<std::int64_t>(obs->getInteger().first) : -1;
}

}  // namespace

TEST_CASE("statistics: add() counts into what StatsMgr reports, through reset and remove") {
    stats::reset();
    for (const auto& name : stats::all()) CHECK(shown(name) == 0);

    stats::add(stats::kReceived);
    stats::add(stats::kReceived);
    stats::add(stats::kRomReleased, 5);
    stats::add(stats::receivedByClass(rpinetboot::PiModel::Pi4));
    CHECK(shown(stats::kReceived) == 2);
    CHECK(shown(stats::kRomReleased) == 5);
    CHECK(shown(stats::receivedByClass(rpinetboot::PiModel::Pi4)) == 1);
    CHECK(shown(stats::receivedByClass(rpinetboot::PiModel::Pi5)) == 0);

    // statistic-reset: the same Observation set to 0; counting goes on from there.
    StatsMgr::instance().reset(stats::kReceived);
    stats::add(stats::kReceived);
    CHECK(shown(stats::kReceived) == 1);

    // statistic-remove: gone from StatsMgr; the next add() creates it anew, and later ones
    // count into the new one, not the removed object.
    REQUIRE(StatsMgr::instance().del(stats::kReceived));
    CHECK(shown(stats::kReceived) == -1);
    stats::add(stats::kReceived);
    stats::add(stats::kReceived);
    CHECK(shown(stats::kReceived) == 2);

    // statistic-remove-all, then counting again.
    StatsMgr::instance().removeAll();
    stats::add(stats::kAnswered, 3);
    stats::add(stats::kAnswered);
    CHECK(shown(stats::kAnswered) == 4);

    // Kea's multi-threading on: by name through StatsMgr's lock, into the same statistic.
    isc::util::MultiThreadingMgr::instance().setMode(true);
    stats::add(stats::kAnswered);
    isc::util::MultiThreadingMgr::instance().setMode(false);
    stats::add(stats::kAnswered);
    CHECK(shown(stats::kAnswered) == 6);

    stats::remove();
    for (const auto& name : stats::all()) CHECK(shown(name) == -1);
    stats::add(stats::kMalformed);  // after unload's remove(): still exact
    CHECK(shown(stats::kMalformed) == 1);
    stats::remove();
}
