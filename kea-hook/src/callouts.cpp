// Kea's entry points. Thin: parse parameters, hand packets to NetbootLogic, log and count.
// No exception may leave a callout: Kea would drop the packet (or worse, for load()).
// Another library's verdict stands: a packet an earlier callout dropped or skipped is not
// touched, and a ROM OFFER is held only once every library's pkt4_send has had its say: in our
// pkt4_send when no library follows ours, else in buffer4_send, which Kea calls only for a reply
// still to be sent (registered only then: Kea charges every reply for calling a hook point).
#include <cc/command_interpreter.h>
#include <dhcp/pkt4.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <dlfcn.h>
#include <hooks/hooks.h>
#include <hooks/hooks_manager.h>
#include <process/daemon.h>

#include <climits>
#include <cstdlib>

#include <ctime>
#include <exception>
#include <memory>
#include <mutex>

#include "hook_config.h"
#include "hook_events.h"
#include "hook_log.h"
#include "hook_stats.h"
#include "kea_compat.h"
#include "netboot_logic.h"
#include "os_phase.h"
#include "pi_registry.h"
#include "registry_commands.h"
#include "registry_store.h"
#include "rom_hold.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/event_sink.h"
#include "rpinetboot/option43.h"

using isc::dhcp::Pkt4Ptr;
using isc::hooks::CalloutHandle;
using isc::hooks::LibraryHandle;
using namespace rpinetboot;
using namespace rpinetboot::kea;

namespace {

// Set by load(), cleared by unload(); Kea runs no callout concurrently with either.
std::shared_ptr<const NetbootLogic> g_logic;
std::shared_ptr<RomHolds> g_holds;
// The boot events' queue (parameter "events"), or null: one test per Pi packet when off. Its
// thread writes; a callout only moves an event into its ring, never waits (event_sink.h).
std::unique_ptr<QueuedSink> g_events;
// Room for a burst of a few hundred booting Pis, four events each; past it events are dropped.
constexpr std::size_t kEventQueue = 4096;

void emitEvent(BootStep step, const PiDecision& d, std::uint32_t address) {
    if (QueuedSink* sink = g_events.get()) sink->push(dhcpEvent(step, d, address));
}

const char* const kContextKey = "rpi-netboot";
// Marks, on the reply itself, an OFFER that buffer4_send must hold: Kea passes buffer4_send only
// the reply, and a class test is far cheaper for the other replies than a missing context.
const std::string kHoldMark = "RPI_NETBOOT_HOLD";

// Set by load(): whether ROM holds wait for buffer4_send (a library follows ours).
bool g_hold_in_buffer4_send = false;

// The identity (pi_registry.h, os_phase.h). The registry outlives reconfigurations only as the
// leases do: each load() starts empty and dhcp4_srv_configured (or the first query after it)
// refills it from the lease store. g_os refers to *g_logic.
std::shared_ptr<PiRegistry> g_registry;
std::shared_ptr<const OsPhase> g_os;
std::mutex g_registry_load_mutex;
// Callout context: the registry's record of an OS-phase query's MAC (pkt4_receive), and the
// record written with a query's lease (lease4_select, lease4_renew) for pkt4_send.
const char* const kOsContextKey = "rpi-netboot-os";
const char* const kRecordContextKey = "rpi-netboot-record";

template <typename T>
bool contextOf(CalloutHandle& handle, const char* key, T& out) {
    try {
        handle.getContext(key, out);
        return true;
    } catch (const isc::hooks::NoSuchCalloutContext&) {
        return false;
    }
}

std::int64_t now() {
    return static_cast<std::int64_t>(time(nullptr));
}

MacAddress macOfHw(const isc::dhcp::HWAddrPtr& hw) {
    MacAddress::Bytes bytes{};
    if (hw && hw->hwaddr_.size() == bytes.size()) {
        std::copy(hw->hwaddr_.begin(), hw->hwaddr_.end(), bytes.begin());
    }
    return MacAddress(bytes);
}

// Fills the registry from the lease store once per configuration, when Kea has opened it.
void ensureRegistryLoaded(PiRegistry& registry) {
    if (registry.loaded()) return;
    const std::lock_guard<std::mutex> lock(g_registry_load_mutex);
    if (registry.loaded() || !isc::dhcp::LeaseMgrFactory::haveInstance()) return;
    try {
        const RebuildResult r = rebuildRegistry(registry);
        for (const auto& why : r.reported)
            LOG_WARN(logger, RPI_NETBOOT_REGISTRY_MALFORMED).arg(why);
        if (r.malformed > r.reported.size()) {
            LOG_WARN(logger, RPI_NETBOOT_REGISTRY_MALFORMED_MORE).arg(r.malformed);
        }
        LOG_INFO(logger, RPI_NETBOOT_REGISTRY_LOADED).arg(r.records).arg(r.leases);
    } catch (const std::exception& e) {
        registry.setLoaded(true);  // not retried per query: the next configuration tries again
        LOG_ERROR(logger, RPI_NETBOOT_REGISTRY_LOAD_FAILED).arg(e.what());
    }
}

void putRecord(PiRegistry& registry, const PiRecord& record) {
    if (!registry.put(record)) {
        LOG_WARN(logger, RPI_NETBOOT_REGISTRY_FULL).arg(registry.size()).arg(record.mac.str());
    }
}

// A ROM or bootcode.bin OFFER just held as a lease: the Pi's record goes into that lease. The
// ROM repeats its DISCOVER every 5 s: an unchanged record seen within the last minute is
// refreshed in memory only, as a hold is (rom_hold.cpp).
void recordHeld(const PiDecision& d, const isc::dhcp::Pkt4& response) {
    const auto registry = g_registry;
    if (!registry) return;
    const std::uint32_t address = response.getYiaddr().toUint32();
    const auto previous = registry->byMac(d.mac);
    const std::int64_t t = now();
    const PiRecord record = OsPhase::bootRecord(d, address, previous, t);
    if (previous && previous->address == address && previous->phase == PiPhase::Boot &&
        previous->model == record.model && t - previous->last_seen < 60) {
        putRecord(*registry, record);
        return;
    }
    auto& leases = isc::dhcp::LeaseMgrFactory::instance();
    const auto lease = leases.getLease4(response.getYiaddr());
    if (!lease || macOfHw(lease->hwaddr_) != d.mac) return;
    storeRecord(*lease, record);
    leases.updateLease4(lease);
    putRecord(*registry, record);
    LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_RECORDED)
        .arg(response.getLabel())
        .arg(d.mac.str())
        .arg(response.getYiaddr().toText())
        .arg(phaseName(record.phase));
}

