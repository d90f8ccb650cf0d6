// The identity's callouts (docs/kea.md, "Identity"): the registry kept in the leases
// (lease4_expire, lease4_release, dhcp4_srv_configured), the OS phase and the record written
// into a Pi's lease in pkt4_receive/pkt4_send/buffer4_send (called from callouts.cpp), and the
// control commands. No lease4_select or lease4_renew: Kea would run them for every client. Thin,
// as callouts.cpp is: the logic is in pi_registry, os_phase, registry_store and
// registry_commands. No exception leaves a callout.
#include "identity_callouts.h"

#include <cc/command_interpreter.h>
#include <dhcpsrv/lease_mgr_factory.h>
#include <hooks/hooks.h>

#include <algorithm>
#include <ctime>
#include <exception>
#include <memory>
#include <mutex>

#include "callout_names.h"
#include "event_callouts.h"
#include "hook_log.h"
#include "kea_compat.h"
#include "os_phase.h"
#include "pi_registry.h"
#include "registry_commands.h"
#include "registry_store.h"
#include "release_keep.h"

using isc::dhcp::Pkt4Ptr;
using isc::hooks::CalloutHandle;

namespace rpinetboot::kea::identity {

namespace {

// Set by load(), cleared by unload(). The registry outlives reconfigurations only as the leases
// do: each load() starts empty and dhcp4_srv_configured (or the first query after it) refills it
// from the lease store. gOs refers to *gLogic. Kea runs no callout beside load() or unload(), so
// callouts use them through plain pointers: no reference count touched per packet.
std::shared_ptr<const NetbootLogic> gLogic;
std::shared_ptr<PiRegistry> gRegistry;
std::shared_ptr<const OsPhase> gOs;
std::unique_ptr<LeaseMisses> gMisses;
std::mutex gRegistryLoadMutex;
bool settledElsewhere(const CalloutHandle& handle) {
    const auto status = handle.getStatus();
    return status == CalloutHandle::NEXT_STEP_DROP || status == CalloutHandle::NEXT_STEP_SKIP;
}

template <typename T>
bool contextOf(CalloutHandle& handle, const std::string& key, T& out) {
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
    const std::lock_guard<std::mutex> lock(gRegistryLoadMutex);
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
    if (LeaseMisses* const misses = gMisses.get()) misses->forget(record.mac);
    if (!registry.put(record)) {
        LOG_WARN(logger, RPI_NETBOOT_REGISTRY_FULL).arg(registry.size()).arg(record.mac.str());
    }
}

// rpi-netboot-list and rpi-netboot-get over Kea's control channel.
int commandCallout(CalloutHandle& handle, bool list) {
    isc::data::ConstElementPtr answer;
    try {
        isc::data::ConstElementPtr command, arguments;
        handle.getArgument("command", command);
        isc::config::parseCommand(arguments, command);
        const auto registry = gRegistry;
        if (!registry) {
            answer = isc::config::createAnswer(isc::config::CONTROL_RESULT_ERROR,
                                               "rpi-netboot hook not loaded");
        } else {
            ensureRegistryLoaded(*registry);
            // The lease store as it is now: it also holds the records an HA partner or another
            // server on a shared database wrote (registry_commands.h). Read per command (an
            // admin's, not a packet's cost); malformed records are skipped (logged at rebuilds).
            PiRegistry stored;
            if (isc::dhcp::LeaseMgrFactory::haveInstance()) rebuildRegistry(stored);
            answer =
                list ? listAnswer(*registry, &stored) : getAnswer(*registry, arguments, &stored);
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

}  // namespace

void load(isc::hooks::LibraryHandle& handle, std::shared_ptr<const NetbootLogic> logic) {
    handle.registerCommandCallout(kListCommand, listCommand);
    handle.registerCommandCallout(kGetCommand, getCommand);
    gOs = std::make_shared<const OsPhase>(*logic);
    gRegistry = std::make_shared<PiRegistry>();
    gMisses = std::make_unique<LeaseMisses>();
    gLogic = std::move(logic);
}

void unload() {
    gMisses.reset();
    gOs.reset();
    gRegistry.reset();
    gLogic.reset();
}

namespace {

void logRecorded(const isc::dhcp::Pkt4& response, const PiRecord& record) {
    LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_RECORDED)
        .arg(response.getLabel())
        .arg(record.mac.str())
        .arg(response.getYiaddr().toText())
        .arg(phaseName(record.phase));
}

// `record` when its lease must be written (recordWriteDue against the registry's `previous`);
// otherwise the registry alone takes it (its last-seen) and nothing is due.
std::optional<PiRecord> dueOrIndexed(PiRegistry& registry, const std::optional<PiRecord>& previous,
                                     const PiRecord& record) {
    if (recordWriteDue(previous, record)) return record;
    putRecord(registry, record);
    return std::nullopt;
}

// The boot-phase record of the Pi `d` answered at the reply's address (recordHeld's and
// bootAckRecord's): due for its lease, or taken by the registry alone (dueOrIndexed).
std::optional<PiRecord> bootRecordDue(PiRegistry& registry, const PiDecision& d,
                                      const isc::dhcp::Pkt4& response) {
    const auto previous = registry.byMac(d.mac);
    return dueOrIndexed(registry, previous,
                        OsPhase::bootRecord(d, response.getYiaddr().toUint32(), previous, now()));
}

bool isAckWithAddress(const isc::dhcp::Pkt4& response) {
    return response.getType() == isc::dhcp::DHCPACK && !response.getYiaddr().isV4Zero();
}

}  // namespace

std::optional<PiRecord> recordForHold(const PiDecision& d, const isc::dhcp::Pkt4& response) {
    PiRegistry* const registry = gRegistry.get();
    if (!registry) return std::nullopt;
    return OsPhase::bootRecord(d, response.getYiaddr().toUint32(), registry->byMac(d.mac), now());
}

// A ROM or bootcode.bin OFFER just held as a lease: the Pi's record goes into that lease (the
// hold's own write carried it: `written`), or, when the hold wrote no lease (a hold renewed
// moments ago, Kea's own lease of this client), into the lease as it is when it lacks it.
void recordHeld(const PiDecision& d, const isc::dhcp::Pkt4& response, const PiRecord* written) {
    PiRegistry* const registry = gRegistry.get();
    if (!registry) return;
    if (written) {
        putRecord(*registry, *written);
        logRecorded(response, *written);
        return;
    }
    if (const auto due = bootRecordDue(*registry, d, response)) writeRecord(*due, response);
}

std::optional<PiRecord> bootAckRecord(const PiDecision& d, const isc::dhcp::Pkt4& response) {
    PiRegistry* const registry = gRegistry.get();
    if (!registry || !isAckWithAddress(response)) return std::nullopt;
    return bootRecordDue(*registry, d, response);
}

void writeRecord(const PiRecord& record, const isc::dhcp::Pkt4& response,
                 isc::dhcp::Lease4Ptr* written) {
    PiRegistry* const registry = gRegistry.get();
    if (!registry || !isc::dhcp::LeaseMgrFactory::haveInstance()) return;
    switch (writeRecordToLease(record, written)) {
        case RecordWrite::Written:
            putRecord(*registry, record);
            logRecorded(response, record);
            break;
        case RecordWrite::Unchanged:
            putRecord(*registry, record);
            break;
        case RecordWrite::NoLease:
        case RecordWrite::Lost:
            // Not the Pi's lease (any more): the registry keeps what it had, so the Pi's next
            // answer tries again.
            break;
    }
}

// pkt4_receive, for a query that is not a Pi's PXE query: the OS phase of a Pi known by MAC.
void receiveOs(CalloutHandle& handle, isc::dhcp::Pkt4& query) {
    PiRegistry* const registry = gRegistry.get();
    const OsPhase* const os = gOs.get();
    const NetbootLogic* const logic = gLogic.get();
    if (!registry || !os || !logic) return;
    if (!registry->loaded()) ensureRegistryLoaded(*registry);
    const MacAddress mac = macOfHw(query.getHWAddr());
    // Most queries stop here: a MAC the index has no bit for and without a Pi's OUI is no Pi's
    // (no lock taken, no lease-store query).
    if (!os->mayBeKnown(*registry, mac)) return;
    auto known = registry->byMac(mac);
    // Not in the index but maybe in the lease store (a lease an HA partner wrote): asked only
    // for Pi MACs, so other clients cost no lease lookup, and at most once per LeaseMisses ttl
    // for a MAC the store has no record of.
    if (!known && logic->config().classifier.ouis.contains(mac) &&
        isc::dhcp::LeaseMgrFactory::haveInstance()) {
        LeaseMisses* const misses = gMisses.get();
        const std::int64_t t = now();
        if (!misses || !misses->recent(mac, t)) {
            known = recordFromLeases(mac);
            if (known) {
                putRecord(*registry, *known);
            } else if (misses) {
                misses->add(mac, t);
            }
        }
    }
    if (!known) return;
    os->classify(query, *known);
    handle.setContext(kOsContextKey, *known);
    events::osReceived(handle, query, *known);
    LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_OS_PHASE)
        .arg(query.getLabel())
        .arg(mac.str())
        .arg(known->serial ? known->serial->str() : std::string("(no serial)"))
        .arg(std::string(className(known->model)));
}

// pkt4_send for an OS-phase reply: options 12 and 17, and for an ACK the record due.
bool sendOs(CalloutHandle& handle, isc::dhcp::Pkt4& query, isc::dhcp::Pkt4& response,
            std::optional<PiRecord>& due) {
    if (!query.inClass(kClassOs)) return false;
    PiRegistry* const registry = gRegistry.get();
    const OsPhase* const os = gOs.get();
    if (!os || !registry) return true;
    PiRecord known;
    if (!contextOf(handle, kOsContextKey, known)) return true;
    const OsSendResult sent = os->onSend(known, query, response);
    if (isAckWithAddress(response)) {
        // The names as sent (with {tftp-server} from the reply's option 54 when configured so).
        PiRecord record = os->osRecord(known, response.getYiaddr().toUint32(), now());
        if (sent.hostname) record.hostname = *sent.hostname;
        if (sent.rootPath) record.rootPath = *sent.rootPath;
        due = dueOrIndexed(*registry, registry->byMac(record.mac), record);
    }
    LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_OS_IDENTITY)
        .arg(query.getLabel())
        .arg(response.getName())
        .arg(known.mac.str())
        .arg(sent.hostname.value_or(""))
        .arg(sent.rootPath.value_or(""));
    return true;
}

}  // namespace rpinetboot::kea::identity

