// When the hook recounts Kea's lease statistics after HA's lease sync
// (kea-hook/src/ha_sync_watch.h), from samples of the local HA state: after every sync, even one
// whose waiting and syncing fell between two samples; not while the state stays put.
// tests/hook/test_hook_ha.py checks the counts on real Kea HA pairs.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ha_sync_watch.h"

using namespace rpinetboot::kea;
using std::chrono::milliseconds;

namespace {

// The samples at which observe() asked for a recount.
std::vector<std::size_t> recountsFor(HaSyncWatch& watch, const std::vector<std::string>& states) {
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < states.size(); ++i) {
        if (watch.observe(states[i])) at.push_back(i);
    }
    return at;
}

using At = std::vector<std::size_t>;

}  // namespace

TEST_CASE("HA stats: a returning server recounts once when it leaves syncing") {
    HaSyncWatch watch;
    CHECK(recountsFor(watch, {"waiting", "waiting", "syncing", "syncing", "ready", "hot-standby",
                              "hot-standby"}) == At{4});
    CHECK_FALSE(watch.pending());
}

TEST_CASE("HA stats: a server first seen past its startup sync recounts at once") {
    // Kea's syncing state handler syncs synchronously and moves on in the same call.
    HaSyncWatch hs;
    CHECK(recountsFor(hs, {"hot-standby", "hot-standby"}) == At{0});
    HaSyncWatch lb;
    CHECK(recountsFor(lb, {"waiting", "load-balancing", "load-balancing"}) == At{1});
}

TEST_CASE("HA stats: a sync unseen between two samples is recounted at the state change") {
    // Partner-down, the partner back: waiting, syncing and ready within one state handler call.
    HaSyncWatch watch;
    CHECK(recountsFor(watch, {"hot-standby", "partner-down", "partner-down", "hot-standby",
                              "hot-standby"}) == At{0, 1, 3});
    // From a normal state the sync ends in "ready", which lasts a heartbeat: seen there.
    HaSyncWatch lb;
    CHECK(recountsFor(lb, {"load-balancing", "ready", "load-balancing", "load-balancing"}) ==
          At{0, 1});
}

TEST_CASE("HA stats: no recount while the state stays put") {
    HaSyncWatch watch;
    CHECK(watch.observe("partner-down"));
    CHECK(recountsFor(watch, {"partner-down", "partner-down", "partner-down"}) == At{});
    CHECK(recountsFor(watch, {"ready", "ready", "hot-standby"}) == At{0});
}

TEST_CASE("HA stats: a failed sync stays in syncing and recounts when it finally leaves") {
    HaSyncWatch watch;
    CHECK(watch.observe("hot-standby"));
    CHECK(recountsFor(watch, {"waiting", "syncing", "syncing", "syncing", "partner-down"}) ==
          At{4});
    // A sync ending in "ready" recounts there, not again when "ready" is left.
    CHECK(recountsFor(watch, {"waiting", "ready", "hot-standby"}) == At{1});
}

TEST_CASE("HA stats: an ha-sync command recounts at the next sample outside the sync states") {
    HaSyncWatch watch;
    CHECK(watch.observe("hot-standby"));
    watch.syncedByCommand();
    CHECK(watch.pending());
    CHECK(watch.observe("hot-standby"));
    CHECK_FALSE(watch.observe("hot-standby"));
    watch.syncedByCommand();
    CHECK_FALSE(watch.observe("syncing"));
    CHECK(watch.observe("ready"));
}

TEST_CASE("HA stats: a sample without a state changes nothing") {
    HaSyncWatch watch;
    CHECK_FALSE(watch.observe(""));
    CHECK(watch.observe("hot-standby"));
    CHECK_FALSE(watch.observe(""));
    CHECK_FALSE(watch.observe("hot-standby"));
    CHECK_FALSE(watch.pending());
}

TEST_CASE("HA stats: only waiting and syncing may still write uncounted leases") {
    CHECK(mayStillSync("waiting"));
    CHECK(mayStillSync("syncing"));
    for (const char* s : {"ready", "hot-standby", "load-balancing", "partner-down", "backup",
                          "terminated", "", "Syncing"}) {
        CHECK_FALSE(mayStillSync(s));
    }
}

TEST_CASE("HA stats: samples half a heartbeat-delay apart within 100 ms and 1 s") {
    CHECK(pollIntervalFor(std::nullopt) == milliseconds(1000));  // Kea's default 10 s
    CHECK(pollIntervalFor(10000) == milliseconds(1000));
    CHECK(pollIntervalFor(1000) == milliseconds(500));
    CHECK(pollIntervalFor(300) == milliseconds(150));
    CHECK(pollIntervalFor(100) == milliseconds(100));
    CHECK(pollIntervalFor(0) == milliseconds(100));
}
