#include "event_callouts.h"

#include <stats/stats_mgr.h>

#include <chrono>

#include "hook_event_writer.h"
#include "hook_events.h"
#include "hook_log.h"

namespace rpinetboot::kea::events {

namespace {

// Room for a burst of a few hundred booting Pis, four events each; past it events are dropped.
constexpr std::size_t kRingSize = 4096;
// A flood of drops logs one line per this interval (the statistic counts every one).
constexpr std::chrono::seconds kDropLogInterval(10);
// The OS-phase query's record, for its reply (pkt4_send).
const char* const kOsEventKey = "rpi-netboot-os-event";

// Set by load(), cleared by unload(); Kea runs no callout concurrently with either.
std::unique_ptr<HookEventWriter> gWriter;
std::unique_ptr<HookEventWriter> gPending;

void push(const HookEvent& record) {
    HookEventWriter* writer = gWriter.get();
    if (writer->push(record)) return;
    // Full: the writer is behind. Counted, logged once per interval; Kea's packet goes on.
    isc::stats::StatsMgr::instance().addValue(kDroppedStat, static_cast<std::int64_t>(1));
    if (writer->dropLogDue(kDropLogInterval)) {
        LOG_WARN(logger, RPI_NETBOOT_EVENTS_DROPPED)
            .arg(writer->dropped())
            .arg(writer->capacity())
            .arg(writer->describe());
    }
}

}  // namespace

void start(const HookConfig& config, std::shared_ptr<const NetbootLogic> logic) {
    gPending.reset();
    if (config.events.kind == SinkSpec::Kind::None) return;
    std::string error;
    auto sink = makeSink(config.events, error);
    if (!sink) throw ConfigError("parameter 'events': " + error);
    gPending = std::make_unique<HookEventWriter>(
        std::move(sink), kRingSize, [logic = std::move(logic)](const HookEvent& r, BootEvent& out) {
            renderEvent(r, *logic, out);
        });
}

void commit() {
    gWriter = std::move(gPending);
    if (gWriter) {
        isc::stats::StatsMgr::instance().setValue(kDroppedStat, static_cast<std::int64_t>(0));
    }
}

void stop() {
    gPending.reset();
    if (gWriter) {
        gWriter.reset();
        isc::stats::StatsMgr::instance().del(kDroppedStat);
    }
}

bool enabled() {
    return gWriter != nullptr;
}

std::string describe() {
    const HookEventWriter* w = gWriter ? gWriter.get() : gPending.get();
    return w ? w->describe() : std::string();
}

void received(const isc::dhcp::Pkt4& query, const PiDecision& decision) {
    if (!gWriter) return;
    if (const auto step = receivedStep(query.getType())) {
        push(dhcpEvent(*step, decision, query.getCiaddr().toUint32()));
    }
}

void sent(const isc::dhcp::Pkt4& response, const PiDecision& decision, bool held) {
    if (!gWriter) return;
    if (const auto step = sentStep(response.getType(), held)) {
        push(dhcpEvent(*step, decision, response.getYiaddr().toUint32()));
    }
}

void refused(const isc::dhcp::Pkt4& query, const PiDecision& decision) {
    if (!gWriter) return;
    if (const auto step = receivedStep(query.getType())) push(refusedEvent(*step, decision));
}

void osReceived(isc::hooks::CalloutHandle& handle, const isc::dhcp::Pkt4& query,
                const PiRecord& known) {
    if (!gWriter) return;
    if (const auto step = receivedStep(query.getType())) {
        const HookEvent e = osEvent(*step, known, query.getCiaddr().toUint32());
        push(e);
        handle.setContext(kOsEventKey, e);
    }
}

void osSent(isc::hooks::CalloutHandle& handle) {
    if (!gWriter) return;
    HookEvent e;
    try {
        handle.getContext(kOsEventKey, e);
    } catch (const isc::hooks::NoSuchCalloutContext&) {
        return;  // not a query osReceived() saw (events were turned on in between)
    }
    isc::dhcp::Pkt4Ptr response;
    handle.getArgument("response4", response);
    if (!response) return;
    if (const auto step = sentStep(response->getType(), false)) {
        e.step = *step;
        e.timestampUs = nowMicros();
        e.address = response->getYiaddr().toUint32();
        push(e);
    }
}

}  // namespace rpinetboot::kea::events
