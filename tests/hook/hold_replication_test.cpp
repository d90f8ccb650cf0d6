// HoldReplication against Kea's own hooks framework (HooksManager, its parking lots and callout
// handles), with test callouts on leases4_committed that behave as Kea's HA hook does
// (HAImpl::leases4Committed: take a reference to the parked query, return NEXT_STEP_PARK, and
// later unpark it when the partner answered or drop it when it did not). No server runs.
#include <catch2/catch.hpp>

#include <dhcp/dhcp4.h>
#include <dhcp/hwaddr.h>
#include <dhcp/pkt4.h>
#include <dhcpsrv/lease.h>
#include <hooks/callout_handle.h>
#include <hooks/hooks_manager.h>
#include <hooks/parking_lots.h>
#include <hooks/server_hooks.h>
#include <log/logger_support.h>

#include <atomic>
#include <string>
#include <vector>

#include "hold_replication.h"

using namespace rpinetboot::kea;
using isc::dhcp::HWAddr;
using isc::dhcp::HWAddrPtr;
using isc::dhcp::Lease4;
using isc::dhcp::Lease4Collection;
using isc::dhcp::Lease4CollectionPtr;
using isc::dhcp::Lease4Ptr;
using isc::dhcp::Pkt4;
using isc::dhcp::Pkt4Ptr;
using isc::hooks::CalloutHandle;
using isc::hooks::HooksManager;
using isc::hooks::ParkingLotHandlePtr;
using isc::hooks::ServerHooks;

namespace {

const char* const kHook = "leases4_committed";

// What the test callout saw and what it does.
enum class Behaviour { Park, ParkAndUnparkAtOnce, Continue, Drop };
Behaviour gBehaviour = Behaviour::Park;
ParkingLotHandlePtr gLot;
Pkt4Ptr gQuery, gResponse;
Lease4CollectionPtr gLeases, gDeleted;
int gCalls = 0;

int committed(CalloutHandle& handle) {
    ++gCalls;
    handle.getArgument("query4", gQuery);
    handle.getArgument("response4", gResponse);
    handle.getArgument("leases4", gLeases);
    handle.getArgument("deleted_leases4", gDeleted);
    switch (gBehaviour) {
        case Behaviour::Park:
        case Behaviour::ParkAndUnparkAtOnce:
            gLot = handle.getParkingLotHandlePtr();
            gLot->reference(gQuery);
            handle.setStatus(CalloutHandle::NEXT_STEP_PARK);
            // As HA's lease update answered on another thread before this callout returned.
            if (gBehaviour == Behaviour::ParkAndUnparkAtOnce) gLot->unpark(gQuery);
            break;
        case Behaviour::Continue:
            break;
        case Behaviour::Drop:
            handle.setStatus(CalloutHandle::NEXT_STEP_DROP);
            break;
    }
    return 0;
}

// A fresh hooks framework with `withCallout` deciding whether leases4_committed has a callout.
void resetHooks(bool withCallout) {
    static const bool logging = [] {  // Kea's hooks framework logs
        isc::log::initLogger("kea_hook_test", isc::log::WARN);
        return true;
    }();
    (void)logging;
    if (ServerHooks::getServerHooks().findIndex(kHook) < 0) HooksManager::registerHook(kHook);
    HooksManager::unloadLibraries();
    REQUIRE(HooksManager::loadLibraries(isc::hooks::HookLibsCollection()));
    ServerHooks::getServerHooks().getParkingLotsPtr()->clear();
    if (withCallout) HooksManager::preCalloutsLibraryHandle().registerCallout(kHook, committed);
    gLot.reset();
    gQuery.reset();
    gResponse.reset();
    gLeases.reset();
    gDeleted.reset();
    gCalls = 0;
}

std::size_t parked() {
    return ServerHooks::getServerHooks().getParkingLotPtr(kHook)->size();
}

Pkt4Ptr offer() {
    Pkt4Ptr pkt(new Pkt4(isc::dhcp::DHCPOFFER, 0x01020304));
    pkt->setYiaddr(isc::asiolink::IOAddress("192.0.2.100"));
    return pkt;
}

Lease4CollectionPtr leases(const char* addr) {
    Lease4CollectionPtr out(new Lease4Collection);
    if (addr) {
        const HWAddrPtr hw(
            new HWAddr(std::vector<uint8_t>{0xb8, 0x27, 0xeb, 0, 0, 0x0a}, isc::dhcp::HTYPE_ETHER));
        out->push_back(Lease4Ptr(
            new Lease4(isc::asiolink::IOAddress(addr), hw, isc::dhcp::ClientIdPtr(), 30, 1000, 1)));
    }
    return out;
}

}  // namespace