// pkt4_receive, for a query that is not a Pi's PXE query: the OS phase of a Pi known by MAC.
void receiveOs(CalloutHandle& handle, isc::dhcp::Pkt4& query) {
    const auto registry = g_registry;
    const auto os = g_os;
    const auto logic = g_logic;
    if (!registry || !os || !logic) return;
    ensureRegistryLoaded(*registry);
    const MacAddress mac = macOfHw(query.getHWAddr());
    auto known = registry->byMac(mac);
    // Not in the index but maybe in the lease store (a lease an HA partner wrote): asked only
    // for Pi MACs, so other clients cost no lease lookup.
    if (!known && logic->config().classifier.ouis.contains(mac) &&
        isc::dhcp::LeaseMgrFactory::haveInstance()) {
        known = recordFromLeases(mac);
        if (known) putRecord(*registry, *known);
    }
    if (!known) return;
    os->classify(query, *known);
    handle.setContext(kOsContextKey, *known);
    LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_OS_PHASE)
        .arg(query.getLabel())
        .arg(mac.str())
        .arg(known->serial ? known->serial->str() : std::string("(no serial)"))
        .arg(std::string(className(known->model)));
}

// lease4_select and lease4_renew: the lease Kea is about to store for a Pi carries its record.
void recordLease(CalloutHandle& handle, bool fake) {
    const auto registry = g_registry;
    const auto os = g_os;
    if (!registry || !os) return;
    isc::dhcp::Lease4Ptr lease;
    handle.getArgument("lease4", lease);
    if (!lease) return;
    PiRecord record;
    PiDecision decision;
    PiRecord known;
    const std::uint32_t address = lease->addr_.toUint32();
    if (contextOf(handle, kContextKey, decision) && decision.is_pi) {
        record = OsPhase::bootRecord(decision, address, registry->byMac(decision.mac), now());
    } else if (contextOf(handle, kOsContextKey, known)) {
        record = os->osRecord(known, address, now());
    } else {
        return;
    }
    handle.setContext(kRecordContextKey, record);
    if (fake) return;
    storeRecord(*lease, record);
    putRecord(*registry, record);
    LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_RECORDED)
        .arg("lease")
        .arg(record.mac.str())
        .arg(lease->addr_.toText())
        .arg(phaseName(record.phase));
}

