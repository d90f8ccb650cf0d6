// Two kea-dhcp4 on one lease database, as two RomHolds (one per server) over one Kea lease
// manager (memfile here; PostgreSQL and MariaDB in kea_hook_sql): a server whose allocator picked
// a different address for a Pi that the other server holds gives its hold back and drops the
// OFFER, and never offers either address while the Pi has two live leases (docs/kea.md, "SQL
// lease backends").
#include <catch2/catch.hpp>

#include <asiolink/io_address.h>
#include <dhcp/dhcp4.h>
#include <dhcp/option_int.h>
#include <dhcp/pkt4.h>
#include <dhcpsrv/cfgmgr.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <dhcpsrv/pool.h>
#include <dhcpsrv/subnet.h>
#include <log/logger_support.h>
#include <stats/stats_mgr.h>

#include <cstdlib>
#include <ctime>

#include "memfile_lab.h"
#include "rom_hold.h"

using namespace rpinetboot;
using namespace rpinetboot::kea;
using isc::asiolink::IOAddress;

namespace {

const std::vector<std::uint8_t> kMacX{0xb8, 0x27, 0xeb, 0, 0, 0x0a};
const std::vector<std::uint8_t> kMacY{0xb8, 0x27, 0xeb, 0, 0, 0x0b};

struct SharedDatabase : test::MemfileLab {
    SharedDatabase() : test::MemfileLab("kea_rom_hold_shared_test") {}
};

isc::dhcp::Pkt4 offer(const std::vector<std::uint8_t>& mac, const char* address) {
    isc::dhcp::Pkt4 r(isc::dhcp::DHCPOFFER, 1);
    r.setHWAddr(isc::dhcp::HWAddrPtr(new isc::dhcp::HWAddr(mac, isc::dhcp::HTYPE_ETHER)));
    r.setYiaddr(IOAddress(address));
    r.addOption(isc::dhcp::OptionPtr(
        new isc::dhcp::OptionUint32(isc::dhcp::Option::V4, isc::dhcp::DHO_DHCP_LEASE_TIME, 600)));
    return r;
}

// A lease another server wrote for `mac` (not one this RomHolds knows).
void foreignLease(const std::vector<std::uint8_t>& mac, const char* address) {
    isc::dhcp::Lease4Ptr lease(new isc::dhcp::Lease4(
        IOAddress(address),
        isc::dhcp::HWAddrPtr(new isc::dhcp::HWAddr(mac, isc::dhcp::HTYPE_ETHER)),
        isc::dhcp::ClientIdPtr(), 60, time(nullptr), 1));
    REQUIRE(isc::dhcp::LeaseMgrFactory::instance().addLease(lease));
}

std::size_t leasesOf(const std::vector<std::uint8_t>& mac) {
    return isc::dhcp::LeaseMgrFactory::instance()
        .getLease4(isc::dhcp::HWAddr(mac, isc::dhcp::HTYPE_ETHER))
        .size();
}

std::int64_t assigned() {
    const auto obs =
        isc::stats::StatsMgr::instance().getObservation("subnet[1].assigned-addresses");
    return obs ? obs->getInteger().first : 0;
}

}  // namespace

TEST_CASE("a hold at another address than the other server's hold for the Pi is given back") {
    SharedDatabase db;
    RomHolds serverA(HoldLimits{60, 64});
    RomHolds serverB(HoldLimits{60, 64});
    auto a = offer(kMacX, "192.0.2.10");
    CHECK(serverA.holdRomOffer(a, PiModel::Rom3).outcome == HoldOutcome::Held);
    // Server B's allocator chose before A's hold was written.
    auto b = offer(kMacX, "192.0.2.11");
    CHECK(serverB.holdRomOffer(b, PiModel::Rom3).outcome == HoldOutcome::Conflict);
    CHECK(leasesOf(kMacX) == 1);
    CHECK(!isc::dhcp::LeaseMgrFactory::instance().getLease4(IOAddress("192.0.2.11")));
    CHECK(assigned() == 1);  // B's +1 and -1, A's +1 (one statistics manager for both here)
    // Once B's allocator sees A's hold it offers the same address, which B leaves as it is.
    auto again = offer(kMacX, "192.0.2.10");
    const HoldResult same = serverB.holdRomOffer(again, PiModel::Rom3);
    CHECK(same.outcome == HoldOutcome::Refreshed);
    CHECK(leasesOf(kMacX) == 1);
    CHECK(assigned() == 1);
}

TEST_CASE("no OFFER while the Pi has two live leases (the other server giving one back)") {
    SharedDatabase db;
    RomHolds server(HoldLimits{60, 64});
    foreignLease(kMacY, "192.0.2.20");
    foreignLease(kMacY, "192.0.2.21");
    auto r = offer(kMacY, "192.0.2.20");
    CHECK(server.holdRomOffer(r, PiModel::Rom3).outcome == HoldOutcome::Conflict);
    CHECK(leasesOf(kMacY) == 2);  // neither is this server's to delete
    // The other server's lease gone, the remaining one is offered (left as it is).
    REQUIRE(isc::dhcp::LeaseMgrFactory::instance().deleteLease(
        isc::dhcp::LeaseMgrFactory::instance().getLease4(IOAddress("192.0.2.21"))));
    CHECK(server.holdRomOffer(r, PiModel::Rom3).outcome == HoldOutcome::Refreshed);
}

