// Test tool: emits one boot event through the sink named by --events (as the daemons parse it),
// optionally behind the bounded queue, and prints the sink's description.
// Usage: boot_event_emit SPEC [--queued] [FIELD=VALUE...]  (FIELD: step serial mac address model
// file bytes duration_us outcome error text source)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "rpinetboot/event_sink.h"

using namespace rpinetboot;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: boot_event_emit SPEC [--queued] [FIELD=VALUE...]\n");
        return 2;
    }
    SinkSpec spec;
    std::string error;
    if (!parseSinkSpec(argv[1], spec, error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 2;
    }
    BootEvent e;
    e.timestampUs = nowMicros();
    e.source = "boot_event_emit";
    bool queued = false;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--queued") {
            queued = true;
            continue;
        }
        const auto eq = arg.find('=');
        if (eq == std::string::npos) {
            std::fprintf(stderr, "bad argument %s\n", arg.c_str());
            return 2;
        }
        const std::string k = arg.substr(0, eq), v = arg.substr(eq + 1);
        if (k == "step") {
            auto s = parseStep(v);
            if (!s) return 2;
            e.step = *s;
        } else if (k == "serial") {
            e.serial = v;
        } else if (k == "mac") {
            e.mac = v;
        } else if (k == "address") {
            e.address = v;
        } else if (k == "model") {
            e.model = v;
        } else if (k == "file") {
            e.file = v;
        } else if (k == "bytes") {
            e.bytes = std::strtoull(v.c_str(), nullptr, 10);
        } else if (k == "duration_us") {
            e.durationUs = std::strtoull(v.c_str(), nullptr, 10);
        } else if (k == "outcome") {
            e.outcome = v == "ok" ? Outcome::Ok : v == "failed" ? Outcome::Failed : Outcome::None;
        } else if (k == "error") {
            e.error = v;
        } else if (k == "text") {
            e.text = v;
        } else if (k == "source") {
            e.source = v;
        } else {
            std::fprintf(stderr, "unknown field %s\n", k.c_str());
            return 2;
        }
    }
    auto sink = makeSink(spec, error);
    if (!sink) {
        std::fprintf(stderr, "%s\n", error.empty() ? "no sink" : error.c_str());
        return 1;
    }
    std::uint64_t failures = 0;
    if (queued) {
        EventSink* target = sink.get();
        QueuedSink queue(std::move(sink), 16);
        std::printf("%s\n", queue.describe().c_str());
        queue.emit(e);
        if (!queue.flush(std::chrono::seconds(5))) return 1;
        failures = queue.dropped() + target->failures();
    } else {
        std::printf("%s\n", sink->describe().c_str());
        sink->emit(e);
        failures = sink->failures();
    }
    std::fflush(stdout);
    return failures == 0 ? 0 : 1;
}