// pkt4_send for an OS-phase reply: options 12 and 17.
void sendOs(CalloutHandle& handle, isc::dhcp::Pkt4& query) {
    const auto os = g_os;
    const auto registry = g_registry;
    if (!os || !registry) return;
    PiRecord record;
    if (!contextOf(handle, kRecordContextKey, record) &&
        !contextOf(handle, kOsContextKey, record)) {
        return;
    }
    Pkt4Ptr response;
    handle.getArgument("response4", response);
    if (!response) return;
    const OsSendResult sent = os->onSend(record, query, *response);
    if (response->getType() == isc::dhcp::DHCPACK) {
        // The names as sent, for rpi-netboot-get (the lease has them from its next write when
        // {tftp-server} came from the reply's option 54).
        if (const auto current = registry->byMac(record.mac);
            current && current->address == record.address &&
            ((sent.hostname && current->hostname != *sent.hostname) ||
             (sent.root_path && current->root_path != *sent.root_path))) {
            PiRecord updated = *current;
            if (sent.hostname) updated.hostname = *sent.hostname;
            if (sent.root_path) updated.root_path = *sent.root_path;
            putRecord(*registry, updated);
        }
    }
    LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_OS_IDENTITY)
        .arg(query.getLabel())
        .arg(response->getName())
        .arg(record.mac.str())
        .arg(sent.hostname.value_or(""))
        .arg(sent.root_path.value_or(""));
}

// rpi-netboot-list and rpi-netboot-get over Kea's control channel.
int commandCallout(CalloutHandle& handle, bool list) {
    isc::data::ConstElementPtr answer;
    try {
        isc::data::ConstElementPtr command, arguments;
        handle.getArgument("command", command);
        isc::config::parseCommand(arguments, command);
        const auto registry = g_registry;
        if (!registry) {
            answer = isc::config::createAnswer(isc::config::CONTROL_RESULT_ERROR,
                                               "rpi-netboot hook not loaded");
        } else {
            ensureRegistryLoaded(*registry);
            answer = list ? listAnswer(*registry) : getAnswer(*registry, arguments);
        }
    } catch (const std::exception& e) {
        answer = isc::config::createAnswer(isc::config::CONTROL_RESULT_ERROR, e.what());
    }
    handle.setArgument("response", answer);
    return 0;
}

int listCommand(CalloutHandle& handle) {
    return commandCallout(handle, true);
}

int getCommand(CalloutHandle& handle) {
    return commandCallout(handle, false);
}

// A DROP or SKIP set by a library earlier in hooks-libraries: leave the packet alone.
bool settledElsewhere(const CalloutHandle& handle) {
    const auto status = handle.getStatus();
    return status == CalloutHandle::NEXT_STEP_DROP || status == CalloutHandle::NEXT_STEP_SKIP;
}

std::string menuTextOf(const Bytes& option43) {
    std::string error;
    const auto decoded = decodeOption43(option43, &error);
    return decoded && decoded->menu_text ? *decoded->menu_text : std::string("?");
}