TEST_CASE("another Pi's lease elsewhere, or this Pi's expired one, does not stop a hold") {
    SharedDatabase db;
    RomHolds server(HoldLimits{60, 64});
    foreignLease(kMacY, "192.0.2.30");
    isc::dhcp::Lease4Ptr old(new isc::dhcp::Lease4(
        IOAddress("192.0.2.31"),
        isc::dhcp::HWAddrPtr(new isc::dhcp::HWAddr(kMacX, isc::dhcp::HTYPE_ETHER)),
        isc::dhcp::ClientIdPtr(), 60, time(nullptr) - 120, 1));
    REQUIRE(isc::dhcp::LeaseMgrFactory::instance().addLease(old));
    auto r = offer(kMacX, "192.0.2.32");
    CHECK(server.holdRomOffer(r, PiModel::Rom3).outcome == HoldOutcome::Held);
}

// What else a hold's lease carries (the Pi's identity record) goes out in the hold's own lease
// write, set in the same user-context change as the mark; a hold that writes nothing (renewed
// moments ago) applies nothing. Lease copies for an HA partner are made only when asked for.
TEST_CASE("a hold applies its decorator to the lease it writes, and copies leases only on demand") {
    using isc::data::Element;
    SharedDatabase db;
    RomHolds server(HoldLimits{60, 64});
    int applied = 0;
    static const std::string kKey = "test-entry";
    isc::data::ConstElementPtr value = Element::create("decorated");
    const LeaseDecorator decorate = [&applied, &value](const isc::dhcp::Lease4&) {
        ++applied;
        return ContextEntry{&kKey, value};
    };
    auto first = offer(kMacX, "192.0.2.10");
    const HoldResult held = server.holdRomOffer(first, PiModel::Rom3, LeaseCopies::Skip, decorate);
    CHECK(held.outcome == HoldOutcome::Held);
    CHECK(held.decorated);
    CHECK(applied == 1);
    CHECK_FALSE(held.lease);
    CHECK_FALSE(held.releasedLeases);
    const auto stored = isc::dhcp::LeaseMgrFactory::instance().getLease4(IOAddress("192.0.2.10"));
    REQUIRE(stored);
    // The hold's mark is there too, beside what the decorator set.
    const auto context = stored->getContext();
    REQUIRE(context);
    CHECK(context->size() == 2);
    REQUIRE(context->contains("test-entry"));
    CHECK(context->get("test-entry")->stringValue() == "decorated");
    REQUIRE(context->contains("rpi-netboot-hold"));
    const auto mark = context->get("rpi-netboot-hold");
    CHECK(mark->get("hold-stage")->stringValue() == "rom3");
    CHECK_FALSE(mark->get("confirmed")->boolValue());
    CHECK(mark->get("expire")->intValue() == static_cast<int64_t>(stored->getExpirationTime()));
    // A ROM retry seconds later: the hold is fresh, nothing is written, nothing applied.
    auto retry = offer(kMacX, "192.0.2.10");
    const HoldResult again = server.holdRomOffer(retry, PiModel::Rom3, LeaseCopies::Make, decorate);
    CHECK(again.outcome == HoldOutcome::Refreshed);
    CHECK_FALSE(again.decorated);
    CHECK(applied == 1);
    REQUIRE(again.lease);
    REQUIRE(again.releasedLeases);
    CHECK(again.lease->size() == 1);
    CHECK(again.releasedLeases->empty());

    // The Pi's next stage confirms the hold: a new lifetime, written, so decorated again. The
    // decorator has nothing new (the lease has its entry): the entry stays as it was, the mark
    // is the new one, and the user context the lease had is a new map, the old one unchanged
    // (Kea's copies of a lease share it).
    value.reset();
    auto next = offer(kMacX, "192.0.2.10");
    const HoldResult confirmed =
        server.holdRomOffer(next, PiModel::Bootcode, LeaseCopies::Skip, decorate);
    CHECK(confirmed.outcome == HoldOutcome::Refreshed);
    CHECK(confirmed.confirmed);
    CHECK(confirmed.decorated);
    CHECK(applied == 2);
    const auto after = isc::dhcp::LeaseMgrFactory::instance().getLease4(IOAddress("192.0.2.10"));
    REQUIRE(after);
    const auto now = after->getContext();
    REQUIRE(now);
    CHECK(now != context);
    CHECK(now->size() == 2);
    REQUIRE(now->contains("test-entry"));
    CHECK(now->get("test-entry")->stringValue() == "decorated");
    CHECK(now->get("rpi-netboot-hold")->get("hold-stage")->stringValue() == "bootcode");
    CHECK(now->get("rpi-netboot-hold")->get("confirmed")->boolValue());
    CHECK_FALSE(context->get("rpi-netboot-hold")->get("confirmed")->boolValue());
    CHECK(context->get("rpi-netboot-hold")->get("hold-stage")->stringValue() == "rom3");
}
