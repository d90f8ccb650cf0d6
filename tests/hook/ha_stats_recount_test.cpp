// The recount after HA's lease sync (kea-hook/src/ha_stats_sync.h) on a Kea memfile lease
// manager: leases written straight into the database, as HA's sync writes them, are counted
// afterwards; a recount of a running server's statistics is exact and stays exact when repeated
// (Kea's recountLeaseStats4 alone adds to the pool counts of Kea 2.4+ each time: lease_mgr.cc).
#include <catch2/catch.hpp>

#include <asiolink/io_address.h>
#include <cc/data.h>
#include <dhcpsrv/cfgmgr.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <dhcpsrv/pool.h>
#include <dhcpsrv/subnet.h>
#include <log/logger_support.h>
#include <stats/stats_mgr.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "ha_stats_sync.h"
#include "memfile_lab.h"

using isc::asiolink::IOAddress;
using isc::stats::StatsMgr;
using namespace rpinetboot::kea;

namespace {

struct Server : test::MemfileLab {
    Server() : test::MemfileLab("kea_ha_stats_test") {}
};

// A lease written as HA's sync writes one: straight into the database, counted nowhere.
void syncedLease(int n, std::uint32_t state = isc::dhcp::Lease::STATE_DEFAULT) {
    const std::vector<std::uint8_t> mac{0xb8, 0x27, 0xeb, 0, 0x10, static_cast<std::uint8_t>(n)};
    isc::dhcp::Lease4Ptr lease(new isc::dhcp::Lease4(
        IOAddress("192.0.2." + std::to_string(10 + n)),
        isc::dhcp::HWAddrPtr(new isc::dhcp::HWAddr(mac, isc::dhcp::HTYPE_ETHER)),
        isc::dhcp::ClientIdPtr(), 600, time(nullptr), 1));
    lease->state_ = state;
    REQUIRE(isc::dhcp::LeaseMgrFactory::instance().addLease(lease));
}

// What statistic-get shows: the value, or -1 when the statistic does not exist.
std::int64_t shown(const std::string& name) {
    const auto obs = StatsMgr::instance().getObservation(name);
    return obs ? static_cast<std::int64_t>(obs->getInteger().first) : -1;
}

// Kea 2.3.8 added the pool counts (ChangeLog 2143); a pool added in code has id 0.
constexpr bool kPoolStats = RPI_NETBOOT_KEA_HOOKS_VERSION >= 20400;

}  // namespace

TEST_CASE("HA stats recount: synced leases are counted exactly however often") {
    Server server;
    // The server as a reconfiguration leaves it (Kea counts its leases then), plus one lease
    // Kea's allocator counted since.
    syncedLease(0);
    REQUIRE(haStats::recountLeaseStats());
    CHECK(shown("subnet[1].assigned-addresses") == 1);
    if (kPoolStats) CHECK(shown("subnet[1].pool[0].assigned-addresses") == 1);
    // HA's sync writes four more leases, one of them declined: nothing counts them.
    for (int n = 1; n <= 3; ++n) syncedLease(n);
    syncedLease(4, isc::dhcp::Lease::STATE_DECLINED);
    CHECK(shown("subnet[1].assigned-addresses") == 1);
    for (int round = 0; round < 3; ++round) {
        REQUIRE(haStats::recountLeaseStats());
        CHECK(shown("subnet[1].assigned-addresses") == 5);  // declined leases count as assigned
        CHECK(shown("subnet[1].declined-addresses") == 1);
        CHECK(shown("declined-addresses") == 1);
        if (kPoolStats) {
            CHECK(shown("subnet[1].pool[0].assigned-addresses") == 5);
            CHECK(shown("subnet[1].pool[0].declined-addresses") == 1);
        }
    }
}

TEST_CASE("HA stats recount: a count above the lease count comes down and none goes negative") {
    Server server;
    syncedLease(1);
    StatsMgr::instance().setValue("subnet[1].assigned-addresses", std::int64_t(7));
    StatsMgr::instance().setValue("subnet[1].declined-addresses", std::int64_t(-2));
    if (kPoolStats) {
        StatsMgr::instance().setValue("subnet[1].pool[0].assigned-addresses", std::int64_t(-3));
        StatsMgr::instance().setValue("subnet[1].pool[0].declined-addresses", std::int64_t(4));
    }
    REQUIRE(haStats::recountLeaseStats());
    CHECK(shown("subnet[1].assigned-addresses") == 1);
    CHECK(shown("subnet[1].declined-addresses") == 0);
    if (kPoolStats) {
        CHECK(shown("subnet[1].pool[0].assigned-addresses") == 1);
        CHECK(shown("subnet[1].pool[0].declined-addresses") == 0);
    }
}

TEST_CASE("HA stats: the relationships and heartbeat-delay read from HA's parameters") {
    using isc::data::Element;
    // Kea 2.2's one relationship, heartbeat-delay left to Kea's default.
    auto one = haStats::haRelationshipsOf(Element::fromJSON(
        R"({"high-availability": [{"this-server-name": "server1", "mode": "hot-standby"}]})"));
    CHECK(one.servers == std::vector<std::string>{"server1"});
    CHECK_FALSE(one.heartbeatDelay);
    // A hub-and-spoke hub (Kea 2.6+): two relationships, the smaller delay wins.
    auto hub = haStats::haRelationshipsOf(Element::fromJSON(
        R"({"high-availability": [{"this-server-name": "hub-a", "heartbeat-delay": 3000},
                                  {"this-server-name": "hub-b", "heartbeat-delay": 1000}]})"));
    CHECK(hub.servers == std::vector<std::string>{"hub-a", "hub-b"});
    CHECK(hub.heartbeatDelay == 1000L);
    // Another library's parameters, or none, or a malformed list: nothing.
    CHECK(haStats::haRelationshipsOf(Element::fromJSON(R"({"menu-text": "x"})")).servers.empty());
    CHECK(haStats::haRelationshipsOf(isc::data::ConstElementPtr()).servers.empty());
    auto bad = haStats::haRelationshipsOf(Element::fromJSON(
        R"({"high-availability": [7, {"this-server-name": 1, "heartbeat-delay": "1"}]})"));
    CHECK(bad.servers.empty());
    CHECK_FALSE(bad.heartbeatDelay);
}