TEST_CASE("offerStepFor maps the callouts' verdict onto the OFFER") {
    CHECK(offerStepFor(false, CalloutHandle::NEXT_STEP_PARK) == OfferStep::SendNow);
    CHECK(offerStepFor(true, CalloutHandle::NEXT_STEP_CONTINUE) == OfferStep::SendNow);
    CHECK(offerStepFor(true, CalloutHandle::NEXT_STEP_SKIP) == OfferStep::SendNow);
    CHECK(offerStepFor(true, CalloutHandle::NEXT_STEP_PARK) == OfferStep::SendOnAck);
    CHECK(offerStepFor(true, CalloutHandle::NEXT_STEP_DROP) == OfferStep::Drop);
}

TEST_CASE("without leases4_committed callouts nothing is parked and the OFFER goes at once") {
    resetHooks(false);
    const HoldReplication replication;
    CHECK_FALSE(replication.wanted());
    int sent = 0;
    CHECK(replication.replicate(offer(), leases("192.0.2.100"), leases(nullptr), [&] { ++sent; }) ==
          OfferStep::SendNow);
    CHECK(sent == 0);
    CHECK(parked() == 0);
}

TEST_CASE("a parking callout (HA) gets the hold and the released holds and the OFFER waits") {
    resetHooks(true);
    const HoldReplication replication;
    REQUIRE(replication.wanted());
    const Pkt4Ptr response = offer();
    int sent = 0;
    const auto step = replication.replicate(response, leases("192.0.2.100"), leases("192.0.2.101"),
                                            [&] { ++sent; });
    REQUIRE(step == OfferStep::SendOnAck);
    CHECK(gCalls == 1);
    CHECK(gQuery == response);
    CHECK(gResponse == response);
    REQUIRE(gLeases->size() == 1);
    CHECK(gLeases->front()->addr_.toText() == "192.0.2.100");
    REQUIRE(gDeleted->size() == 1);
    CHECK(gDeleted->front()->addr_.toText() == "192.0.2.101");
    CHECK(sent == 0);
    CHECK(parked() == 1);

    SECTION("the partner answered: unparked, the OFFER is sent once") {
        gLot->unpark(gQuery);
        CHECK(sent == 1);
        CHECK(parked() == 0);
        gLot->unpark(gQuery);  // a second unpark finds nothing
        CHECK(sent == 1);
    }
    SECTION("the partner did not answer: dropped, the OFFER is never sent") {
        gLot->drop(gQuery);
        CHECK(sent == 0);
        CHECK(parked() == 0);
    }
}

TEST_CASE("an unpark before the callouts return still sends the OFFER exactly once") {
    resetHooks(true);
    gBehaviour = Behaviour::ParkAndUnparkAtOnce;
    const HoldReplication replication;
    int sent = 0;
    CHECK(replication.replicate(offer(), leases("192.0.2.100"), leases(nullptr), [&] { ++sent; }) ==
          OfferStep::SendOnAck);
    CHECK(sent == 1);
    CHECK(parked() == 0);
    gBehaviour = Behaviour::Park;
}

TEST_CASE("no update due (HA in partner-down): not parked and the OFFER goes at once") {
    resetHooks(true);
    gBehaviour = Behaviour::Continue;
    const HoldReplication replication;
    const Pkt4Ptr response = offer();
    int sent = 0;
    CHECK(replication.replicate(response, leases("192.0.2.100"), leases(nullptr),
                                [&] { ++sent; }) == OfferStep::SendNow);
    CHECK(gCalls == 1);
    CHECK(sent == 0);
    CHECK(parked() == 0);  // our park was taken back: the same reply may be parked again
    CHECK(replication.replicate(response, leases("192.0.2.100"), leases(nullptr),
                                [&] { ++sent; }) == OfferStep::SendNow);
    gBehaviour = Behaviour::Park;
}

TEST_CASE("a dropping callout drops the OFFER") {
    resetHooks(true);
    gBehaviour = Behaviour::Drop;
    const HoldReplication replication;
    int sent = 0;
    CHECK(replication.replicate(offer(), leases("192.0.2.100"), leases(nullptr), [&] { ++sent; }) ==
          OfferStep::Drop);
    CHECK(sent == 0);
    CHECK(parked() == 0);
    gBehaviour = Behaviour::Park;
}

TEST_CASE("nothing to send: the callouts are not called") {
    resetHooks(true);
    const HoldReplication replication;
    int sent = 0;
    CHECK(replication.replicate(offer(), leases(nullptr), leases(nullptr), [&] { ++sent; }) ==
          OfferStep::SendNow);
    CHECK(gCalls == 0);
    CHECK(parked() == 0);
}
