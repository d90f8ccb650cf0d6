// Built with -fsanitize=thread: the hook's logic (NetbootLogic, its option 66 cache) and its ROM
// hold bookkeeping (RomHolds, HoldBook) driven by several threads at once, as Kea 2.4+ runs
// callouts (multi-threading is its default since 2.3.5), against Kea's own memfile lease
// database in multi-threaded mode. ThreadSanitizer fails the test on any data race in our code;
// the checks at the end hold the bookkeeping to its promises under that concurrency: the cap of
// unconfirmed holds, and Kea's assigned-addresses equal to the leases the holds left. The identity
// (PiRegistry, OsPhase) runs alongside: each Pi recorded, looked up and sent its OS-phase names.
#include <asiolink/io_address.h>
#include <dhcp/dhcp4.h>
#include <dhcp/option.h>
#include <dhcp/option_int.h>
#include <dhcp/pkt4.h>
#include <dhcpsrv/cfgmgr.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <dhcpsrv/pool.h>
#include <dhcpsrv/subnet.h>
#include <log/logger_support.h>
#include <stats/stats_mgr.h>
#include <util/multi_threading_mgr.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "hook_config.h"
#include "netboot_logic.h"
#include "os_phase.h"
#include "pi_registry.h"
#include "rom_hold.h"
#include "rpinetboot/discover.h"

using namespace rpinetboot;
using namespace rpinetboot::kea;
using isc::asiolink::IOAddress;
using isc::dhcp::Pkt4;
using isc::dhcp::Pkt4Ptr;

namespace {

constexpr int kThreads = 4;
constexpr int kPerThread = 1500;
constexpr std::uint32_t kCap = 16;
constexpr std::uint32_t kPoolFirst = 0xc000020a;  // 192.0.2.10 .. 192.0.2.250
constexpr std::uint32_t kPoolSize = 241;

int failures = 0;
void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", what);
        ++failures;
    }
}

