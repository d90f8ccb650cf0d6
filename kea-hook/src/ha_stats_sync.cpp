#include "ha_stats_sync.h"

#include <asiolink/interval_timer.h>
#include <asiolink/io_service.h>
#include <cc/command_interpreter.h>
#include <cc/data.h>
#include <dhcpsrv/cfgmgr.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <hooks/hooks_manager.h>
#include <stats/stats_mgr.h>
#include <util/multi_threading_mgr.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ha_sync_watch.h"
#include "hook_log.h"
#include "kea_compat.h"

// Kea 2.5.8 added IOServiceMgr (a hook's own IO service, polled by kea-dhcp4's main loop) and
// IOService::stopAndPoll, and IntervalTimer takes an IOServicePtr since; Kea 2.6's own HA hook
// runs its timers that way (ha_callouts.cc). Before, HA used the io_context argument of
// dhcp4_srv_configured, as this does there.
#if RPI_NETBOOT_KEA_HOOKS_VERSION >= 20600
#include <asiolink/io_service_mgr.h>
#define RPI_NETBOOT_OWN_IO_SERVICE 1
#else
#define RPI_NETBOOT_OWN_IO_SERVICE 0
#endif

using isc::asiolink::IntervalTimer;
using isc::asiolink::IOService;
using isc::asiolink::IOServicePtr;
using isc::data::ConstElementPtr;
using isc::data::Element;
using isc::hooks::CalloutHandle;
using isc::hooks::HooksManager;
using isc::stats::StatsMgr;

