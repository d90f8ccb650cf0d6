// The registry rebuilt from Kea's own memfile lease store (registry_store.h): what a restart
// finds, and what it ignores (malformed records, records copied to another lease, ended leases).
#include <catch2/catch.hpp>

#include <asiolink/io_address.h>
#include <cc/data.h>
#include <dhcpsrv/lease.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <log/logger_support.h>

#include <ctime>

#include "pi_registry.h"
#include "registry_store.h"
#include "rpinetboot/util/ipv4.h"

using namespace rpinetboot;
using namespace rpinetboot::kea;
using isc::asiolink::IOAddress;
using isc::data::Element;
using isc::dhcp::Lease;
using isc::dhcp::Lease4;
using isc::dhcp::Lease4Ptr;
using isc::dhcp::LeaseMgrFactory;

namespace {

Lease4Ptr lease(const char* address, const char* mac) {
    const auto m = *MacAddress::parse(mac);
    const isc::dhcp::HWAddrPtr hw(new isc::dhcp::HWAddr(
        std::vector<std::uint8_t>(m.bytes().begin(), m.bytes().end()), isc::dhcp::HTYPE_ETHER));
    return Lease4Ptr(
        new Lease4(IOAddress(address), hw, isc::dhcp::ClientIdPtr(), 600, time(nullptr), 1));
}

PiRecord record(const char* address, const char* mac, const char* serial) {
    PiRecord r;
    r.mac = *MacAddress::parse(mac);
    r.serial = Serial::parse(serial);
    r.model = PiModel::Pi4;
    r.address = *parseIpv4(address);
    r.firstSeen = 1700000000;
    r.lastSeen = 1700000100;
    return r;
}

struct MemfileLeases {
    MemfileLeases() {
        // Kea's lease managers log (memfile warns it does not persist): quiet, but initialised.
        if (!isc::log::isLoggingInitialized())
            isc::log::initLogger("kea_hook_test", isc::log::ERROR);
        LeaseMgrFactory::create("type=memfile universe=4 persist=false lfc-interval=0");
    }
    ~MemfileLeases() { LeaseMgrFactory::destroy(); }
};

}  // namespace

TEST_CASE("the registry is rebuilt from the leases' user-context") {
    const MemfileLeases store;
    auto& leases = LeaseMgrFactory::instance();
    // A Pi's lease, with Kea's own extended info beside the record.
    auto good = lease("192.0.2.100", "e4:5f:01:98:e0:82");
    good->setContext(Element::fromJSON(R"({"ISC": {"x": 1}})"));
    storeRecord(*good, record("192.0.2.100", "e4:5f:01:98:e0:82", "bf9fed6f"));
    REQUIRE(good->getContext()->contains("ISC"));
    leases.addLease(good);
    // Not a Pi: no record, no complaint.
    leases.addLease(lease("192.0.2.150", "52:54:00:12:34:56"));
    // Malformed (an older or hand-written record) and a record copied to another lease.
    auto bad = lease("192.0.2.101", "dc:a6:32:00:00:01");
    bad->setContext(Element::fromJSON(R"({"rpi-netboot": {"mac": "zz"}})"));
    leases.addLease(bad);
    auto copied = lease("192.0.2.102", "dc:a6:32:00:00:02");
    storeRecord(*copied, record("192.0.2.100", "dc:a6:32:00:00:02", "12345678"));
    leases.addLease(copied);
    // A reclaimed lease: its Pi is not current.
    auto ended = lease("192.0.2.103", "dc:a6:32:00:00:03");
    storeRecord(*ended, record("192.0.2.103", "dc:a6:32:00:00:03", "87654321"));
    ended->state_ = Lease::STATE_EXPIRED_RECLAIMED;
    leases.addLease(ended);

    PiRegistry registry;
    const RebuildResult r = rebuildRegistry(registry);
    CHECK(r.leases == 5);
    CHECK(r.records == 1);
    CHECK(r.malformed == 2);
    REQUIRE(r.reported.size() == 2);
    CHECK(r.reported[0].rfind("192.0.2.101: ", 0) == 0);
    CHECK(r.reported[1] == "192.0.2.102: the record names another address or MAC");
    CHECK(registry.loaded());
    CHECK(registry.size() == 1);
    CHECK(registry.byMac(*MacAddress::parse("e4:5f:01:98:e0:82")) ==
          record("192.0.2.100", "e4:5f:01:98:e0:82", "bf9fed6f"));

    // A MAC the index lacks is found in the lease store (an HA partner's lease).
    CHECK(recordFromLeases(*MacAddress::parse("e4:5f:01:98:e0:82")));
    CHECK_FALSE(recordFromLeases(*MacAddress::parse("dc:a6:32:00:00:01")));
    CHECK_FALSE(recordFromLeases(*MacAddress::parse("dc:a6:32:00:00:03")));
    CHECK_FALSE(recordFromLeases(*MacAddress::parse("52:54:00:12:34:56")));
}