using namespace rpinetboot::kea;
using namespace rpinetboot::kea::identity;

extern "C" {

int dhcp4_srv_configured(CalloutHandle&) {
    try {
        if (const auto registry = gRegistry) ensureRegistryLoaded(*registry);
    } catch (...) {
        // ensureRegistryLoaded logs its own failures; a callout never throws.
    }
    return 0;
}

// A lease that ends takes its Pi out of the index (the registry is bounded by the leases).
int forgetLease(CalloutHandle& handle, const char* point) {
    try {
        PiRegistry* const registry = gRegistry.get();
        if (!registry) return 0;
        isc::dhcp::Lease4Ptr lease;
        handle.getArgument(kLeaseArg, lease);
        if (!lease) return 0;
        const rpinetboot::MacAddress mac = macOfHw(lease->hwaddr_);
        if (registry->mayKnow(mac)) registry->remove(mac, lease->addr_.toUint32());
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

// A Pi's DHCPRELEASE of the lease holding its identity is skipped (release_keep.h): the lease
// stays until it expires. Other releases end the lease as usual, and its Pi's index entry.
int lease4_release(CalloutHandle& handle) {
    try {
        if (settledElsewhere(handle)) return 0;
        const auto registry = gRegistry;
        const auto logic = gLogic;
        if (!registry || !logic) return 0;
        isc::dhcp::Lease4Ptr lease;
        handle.getArgument(kLeaseArg, lease);
        if (!lease) return 0;
        ensureRegistryLoaded(*registry);
        const rpinetboot::MacAddress mac = macOfHw(lease->hwaddr_);
        const ReleaseDecision decision =
            decideRelease(logic->config().identity.keepPiLeasesOnRelease, lease->getContext(), mac,
                          lease->addr_.toUint32(), registry->byMac(mac));
        if (decision.keep) {
            handle.setStatus(CalloutHandle::NEXT_STEP_SKIP);
            Pkt4Ptr query;
            handle.getArgument(kQueryArg, query);
            LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_RELEASE_KEPT)
                .arg(query ? query->getLabel() : std::string("(no query)"))
                .arg(lease->addr_.toText())
                .arg(decision.record->serial ? decision.record->serial->str() : mac.str());
            return 0;
        }
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("lease4_release").arg(e.what());
        return 0;
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("lease4_release").arg("unknown error");
        return 0;
    }
    return forgetLease(handle, "lease4_release");
}

}  // extern "C"