// Log arguments are built only inside LOG_* (each checks its severity first): this runs per query.
void logReceive(const isc::dhcp::Pkt4& query, const ReceiveResult& r) {
    const MacAddress& mac = r.decision.mac;
    switch (r.outcome) {
        case ReceiveOutcome::NotPxe:
            break;
        case ReceiveOutcome::NotPi:
            // r.explained: onReceive asked the logger already (LOG_DEBUG would ask again).
            if (!r.explained) break;
            logger.debug(kDebugPacket, RPI_NETBOOT_NOT_PI)
                .arg(query.getLabel())
                .arg(mac.str())
                .arg(r.reason);
            break;
        case ReceiveOutcome::Malformed:
            stats::add(stats::kMalformed);
            LOG_WARN(logger, RPI_NETBOOT_MALFORMED)
                .arg(query.getLabel())
                .arg(mac.str())
                .arg(r.reason);
            break;
        case ReceiveOutcome::NotAllowed:
            stats::add(stats::kNotAllowed);
            LOG_WARN(logger, RPI_NETBOOT_NOT_ALLOWED)
                .arg(query.getLabel())
                .arg(mac.str())
                .arg(r.decision.serial ? r.decision.serial->str() : std::string("unknown"));
            break;
        case ReceiveOutcome::Pi:
            stats::add(stats::kReceived);
            stats::add(stats::receivedByClass(r.decision.pi_class));
            if (!r.explained) break;
            logger.debug(kDebugPacket, RPI_NETBOOT_CLASSIFIED)
                .arg(query.getLabel())
                .arg(mac.str())
                .arg(std::string(className(r.decision.pi_class)))
                .arg(r.reason);
            break;
    }
}

// Returns false when the OFFER must be dropped.
bool hold(RomHolds& holds, const PiDecision& d, isc::dhcp::Pkt4& response) {
    // Only for the log: Kea's address text is built when a message is.
    const auto addr = [&response] { return response.getYiaddr().toText(); };
    try {
        const HoldResult held = holds.holdRomOffer(response, d.pi_class);
        if (held.released) {
            stats::add(stats::kRomReleased, static_cast<std::int64_t>(held.released));
            LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_ROM_HOLDS_RELEASED)
                .arg(response.getLabel())
                .arg(held.subnet)
                .arg(held.unconfirmed)
                .arg(held.released);
        }
        if (held.cap_reached) {
            stats::add(stats::kRomCapReached);
            LOG_WARN(logger, RPI_NETBOOT_ROM_HOLD_CAP_REACHED)
                .arg(held.subnet)
                .arg(held.unconfirmed);
        }
        switch (held.outcome) {
            case HoldOutcome::Held:
            case HoldOutcome::Refreshed:
                stats::add(stats::kRomHeld);
                if (held.confirmed) stats::add(stats::kRomConfirmed);
                LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_ROM_HELD)
                    .arg(response.getLabel())
                    .arg(addr())
                    .arg(d.mac.str())
                    .arg(held.lifetime)
                    .arg(held.confirmed ? "confirmed" : "unconfirmed");
                recordHeld(d, response);
                return true;
            case HoldOutcome::Conflict:
                stats::add(stats::kRomConflict);
                LOG_WARN(logger, RPI_NETBOOT_ROM_HOLD_CONFLICT)
                    .arg(response.getLabel())
                    .arg(addr())
                    .arg(d.mac.str());
                return false;
            case HoldOutcome::NoSubnet:
                return true;
        }
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_ROM_HOLD_FAILED)
            .arg(response.getLabel())
            .arg(addr())
            .arg(d.mac.str())
            .arg(e.what());
    }
    return true;
}

// buffer4_send, registered by load() when a library follows ours: the ROM hold, for an OFFER
// every library let through pkt4_send (Kea does not call buffer4_send for a reply one dropped).
int holdInBuffer4Send(CalloutHandle& handle) {
    try {
        if (settledElsewhere(handle)) return 0;
        Pkt4Ptr response;
        handle.getArgument("response4", response);
        if (!response || !response->inClass(kHoldMark)) return 0;
        const auto holds = g_holds;
        if (!holds) return 0;
        PiDecision decision;
        handle.getContext(kContextKey, decision);
        if (!hold(*holds, decision, *response)) handle.setStatus(RPI_NETBOOT_NEXT_STEP_DROP);
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("buffer4_send").arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("buffer4_send").arg("unknown error");
    }
    return 0;
}

// Whether another library follows this one in hooks-libraries. Kea builds the list before it
// loads the first library (HooksManager::loadLibraries), so load() sees the whole of it. When in
// doubt, true: holding later is always correct, only dearer.
bool librariesFollow() {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void*>(&holdInBuffer4Send), &info) || !info.dli_fname) {
        return true;
    }
    const auto canonical = [](const std::string& path) {
        char buf[PATH_MAX];
        return realpath(path.c_str(), buf) ? std::string(buf) : path;
    };
    const std::string self = canonical(info.dli_fname);
    const auto names = isc::hooks::HooksManager::getLibraryNames();
    for (std::size_t i = names.size(); i-- > 0;) {
        if (canonical(names[i]) == self) return i + 1 < names.size();
    }
    return true;
}

}  // namespace