namespace rpinetboot::kea::haStats {
namespace {

const std::string kHeartbeat = "ha-heartbeat";
const std::string kSync = "ha-sync";

// One HA relationship's state (a Kea 2.6+ hub-and-spoke server has several).
struct Watched {
    std::string server;  // its this-server-name, sent only when there are several
    HaSyncWatch watch;
    bool warned = false;  // its state could not be read (logged once until it can again)
};

struct Poller {
    IOServicePtr io;
    std::unique_ptr<IntervalTimer> timer;
    std::vector<Watched> relationships;
};

// Set and cleared on Kea's main thread only (callouts dhcp4_srv_configured, load, unload and the
// timer all run there).
std::unique_ptr<Poller> gPoller;
// Set by command_processed, which runs on whichever thread processed the command (HA's own
// listener threads too); read by the timer.
std::atomic<bool> gSyncCommand{false};

// The local HA state as HA's ha-heartbeat handler gives it (without a server-name: the first
// relationship's, on a hub-and-spoke server of Kea 2.6+); empty, and `error` set, when none.
std::string localHaState(const std::string& server, std::string& error) {
    try {
        const auto handle = HooksManager::createCalloutHandle();
        ConstElementPtr response;
        isc::data::ElementPtr name;
        if (!server.empty()) {
            name = Element::createMap();
            name->set("server-name", Element::create(server));
        }
        handle->setArgument("command", isc::config::createCommand(kHeartbeat, name));
        handle->setArgument("response", response);
        HooksManager::callCommandHandlers(kHeartbeat, *handle);
        handle->getArgument("response", response);
        int rcode = -1;
        const ConstElementPtr args = isc::config::parseAnswer(rcode, response);
        if (rcode != isc::config::CONTROL_RESULT_SUCCESS) {
            error = args && args->getType() == Element::string ? args->stringValue()
                                                               : "ha-heartbeat failed";
            return {};
        }
        const ConstElementPtr state =
            args && args->getType() == Element::map ? args->get("state") : ConstElementPtr();
        if (state && state->getType() == Element::string && !state->stringValue().empty()) {
            return state->stringValue();
        }
        error = "ha-heartbeat gave no state";
    } catch (const std::exception& e) {
        error = e.what();
    } catch (...) {
        error = "unknown error";
    }
    return {};
}

std::int64_t assignedInAllSubnets() {
    std::int64_t total = 0;
    const auto& subnets =
        *isc::dhcp::CfgMgr::instance().getCurrentCfg()->getCfgSubnets4()->getAll();
    for (const auto& subnet : subnets) {
        const auto obs = StatsMgr::instance().getObservation(
            StatsMgr::generateName("subnet", subnet->getID(), "assigned-addresses"));
        if (obs) total += obs->getInteger().first;
    }
    return total;
}

void sample() {
    if (!gPoller) return;
    Poller& p = *gPoller;
    const bool command = gSyncCommand.exchange(false);
    std::string why;  // the states that made the recount due
    for (Watched& w : p.relationships) {
        // ha-sync may name one relationship: every one is treated as synced (a spare recount).
        if (command) w.watch.syncedByCommand();
        std::string error;
        const std::string state = localHaState(w.server, error);
        if (state.empty()) {
            if (!w.warned) {
                LOG_WARN(logger, RPI_NETBOOT_HA_STATE_UNKNOWN).arg(error);
            }
            w.warned = true;
            continue;
        }
        w.warned = false;
        if (w.watch.observe(state)) {
            why += (why.empty() ? "" : ", ") + (w.server.empty() ? state : w.server + " " + state);
        }
    }
    if (why.empty()) return;
    if (recountLeaseStats()) {
        LOG_INFO(logger, RPI_NETBOOT_HA_STATS_RECOUNTED).arg(why).arg(assignedInAllSubnets());
    } else {
        // Still due: tried again at the next sample.
        for (Watched& w : p.relationships) w.watch.syncedByCommand();
    }
}

// Kea 3.0 made HookLibInfo a struct (parameters_); before, a pair (second).
template <typename I>
auto parametersOf(const I& info, int) -> decltype(ConstElementPtr(info.parameters_)) {
    return info.parameters_;
}
template <typename I>
auto parametersOf(const I& info, long) -> decltype(ConstElementPtr(info.second)) {
    return info.second;
}

// The HA relationships in hooks-libraries (Kea's HA hook's parameters).
HaRelationships configuredRelationships() {
    for (const auto& info : HooksManager::getLibraryInfo()) {
        HaRelationships found = haRelationshipsOf(parametersOf(info, 0));
        if (!found.servers.empty()) return found;
    }
    return {};
}

void stopPoller() {
    if (!gPoller) return;
    gPoller->timer->cancel();
#if RPI_NETBOOT_OWN_IO_SERVICE
    isc::asiolink::IOServiceMgr::instance().unregisterIOService(gPoller->io);
    // Runs the cancelled wait's handler now, while this library's code is still loaded.
    gPoller->io->stopAndPoll();
#else
    // The cancelled wait's handler is still queued on kea-dhcp4's own IO service, holding the
    // timer's callback (this library's code), and only kea-dhcp4's main loop may run that
    // service. The timer is kept (a few bytes per reconfiguration) so that the callback is
    // never destroyed, nor called (a cancelled IntervalTimer calls nothing), after this library
    // is unloaded.
    static_cast<void>(gPoller->timer.release());
#endif
    gPoller.reset();
}

void startPoller(const IOServicePtr& serverIo) {
    stopPoller();
    auto p = std::make_unique<Poller>();
#if RPI_NETBOOT_OWN_IO_SERVICE
    static_cast<void>(serverIo);
    p->io = IOServicePtr(new IOService());
    p->timer = std::make_unique<IntervalTimer>(p->io);
    isc::asiolink::IOServiceMgr::instance().registerIOService(p->io);
#else
    if (!serverIo) return;
    p->io = serverIo;
    p->timer = std::make_unique<IntervalTimer>(*p->io);
#endif
    const HaRelationships ha = configuredRelationships();
    for (const auto& server : ha.servers) {
        p->relationships.emplace_back();
        if (ha.servers.size() > 1) p->relationships.back().server = server;
    }
    // Unreadable parameters: the one relationship HA's heartbeat answers without a name.
    if (p->relationships.empty()) p->relationships.emplace_back();
    const auto interval = pollIntervalFor(ha.heartbeatDelay);
    p->timer->setup(sample, static_cast<long>(interval.count()), IntervalTimer::REPEATING);
    gPoller = std::move(p);
    LOG_INFO(logger, RPI_NETBOOT_HA_STATS_WATCH)
        .arg(gPoller->relationships.size())
        .arg(interval.count());
}

int srvConfigured(CalloutHandle& handle) {
    try {
        // Kea's HA hook registers ha-heartbeat in its load(): present now or never.
        if (!HooksManager::commandHandlersPresent(kHeartbeat)) {
            stopPoller();
            return 0;
        }
        IOServicePtr io;
        handle.getArgument("io_context", io);
        startPoller(io);
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_HA_STATS_FAILED).arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_HA_STATS_FAILED).arg("unknown error");
    }
    return 0;
}

