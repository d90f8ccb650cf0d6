// Instruction counts of the boot events' paths, one path per run, for bench/micro/events.py:
//   rpinetboot-bench-events MODE N
// runs N events through MODE; events.py runs it under callgrind with collection toggled on only
// inside the function that MODE measures (named below), so the count is that path's alone.
//   render         toJson of three events (the hook's DISCOVER, rpi-tftpd's TFTP_FILE, a
//                  NETCONSOLE line): measureRender
//   jsonlines      JsonLinesSink::emitBatch to /dev/null, 256 per batch: measureJsonLines
//   journal        the journal sink, one entry per event (needs a journald): measureJournal
//   tftpd-loop     what rpi-tftpd's event loop pays per transfer that ends: the TFTP_FILE event
//                  built and queued (Session::report): measureTftpdLoop
//   tftpd-writer   the same queue's writer thread, into a sink that discards: its thread function
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rpinetboot/boot_event.h"
#include "rpinetboot/event_sink.h"
#include "transfer_event.h"

using namespace rpinetboot;

namespace {

std::vector<BootEvent> samples() {
    BootEvent dhcp;
    dhcp.step = BootStep::Discover;
    dhcp.timestampUs = 1796497318163410;
    dhcp.source = "kea-hook";
    dhcp.serial = "1a2b3c04";
    dhcp.mac = "dc:a6:32:01:36:c2";
    dhcp.model = "pi4";
    BootEvent tftp = dhcp;
    tftp.step = BootStep::TftpFile;
    tftp.source = "rpi-tftpd";
    tftp.model.clear();
    tftp.address = "192.0.2.10";
    tftp.file = "1a2b3c04/start4.elf";
    tftp.bytes = 2250000;
    tftp.durationUs = 120500;
    tftp.outcome = Outcome::Ok;
    BootEvent line;
    line.step = BootStep::NetconsoleLine;
    line.timestampUs = 1796497318163410;
    line.source = "rpi-netconsoled";
    line.mac = "dc:a6:32:01:36:c2";
    line.address = "192.0.2.10";
    line.text = "Boot mode: NETWORK (02) order f24";
    return {dhcp, tftp, line};
}

// Discards, so that the writer's own cost is what is counted.
class NullSink : public EventSink {
  public:
    void emit(const BootEvent&) override {}
    void emitBatch(const BootEvent*, std::size_t) override {}
    std::string describe() const override { return "null"; }
};

__attribute__((noinline)) std::size_t measureRender(const std::vector<BootEvent>& events,
                                                    std::size_t n) {
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < n; ++i) bytes += toJson(events[i % events.size()]).size();
    return bytes;
}

__attribute__((noinline)) void measureJsonLines(JsonLinesSink& sink,
                                                const std::vector<BootEvent>& batch,
                                                std::size_t n) {
    for (std::size_t done = 0; done < n; done += batch.size()) {
        sink.emitBatch(batch.data(), batch.size());
    }
}

__attribute__((noinline)) void measureJournal(EventSink& sink, const std::vector<BootEvent>& events,
                                              std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) sink.emit(events[i % events.size()]);
}

// As Session::report: the event built from the request and the client's address, then queued.
__attribute__((noinline)) void measureTftpdLoop(QueuedSink& queue, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        auto e = tftpd::tftpFileEvent("1a2b3c04/start4.elf", "192.0.2.10");
        e.bytes = 2250000;
        e.durationUs = 120500;
        e.outcome = Outcome::Ok;
        e.error = std::string();
        e.text = std::string();
        queue.push(std::move(e));
    }
}

int usage() {
    std::fprintf(stderr,
                 "usage: rpinetboot-bench-events render|jsonlines|journal|tftpd-loop|tftpd-writer "
                 "N\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) return usage();
    const std::string mode = argv[1];
    const std::size_t n = std::strtoull(argv[2], nullptr, 10);
    if (n == 0) return usage();
    const auto events = samples();
    if (mode == "render") {
        std::printf("%zu bytes\n", measureRender(events, n));
    } else if (mode == "jsonlines") {
        std::string error;
        auto sink = JsonLinesSink::open("/dev/null", error);
        if (!sink) {
            std::fprintf(stderr, "%s\n", error.c_str());
            return 1;
        }
        std::vector<BootEvent> batch;
        for (std::size_t i = 0; i < 256; ++i) batch.push_back(events[i % events.size()]);
        measureJsonLines(*sink, batch, n);
        std::printf("failures %llu\n", static_cast<unsigned long long>(sink->failures()));
    } else if (mode == "journal") {
        if (!journalSupported() || !journalAvailable()) {
            std::fprintf(stderr, "no journal to write to\n");
            return 1;
        }
        auto sink = makeJournalSink();
        measureJournal(*sink, events, n);
        std::printf("failures %llu\n", static_cast<unsigned long long>(sink->failures()));
        if (sink->failures() != 0) return 1;
    } else if (mode == "tftpd-loop" || mode == "tftpd-writer") {
        // Room for every event: none is dropped, the writer sees them all.
        QueuedSink queue(std::make_unique<NullSink>(), n);
        measureTftpdLoop(queue, n);
        if (!queue.flush(std::chrono::seconds(60))) return 1;
        std::printf("accepted %llu dropped %llu\n",
                    static_cast<unsigned long long>(queue.accepted()),
                    static_cast<unsigned long long>(queue.dropped()));
        if (queue.dropped() != 0) return 1;
    } else {
        return usage();
    }
    return 0;
}