TEST_CASE("leases an older version wrote (the record as a map) load after an upgrade") {
    const MemfileLeases store;
    auto& leases = LeaseMgrFactory::instance();
    auto older = lease("192.0.2.100", "e4:5f:01:98:e0:82");
    const PiRecord r = record("192.0.2.100", "e4:5f:01:98:e0:82", "bf9fed6f");
    // As versions before the lease text stored it: the map, through JSON text.
    const auto context = Element::createMap();
    context->set(kRegistryContextKey, Element::fromJSON(toElement(r)->str()));
    older->setContext(context);
    REQUIRE(leases.addLease(older));
    PiRegistry registry;
    const RebuildResult result = rebuildRegistry(registry);
    CHECK(result.records == 1);
    CHECK(result.malformed == 0);
    CHECK(registry.byMac(r.mac) == r);
    CHECK(recordFromLeases(r.mac) == r);
    // Its next change is written as the lease text.
    PiRecord os = r;
    os.phase = PiPhase::Os;
    CHECK(writeRecordToLease(os) == RecordWrite::Written);
    const auto now = leases.getLease4(IOAddress("192.0.2.100"))->getContext();
    CHECK(now->get(kRegistryContextKey)->getType() == Element::string);
    CHECK(recordInContext(now, nullptr) == os);
}

TEST_CASE("a record is written into its ACK's lease only when it changed, not for last-seen") {
    const MemfileLeases store;
    auto& leases = LeaseMgrFactory::instance();
    // The lease Kea committed for the Pi's ACK, with Kea's own extended info.
    auto committed = lease("192.0.2.100", "e4:5f:01:98:e0:82");
    committed->setContext(Element::fromJSON(R"({"ISC": {"x": 1}})"));
    REQUIRE(leases.addLease(committed));
    const PiRecord boot = record("192.0.2.100", "e4:5f:01:98:e0:82", "bf9fed6f");

    Lease4Ptr written;
    CHECK(writeRecordToLease(boot, &written) == RecordWrite::Written);
    REQUIRE(written);
    const auto stored = [&] { return leases.getLease4(IOAddress("192.0.2.100"))->getContext(); };
    CHECK(*recordInContext(stored(), nullptr) == boot);
    CHECK(stored()->contains("ISC"));
    CHECK(*recordInContext(written->getContext(), nullptr) == boot);

    // Only last-seen moved: the lease is left as it is.
    PiRecord later = boot;
    later.lastSeen += 20;
    CHECK(writeRecordToLease(later) == RecordWrite::Unchanged);
    CHECK(recordInContext(stored(), nullptr)->lastSeen == boot.lastSeen);
    CHECK_FALSE(recordWriteDue(boot, later));
    CHECK(recordWriteDue(std::nullopt, later));

    // The OS phase (or new names, another address): written.
    PiRecord os = later;
    os.phase = PiPhase::Os;
    os.hostname = "pi-bf9fed6f";
    CHECK(recordWriteDue(boot, os));
    CHECK(writeRecordToLease(os) == RecordWrite::Written);
    CHECK(*recordInContext(stored(), nullptr) == os);

    // No lease at the address, another client's lease there, or an ended one: nothing written.
    CHECK(writeRecordToLease(record("192.0.2.101", "e4:5f:01:98:e0:82", "bf9fed6f")) ==
          RecordWrite::NoLease);
    REQUIRE(leases.addLease(lease("192.0.2.102", "52:54:00:12:34:56")));
    CHECK(writeRecordToLease(record("192.0.2.102", "e4:5f:01:98:e0:82", "bf9fed6f")) ==
          RecordWrite::NoLease);
    CHECK_FALSE(recordInContext(leases.getLease4(IOAddress("192.0.2.102"))->getContext(), nullptr));
    auto ended = lease("192.0.2.103", "e4:5f:01:98:e0:83");
    ended->state_ = Lease::STATE_EXPIRED_RECLAIMED;
    REQUIRE(leases.addLease(ended));
    CHECK(writeRecordToLease(record("192.0.2.103", "e4:5f:01:98:e0:83", "bf9fed70")) ==
          RecordWrite::NoLease);
}

TEST_CASE("a lease about to be written gets the record only when it lacks it") {
    auto l = lease("192.0.2.100", "e4:5f:01:98:e0:82");
    const PiRecord boot = record("192.0.2.100", "e4:5f:01:98:e0:82", "bf9fed6f");
    CHECK(storeRecordIfChanged(*l, boot));
    const auto context = l->getContext();
    PiRecord later = boot;
    later.lastSeen += 60;
    CHECK_FALSE(storeRecordIfChanged(*l, later));
    CHECK(l->getContext() == context);  // not even rebuilt
    PiRecord moved = later;
    moved.model = PiModel::Pi5;
    CHECK(storeRecordIfChanged(*l, moved));
    CHECK(*recordInContext(l->getContext(), nullptr) == moved);
    // A lease with an older version's record (a map): replaced by the lease text when it differs.
    auto old = lease("192.0.2.101", "e4:5f:01:98:e0:83");
    const PiRecord r = record("192.0.2.101", "e4:5f:01:98:e0:83", "bf9fed70");
    const auto map = Element::createMap();
    map->set(kRegistryContextKey, toElement(r));
    old->setContext(map);
    CHECK_FALSE(storeRecordIfChanged(*old, r));
    PiRecord os = r;
    os.phase = PiPhase::Os;
    CHECK(storeRecordIfChanged(*old, os));
    CHECK(old->getContext()->get(kRegistryContextKey)->getType() == Element::string);
    CHECK(*recordInContext(old->getContext(), nullptr) == os);
}
