// Kea's entry points. Thin: parse parameters, hand packets to NetbootLogic, log and count.
// No exception may leave a callout: Kea would drop the packet (or worse, for load()).
// Another library's verdict stands: a packet an earlier callout dropped or skipped is not
// touched, and a ROM OFFER is held only once every library's pkt4_send has had its say: in our
// pkt4_send when no library follows ours, else in buffer4_send, which Kea calls only for a reply
// still to be sent (registered only then: Kea charges every reply for calling a hook point).
#include <dhcp/dhcp4.h>
#include <dhcp/pkt4.h>
#include <dlfcn.h>
#include <hooks/hooks.h>
#include <hooks/hooks_manager.h>
#include <process/daemon.h>

#include <climits>
#include <cstdlib>

#include <exception>
#include <memory>
#include <optional>

#include "callout_names.h"
#include "event_callouts.h"
#include "ha_stats_sync.h"
#include "hold_replication.h"
#include "hook_config.h"
#include "hook_log.h"
#include "hook_stats.h"
#include "identity_callouts.h"
#include "kea_compat.h"
#include "netboot_logic.h"
#include "registry_store.h"
#include "rom_hold.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"

using isc::dhcp::Pkt4Ptr;
using isc::hooks::CalloutHandle;
using isc::hooks::LibraryHandle;
using namespace rpinetboot;
using namespace rpinetboot::kea;

namespace {

// Set by load(), cleared by unload(); Kea runs no callout concurrently with either.
std::shared_ptr<const NetbootLogic> gLogic;
std::shared_ptr<RomHolds> gHolds;
// Kea's callout arguments, the callout contexts and the reply marks: callout_names.h.

// Set by load(): whether every ROM hold waits for buffer4_send (a library follows ours).
bool gHoldInBuffer4Send = false;
// Set by load(): hands holds to leases4_committed callouts (Kea's HA hook; hold_replication.h).
std::unique_ptr<HoldReplication> gReplication;

// A DROP or SKIP set by a library earlier in hooks-libraries: leave the packet alone.
bool settledElsewhere(const CalloutHandle& handle) {
    const auto status = handle.getStatus();
    return status == CalloutHandle::NEXT_STEP_DROP || status == CalloutHandle::NEXT_STEP_SKIP;
}

std::string menuTextOf(const Bytes& option43) {
    std::string error;
    const auto decoded = decodeOption43(option43, &error);
    return decoded && decoded->menuText ? *decoded->menuText : std::string("?");
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
            stats::add(stats::receivedByClass(r.decision.piClass));
            if (!r.explained) break;
            logger.debug(kDebugPacket, RPI_NETBOOT_CLASSIFIED)
                .arg(query.getLabel())
                .arg(mac.str())
                .arg(std::string(className(r.decision.piClass)))
                .arg(r.reason);
            break;
    }
}

// Returns false when the OFFER must be dropped. `out`: the result, when the hold was made.
bool hold(RomHolds& holds, const PiDecision& d, isc::dhcp::Pkt4& response,
          HoldResult* out = nullptr) {
    // Only for the log: Kea's address text is built when a message is.
    const auto addr = [&response] { return response.getYiaddr().toText(); };
    try {
        // The Pi's identity record goes out with the hold's own lease write (not a second read
        // and write of the lease after it). Copies of the leases only for an HA partner
        // (replicateHold), which only the buffer4_send path (`out`) serves.
        const std::optional<PiRecord> record = identity::recordForHold(d, response);
        const auto withRecord = [&record](const isc::dhcp::Lease4& lease) {
            return ContextEntry{&recordContextKey(), recordValueIfChanged(lease, *record)};
        };
        const HoldResult held =
            holds.holdRomOffer(response, d.piClass, out ? LeaseCopies::Make : LeaseCopies::Skip,
                               record ? LeaseDecorator(withRecord) : LeaseDecorator());
        if (out) *out = held;
        if (held.released) {
            stats::add(stats::kRomReleased, static_cast<std::int64_t>(held.released));
            LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_ROM_HOLDS_RELEASED)
                .arg(response.getLabel())
                .arg(held.subnet)
                .arg(held.unconfirmed)
                .arg(held.released);
        }
        if (held.capReached) {
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
                identity::recordHeld(d, response, held.decorated ? &*record : nullptr);
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
        // The lease database refused or is unreachable. An unheld OFFER could hand this address
        // to a second client (another server on the same database takes it), so the OFFER is
        // withheld like a lost race and the ROM asks again (docs/kea.md, "SQL lease backends").
        stats::add(stats::kRomConflict);
        LOG_ERROR(logger, RPI_NETBOOT_ROM_HOLD_FAILED)
            .arg(response.getLabel())
            .arg(addr())
            .arg(d.mac.str())
            .arg(e.what());
        return false;
    }
    return true;
}