int commandProcessed(CalloutHandle& handle) {
    try {
        std::string name;
        handle.getArgument("name", name);
        if (name != kSync) return 0;
        ConstElementPtr response;
        handle.getArgument("response", response);
        int rcode = -1;
        static_cast<void>(isc::config::parseAnswer(rcode, response));
        if (rcode == isc::config::CONTROL_RESULT_SUCCESS) gSyncCommand = true;
    } catch (...) {
        // Not ours to judge: the command's answer stands as it is.
    }
    return 0;
}

}  // namespace

void load(isc::hooks::LibraryHandle& handle) {
    gSyncCommand = false;
    handle.registerCallout("dhcp4_srv_configured", srvConfigured);
    handle.registerCallout("command_processed", commandProcessed);
}

void unload() {
    stopPoller();
}

bool recountLeaseStats() {
    try {
        if (!isc::dhcp::LeaseMgrFactory::haveInstance()) return true;
        // Packet threads paused: none counts a lease while the counts are rebuilt.
        isc::util::MultiThreadingCriticalSection pause;
#if RPI_NETBOOT_KEA_HOOKS_VERSION >= 20400
        // recountLeaseStats4 zeroes the subnet counts itself but creates the pool counts only
        // when missing and then adds to them (lease_mgr.cc, Kea 2.4 to 3.0): a reconfiguration
        // removes them first, so must this.
        const std::int64_t zero = 0;
        const auto& subnets =
            *isc::dhcp::CfgMgr::instance().getCurrentCfg()->getCfgSubnets4()->getAll();
        for (const auto& subnet : subnets) {
            for (const auto& pool : subnet->getPools(isc::dhcp::Lease::TYPE_V4)) {
                const auto id = poolIdOf(*pool, 0);
                for (const char* stat : {"assigned-addresses", "declined-addresses"}) {
                    StatsMgr::instance().setValue(
                        StatsMgr::generateName("subnet", subnet->getID(),
                                               StatsMgr::generateName("pool", id, stat)),
                        zero);
                }
            }
        }
#endif
        isc::dhcp::LeaseMgrFactory::instance().recountLeaseStats4();
        return true;
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_HA_STATS_FAILED).arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_HA_STATS_FAILED).arg("unknown error");
    }
    return false;
}

HaRelationships haRelationshipsOf(const ConstElementPtr& parameters) {
    HaRelationships found;
    const ConstElementPtr ha = parameters && parameters->getType() == Element::map
                                   ? parameters->get("high-availability")
                                   : ConstElementPtr();
    if (!ha || ha->getType() != Element::list) return found;
    for (const auto& relationship : ha->listValue()) {
        if (!relationship || relationship->getType() != Element::map) continue;
        const ConstElementPtr name = relationship->get("this-server-name");
        if (name && name->getType() == Element::string && !name->stringValue().empty()) {
            found.servers.push_back(name->stringValue());
        }
        const ConstElementPtr delay = relationship->get("heartbeat-delay");
        if (delay && delay->getType() == Element::integer) {
            const long ms = static_cast<long>(delay->intValue());
            if (!found.heartbeatDelay || ms < *found.heartbeatDelay) found.heartbeatDelay = ms;
        }
    }
    return found;
}

}  // namespace rpinetboot::kea::haStats