extern "C" {

int version() {
    return KEA_HOOKS_VERSION;
}

// NetbootLogic is immutable (its option 66 cache has a mutex), RomHolds serialises its decisions
// with a mutex, StatsMgr and the lease manager are thread safe, and per-packet state lives in the
// packet's own callout context. The ThreadSanitizer test (tests/hook/tsan) checks the first two.
int multi_threading_compatible() {
    return 1;
}

int load(LibraryHandle& handle) {
    try {
        // As Kea's own hooks check it (isc::process::Daemon, Kea 2.2 to 3.0): the callouts
        // below exist only in kea-dhcp4, and a DHCPv6 or agent process would load us silently.
        const std::string daemon = isc::process::Daemon::getProcName();
        if (daemon != "kea-dhcp4") {
            LOG_ERROR(logger, RPI_NETBOOT_WRONG_DAEMON).arg(daemon.empty() ? "?" : daemon);
            return 1;
        }
        auto logic =
            std::make_shared<const NetbootLogic>(HookConfig::parse(handle.getParameters()));
        const auto& cfg = logic->config();
        auto holds = std::make_shared<RomHolds>(
            HoldLimits{cfg.rom_hold_lifetime, cfg.rom_hold_max_unconfirmed});
        std::unique_ptr<QueuedSink> events;
        if (cfg.events.kind != SinkSpec::Kind::None) {
            std::string error;
            auto sink = makeSink(cfg.events, error);
            if (!sink) throw ConfigError("parameter 'events': " + error);
            events = std::make_unique<QueuedSink>(std::move(sink), kEventQueue);
        }
        stats::reset();
        g_hold_in_buffer4_send = logic->config().hold_rom_offers && librariesFollow();
        if (g_hold_in_buffer4_send) handle.registerCallout("buffer4_send", holdInBuffer4Send);
        LOG_INFO(logger, RPI_NETBOOT_LOAD_OK)
            .arg(logic->config().summary() +
                 (g_hold_in_buffer4_send ? " (ROM holds in buffer4_send: a library follows)" : "") +
                 (events ? " events to " + events->describe() : std::string()));
        if (logic->config().menu_text.find(kDefaultMenuText) == std::string::npos) {
            LOG_WARN(logger, RPI_NETBOOT_MENU_TEXT_NOT_BOOTABLE).arg(logic->config().menu_text);
        }
        handle.registerCommandCallout(kListCommand, listCommand);
        handle.registerCommandCallout(kGetCommand, getCommand);
        g_os = std::make_shared<const OsPhase>(*logic);
        g_registry = std::make_shared<PiRegistry>();
        g_logic = std::move(logic);
        g_holds = std::move(holds);
        g_events = std::move(events);
        return 0;
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_LOAD_FAILED).arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_LOAD_FAILED).arg("unknown error");
    }
    return 1;
}

int unload() {
    try {
        g_os.reset();
        g_registry.reset();
        g_logic.reset();
        g_events.reset();  // writes out what is queued, then stops its thread
        if (g_holds) g_holds->removeStats();
        g_holds.reset();
        stats::remove();
        LOG_INFO(logger, RPI_NETBOOT_UNLOAD);
    } catch (...) {
        // Nothing useful to do while unloading.
    }
    return 0;
}