// Returns false when Kea must not send the OFFER now: it waits for the HA partner (and is then
// sent by sendHeldOffer) or a library dropped it.
bool replicateHold(const HoldReplication& replication, const PiDecision& d, const Pkt4Ptr& response,
                   const HoldResult& held) {
    const OfferStep step = replication.replicate(response, held.lease, held.releasedLeases,
                                                 [response] { sendHeldOffer(response); });
    switch (step) {
        case OfferStep::SendNow:
            return true;
        case OfferStep::SendOnAck:
            stats::add(stats::kRomToPartner);
            LOG_DEBUG(logger, kDebugPacket, RPI_NETBOOT_HOLD_REPLICATION_WAIT)
                .arg(response->getLabel())
                .arg(response->getYiaddr().toText())
                .arg(d.mac.str());
            return false;
        case OfferStep::Drop:
            LOG_WARN(logger, RPI_NETBOOT_HOLD_REPLICATION_DROPPED)
                .arg(response->getLabel())
                .arg(response->getYiaddr().toText())
                .arg(d.mac.str());
            return false;
    }
    return true;
}

// An ACK's identity record (pkt4_send marked it kRecordMark) written into its lease, then that
// lease handed to the leases4_committed callouts as a hold is: the ACK leaves once an HA partner
// has the record (Kea's own leases4_committed sent the partner the lease before the record).
void writeRecordInBuffer4Send(CalloutHandle& handle, const Pkt4Ptr& response) {
    PiRecord record;
    handle.getContext(kRecordContextKey, record);
    isc::dhcp::Lease4Ptr written;
    identity::writeRecord(record, *response, &written);
    const HoldReplication* replication = gReplication.get();
    if (!written || !replication) return;
    const isc::dhcp::Lease4CollectionPtr leases(new isc::dhcp::Lease4Collection{written});
    const isc::dhcp::Lease4CollectionPtr none(new isc::dhcp::Lease4Collection);
    switch (
        replication->replicate(response, leases, none, [response] { sendHeldOffer(response); })) {
        case OfferStep::SendNow:
            break;
        case OfferStep::SendOnAck:
            handle.setStatus(RPI_NETBOOT_NEXT_STEP_DROP);  // sent when the partner has it
            break;
        case OfferStep::Drop:
            // The partner did not take the update: the ACK is withheld, as kea-dhcp4 withholds
            // one whose lease HA could not send. The Pi asks again; HA's lease sync gives the
            // partner the lease (record included) when it returns.
            handle.setStatus(RPI_NETBOOT_NEXT_STEP_DROP);
            LOG_WARN(logger, RPI_NETBOOT_HOLD_REPLICATION_DROPPED)
                .arg(response->getLabel())
                .arg(response->getYiaddr().toText())
                .arg(record.mac.str());
            break;
    }
}

// pkt4_send for an ACK whose lease must carry a new record (`due`): written at once, or, when
// an HA partner is to get it (a library has leases4_committed callouts), in buffer4_send.
void recordAck(CalloutHandle& handle, const Pkt4Ptr& response, const std::optional<PiRecord>& due) {
    if (!due) return;
    if (const HoldReplication* replication = gReplication.get();
        replication && replication->wanted()) {
        handle.setContext(kRecordContextKey, *due);
        response->addClass(kRecordMark);
        return;
    }
    identity::writeRecord(*due, *response);
}