Pkt4Ptr query(PiModel model, std::uint32_t n) {
    PiIdentity pi;
    pi.model = model;
    pi.mac = MacAddress({0xb8, 0x27, 0xeb, static_cast<std::uint8_t>(n >> 16),
                         static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
    pi.serial = Serial(n);
    pi.xid = n;
    const Bytes wire = buildDiscover(pi);
    Pkt4Ptr pkt(new Pkt4(wire.data(), wire.size()));
    pkt->unpack();
    return pkt;
}

// The OFFER Kea would send: an address per MAC (as Kea's allocator re-offers a client's own),
// so that MACs shared between threads also meet at one address.
Pkt4Ptr offer(const Pkt4& q, std::uint32_t n) {
    Pkt4Ptr r(new Pkt4(isc::dhcp::DHCPOFFER, q.getTransid()));
    r->setHWAddr(q.getHWAddr());
    r->setYiaddr(IOAddress(kPoolFirst + (n * 2654435761u) % kPoolSize));
    r->addOption(isc::dhcp::OptionPtr(
        new isc::dhcp::Option(isc::dhcp::Option::V4, 54, Bytes{192, 0, 2, 1})));
    r->addOption(isc::dhcp::OptionPtr(
        new isc::dhcp::OptionUint32(isc::dhcp::Option::V4, isc::dhcp::DHO_DHCP_LEASE_TIME, 600)));
    return r;
}

std::int64_t stat(const std::string& name) {
    const auto obs = isc::stats::StatsMgr::instance().getObservation(name);
    return obs ? obs->getInteger().first : -1;
}

}  // namespace

int main() {
    isc::log::initLogger("kea_hook_tsan_test", isc::log::WARN);
    isc::util::MultiThreadingMgr::instance().setMode(true);
    auto subnet = isc::dhcp::Subnet4::create(IOAddress("192.0.2.0"), 24, 300, 500, 600, 1);
    subnet->addPool(isc::dhcp::Pool4Ptr(
        new isc::dhcp::Pool4(IOAddress("192.0.2.10"), IOAddress("192.0.2.250"))));
    isc::dhcp::CfgMgr::instance().getStagingCfg()->getCfgSubnets4()->add(subnet);
    isc::dhcp::CfgMgr::instance().commit();
    isc::dhcp::LeaseMgrFactory::create("type=memfile universe=4 persist=false lfc-interval=0");

    // No tftp-server: option 66 comes from each reply's option 54, through the shared cache.
    const NetbootLogic logic(HookConfig::parse(nullptr));
    // With tftp-groups: a class selector, a subnet selector and a drained node, read by every
    // thread at once (the selector is immutable: nothing to lock).
    const NetbootLogic spread(HookConfig::parse(isc::data::Element::fromJSON(R"({"tftp-groups": [
        {"client-class": "RPI_NETBOOT_PI4", "nodes": ["192.0.2.5"]},
        {"subnet": "192.0.2.0/24",
         "nodes": ["192.0.2.1", "192.0.2.2", {"address": "192.0.2.3", "drain": true}]}]})")));
    RomHolds holds(HoldLimits{60, kCap});
    std::atomic<int> pis{0}, held{0}, refused{0};
    const NetbootLogic named(HookConfig::parse(isc::data::Element::fromJSON(
        R"({"hostname-template": "pi-{serial}", "root-path-template": "{tftp-server}:/{serial}"})")));
    const OsPhase os(named);
    PiRegistry registry;
    std::mutex macsMutex;
    std::set<MacAddress> macs;

    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                // A quarter each: ROM3 from fresh MACs (the flood), a ROM3 and its bootcode.bin
                // from 32 MACs every thread shares (renewals and confirmations racing), Pi 4.
                const std::uint32_t fresh =
                    0x10000 + static_cast<std::uint32_t>(t * kPerThread + i);
                const std::uint32_t shared = static_cast<std::uint32_t>(i % 32);
                PiModel model = PiModel::Rom3;
                std::uint32_t n = fresh;
                switch (i % 4) {
                    case 1:
                        n = shared;
                        break;
                    case 2:
                        model = PiModel::Bootcode;
                        n = shared;
                        break;
                    case 3:
                        model = PiModel::Pi4;
                        break;
                    default:
                        break;
                }
                Pkt4Ptr q = query(model, n);
                const ReceiveResult rr = logic.onReceive(*q, false);
                if (rr.outcome != ReceiveOutcome::Pi) continue;
                ++pis;
                Pkt4Ptr r = offer(*q, n);
                const SendResult sent = logic.onSend(rr.decision, *r);
                if (!sent.patched || !sent.tftpServer) ++refused;
                Pkt4Ptr r2 = offer(*q, n);
                const auto node = spread.onSend(rr.decision, *r2, q.get()).tftpServer;
                const bool pi4 = model == PiModel::Pi4;
                if (!node ||
                    (pi4 ? *node != 0xc0000205u : (*node != 0xc0000201u && *node != 0xc0000202u))) {
                    ++refused;
                }
                {
                    const std::lock_guard<std::mutex> lock(macsMutex);
                    macs.insert(rr.decision.mac);
                }
                const auto previous = registry.byMac(rr.decision.mac);
                registry.put(
                    OsPhase::bootRecord(rr.decision, r->getYiaddr().toUint32(), previous, i));
                const auto known = registry.byMac(rr.decision.mac);
                if (!known) {
                    ++refused;
                } else {
                    os.classify(*q, *known);
                    Pkt4Ptr osReply = offer(*q, n);
                    if (!os.onSend(*known, *q, *osReply).hostname) ++refused;
                }
                if (!logic.needsRomHold(rr.decision, *r)) continue;
                const HoldResult h = holds.holdRomOffer(*r, rr.decision.piClass);
                if (h.outcome == HoldOutcome::Held || h.outcome == HoldOutcome::Refreshed) ++held;
                if (h.unconfirmed > kCap) ++refused;
            }
        });
    }
    for (auto& th : threads) th.join();

    check(pis == kThreads * kPerThread, "every Pi query classified as a Pi");
    check(registry.size() == macs.size(), "one registry record per Pi MAC");
    check(refused == 0,
          "every Pi reply patched with 66 (tftp-groups: its group's undrained nodes only), and "
          "no hold past the cap");
    check(held > kThreads * kPerThread / 4, "ROM and bootcode.bin OFFERs held");
    const auto unconfirmed = stat(unconfirmedHoldsStat(1));
    check(unconfirmed >= 1 && unconfirmed <= static_cast<std::int64_t>(kCap),
          "unconfirmed holds within the cap");
    const auto leases = isc::dhcp::LeaseMgrFactory::instance().getLeases4(isc::dhcp::SubnetID(1));
    std::int64_t shortLeases = 0;
    for (const auto& lease : leases) shortLeases += lease->valid_lft_ <= 60 ? 1 : 0;
    check(shortLeases <= static_cast<std::int64_t>(kCap), "short-lived leases within the cap");
    check(stat("subnet[1].assigned-addresses") == static_cast<std::int64_t>(leases.size()),
          "assigned-addresses equals the leases left in the database");
    std::printf("pis=%d held=%d leases=%zu unconfirmed=%lld assigned=%lld\n", pis.load(),
                held.load(), leases.size(), static_cast<long long>(unconfirmed),
                static_cast<long long>(stat("subnet[1].assigned-addresses")));
    isc::dhcp::LeaseMgrFactory::destroy();
    return failures ? 1 : 0;
}