int pkt4_receive(CalloutHandle& handle) {
    try {
        if (settledElsewhere(handle)) return 0;
        const auto logic = g_logic;
        if (!logic) return 0;
        Pkt4Ptr query;
        handle.getArgument("query4", query);
        if (!query) return 0;
        // The reason is logged at debug level only (but for a malformed query, which is always
        // explained): not built per packet when that level is off.
        const ReceiveResult result = logic->onReceive(
            *query, +[] { return logger.isDebugEnabled(kDebugPacket); });
        // Only a Pi's reply is patched, so only a Pi's decision travels to pkt4_send: the other
        // queries (most of them) cost Kea no callout context.
        if (result.decision.is_pi) {
            handle.setContext(kContextKey, result.decision);
            if (g_events) {
                if (const auto step = receivedStep(query->getType())) {
                    emitEvent(*step, result.decision, query->getCiaddr().toUint32());
                }
            }
        } else if (result.outcome == ReceiveOutcome::NotPxe) {
            receiveOs(handle, *query);
        }
        logReceive(*query, result);
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("pkt4_receive").arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("pkt4_receive").arg("unknown error");
    }
    return 0;
}

int pkt4_send(CalloutHandle& handle) {
    try {
        if (settledElsewhere(handle)) return 0;
        const auto logic = g_logic;
        if (!logic) return 0;
        Pkt4Ptr query, response;
        handle.getArgument("query4", query);
        if (!query || !logic->taggedPi(*query)) return 0;
        if (query->inClass(kClassOs)) {
            sendOs(handle, *query);
            return 0;
        }
        PiDecision decision;
        try {
            handle.getContext(kContextKey, decision);
        } catch (const isc::hooks::NoSuchCalloutContext&) {
            // Tagged but not by pkt4_receive: the hook was loaded in between, or the
            // configuration itself assigns our class name.
            return 0;
        }
        handle.getArgument("response4", response);
        if (!response) return 0;
        const bool held = logic->needsRomHold(decision, *response);
        if (held) {
            if (g_hold_in_buffer4_send) {
                response->addClass(kHoldMark);
            } else if (const auto holds = g_holds; holds && !hold(*holds, decision, *response)) {
                handle.setStatus(RPI_NETBOOT_NEXT_STEP_DROP);
                return 0;
            }
        }
        if (g_events) {
            if (const auto step = sentStep(response->getType(), held)) {
                emitEvent(*step, decision, response->getYiaddr().toUint32());
            }
        }
        const SendResult sent = logic->onSend(decision, *response);
        if (!sent.patched) return 0;
        stats::add(stats::kAnswered);
        if (!sent.tftp_server) {
            LOG_WARN(logger, RPI_NETBOOT_NO_TFTP_SERVER)
                .arg(query->getLabel())
                .arg(response->getName())
                .arg(decision.mac.str());
        }
        LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_REPLY_PATCHED)
            .arg(query->getLabel())
            .arg(response->getName())
            .arg(decision.mac.str())
            .arg(menuTextOf(*sent.option43))
            .arg(sent.tftp_server ? ipv4ToString(*sent.tftp_server) : std::string("(none)"));
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("pkt4_send").arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("pkt4_send").arg("unknown error");
    }
    return 0;
}

int dhcp4_srv_configured(CalloutHandle&) {
    try {
        if (const auto registry = g_registry) ensureRegistryLoaded(*registry);
    } catch (...) {
        // ensureRegistryLoaded logs its own failures; a callout never throws.
    }
    return 0;
}

int lease4_select(CalloutHandle& handle) {
    try {
        if (settledElsewhere(handle)) return 0;
        bool fake = true;
        handle.getArgument("fake_allocation", fake);
        recordLease(handle, fake);
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("lease4_select").arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("lease4_select").arg("unknown error");
    }
    return 0;
}

int lease4_renew(CalloutHandle& handle) {
    try {
        if (settledElsewhere(handle)) return 0;
        recordLease(handle, false);
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("lease4_renew").arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("lease4_renew").arg("unknown error");
    }
    return 0;
}

// A lease that ends takes its Pi out of the index (the registry is bounded by the leases).
int forgetLease(CalloutHandle& handle, const char* point) {
    try {
        const auto registry = g_registry;
        if (!registry) return 0;
        isc::dhcp::Lease4Ptr lease;
        handle.getArgument("lease4", lease);
        if (lease) registry->remove(macOfHw(lease->hwaddr_), lease->addr_.toUint32());
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg(point).arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg(point).arg("unknown error");
    }
    return 0;
}

int lease4_expire(CalloutHandle& handle) {
    return forgetLease(handle, "lease4_expire");
}

int lease4_release(CalloutHandle& handle) {
    return forgetLease(handle, "lease4_release");
}

}  // extern "C"