// buffer4_send, registered by load() when another library is loaded: the ROM hold, for an OFFER
// every library let through pkt4_send (Kea does not call buffer4_send for a reply one dropped),
// then handed to that library's leases4_committed callouts (an HA partner's copy).
int holdInBuffer4Send(CalloutHandle& handle) {
    try {
        if (settledElsewhere(handle)) return 0;
        Pkt4Ptr response;
        handle.getArgument(kResponseArg, response);
        if (!response) return 0;
        if (response->inClass(kRecordMark)) {
            writeRecordInBuffer4Send(handle, response);
            return 0;
        }
        if (!response->inClass(kHoldMark)) return 0;
        const auto holds = gHolds;
        if (!holds) return 0;
        PiDecision decision;
        handle.getContext(kContextKey, decision);
        HoldResult held;
        if (!hold(*holds, decision, *response, &held)) {
            handle.setStatus(RPI_NETBOOT_NEXT_STEP_DROP);
        } else if (const HoldReplication* replication = gReplication.get();
                   replication && !replicateHold(*replication, decision, response, held)) {
            handle.setStatus(RPI_NETBOOT_NEXT_STEP_DROP);
        }
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
        auto holds =
            std::make_shared<RomHolds>(HoldLimits{cfg.romHoldLifetime, cfg.romHoldMaxUnconfirmed});
        // The boot events' writer (parameter "events"): installed below with the rest.
        events::start(cfg, logic);
        stats::reset();
        // Another library anywhere in hooks-libraries may be Kea's HA hook, whose partner must
        // get each hold before its OFFER leaves (hold_replication.h). Whether one has a
        // leases4_committed callout is known only once all are loaded: pkt4_send asks.
        const bool holdOn = logic->config().holdRomOffers;
        const bool others = isc::hooks::HooksManager::getLibraryNames().size() > 1;
        gHoldInBuffer4Send = holdOn && librariesFollow();
        // Identity records of ACKs wait there for an HA partner too (recordAck), holds or not.
        const bool buffer4Send = gHoldInBuffer4Send || others;
        if (buffer4Send) handle.registerCallout("buffer4_send", holdInBuffer4Send);
        gReplication = buffer4Send ? std::make_unique<HoldReplication>() : nullptr;
        const char* const where =
            gHoldInBuffer4Send ? " (ROM holds in buffer4_send: a library follows)"
            : buffer4Send ? " (buffer4_send registered: ROM holds wait for it when a library has "
                            "leases4_committed callouts, e.g. Kea's HA hook)"
                          : "";
        LOG_INFO(logger, RPI_NETBOOT_LOAD_OK)
            .arg(logic->config().summary() + where +
                 (cfg.events.kind != SinkSpec::Kind::None ? " events to " + events::describe()
                                                          : std::string()));
        if (logic->config().menuText.find(kDefaultMenuText) == std::string::npos) {
            LOG_WARN(logger, RPI_NETBOOT_MENU_TEXT_NOT_BOOTABLE).arg(logic->config().menuText);
        }
        identity::load(handle, logic);
        haStats::load(handle);  // Kea's HA lease sync leaves statistics to recount
        gLogic = std::move(logic);
        gHolds = std::move(holds);
        events::commit();
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
        haStats::unload();
        identity::unload();
        gLogic.reset();
        gReplication.reset();
        events::stop();  // writes out what is queued, then stops its thread
        if (gHolds) gHolds->removeStats();
        gHolds.reset();
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
        Pkt4Ptr query;
        handle.getArgument(kQueryArg, query);
        if (!query) return 0;
        // The early exit of most queries: without option 60 a query is no Pi's PXE query
        // (onReceive would say NotPxe, and log nothing), at most a known Pi's OS phase.
        if (query->options_.find(isc::dhcp::DHO_VENDOR_CLASS_IDENTIFIER) == query->options_.end()) {
            identity::receiveOs(handle, *query);
            return 0;
        }
        // Not a shared_ptr copy (two atomic operations per query): load() and unload() never
        // run beside a callout.
        const NetbootLogic* const logic = gLogic.get();
        if (!logic) return 0;
        // The reason is logged at debug level only (but for a malformed query, which is always
        // explained): not built per packet when that level is off.
        const ReceiveResult result = logic->onReceive(
            *query, +[] { return logger.isDebugEnabled(kDebugPacket); });
        // Only a Pi's reply is patched, so only a Pi's decision travels to pkt4_send: the other
        // queries (most of them) cost Kea no callout context.
        if (result.decision.isPi) {
            handle.setContext(kContextKey, result.decision);
            events::received(*query, result.decision);
        } else if (result.outcome == ReceiveOutcome::NotPxe) {
            identity::receiveOs(handle, *query);
        } else if (result.outcome == ReceiveOutcome::NotAllowed) {
            // A refused Pi gets no reply of ours: its event says why (README.md, "Boot events").
            events::refused(*query, result.decision);
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
        const NetbootLogic* const logic = gLogic.get();  // as in pkt4_receive
        if (!logic) return 0;
        Pkt4Ptr query, response;
        handle.getArgument(kQueryArg, query);
        if (!query || !logic->taggedPi(*query)) return 0;
        handle.getArgument(kResponseArg, response);
        if (!response) return 0;
        std::optional<PiRecord> due;
        if (identity::sendOs(handle, *query, *response, due)) {
            events::osSent(handle);
            recordAck(handle, response, due);
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
        const bool held = logic->needsRomHold(decision, *response);
        if (held) {
            const HoldReplication* replication = gReplication.get();
            if (gHoldInBuffer4Send || (replication && replication->wanted())) {
                response->addClass(kHoldMark);
            } else if (const auto holds = gHolds; holds && !hold(*holds, decision, *response)) {
                handle.setStatus(RPI_NETBOOT_NEXT_STEP_DROP);
                return 0;
            }
        }
        if (!held) recordAck(handle, response, identity::bootAckRecord(decision, *response));
        events::sent(*response, decision, held);
        const SendResult sent = logic->onSend(decision, *response, query.get());
        if (!sent.patched) return 0;
        stats::add(stats::kAnswered);
        if (!sent.tftpServer) {
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
            .arg(sent.tftpServer ? ipv4ToString(*sent.tftpServer) : std::string("(none)"));
    } catch (const std::exception& e) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("pkt4_send").arg(e.what());
    } catch (...) {
        LOG_ERROR(logger, RPI_NETBOOT_CALLOUT_ERROR).arg("pkt4_send").arg("unknown error");
    }
    return 0;
}

}  // extern "C"
