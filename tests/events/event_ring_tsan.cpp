// Built with -fsanitize=thread: the shared event queue (event_ring.h, event_queue.h) over the
// hook's record (hook_event_writer.h) driven as Kea 2.4+ drives callouts, by several packet
// threads at once, while the writer thread drains and renders; then the same over BootEvent
// (rpi-tftpd's and rpi-netconsoled's records: strings moved in and out of the ring).
// ThreadSanitizer fails the test on any data race; the checks at the end hold the writer to its
// counts: accepted + dropped = pushed, every accepted record written exactly once.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hook_event_writer.h"
#include "rpinetboot/event_queue.h"

using namespace rpinetboot;
using namespace rpinetboot::kea;

namespace {

constexpr std::uint32_t kThreads = 4;
constexpr std::uint32_t kEach = 20000;

int failures = 0;
void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", what);
        ++failures;
    }
}

class CountingSink : public EventSink {
  public:
    explicit CountingSink(std::vector<std::uint8_t>& seen) : seen_(seen) {}
    void emit(const BootEvent& event) override {
        const auto n = std::stoul(event.serial);
        if (n < seen_.size()) ++seen_[n];
    }
    std::string describe() const override { return "counting"; }

  private:
    std::vector<std::uint8_t>& seen_;  // written by the writer thread only
};

// Pushes kThreads * kEach records (makeRecord(n)) from kThreads threads into `Queue` and checks
// the counts; `render` turns a record back into an event whose serial is n.
template <typename Record, typename Make, typename Render>
void runCase(const char* name, Make makeRecord, Render render) {
    std::vector<std::uint8_t> seen(kThreads * kEach, 0);
    std::atomic<std::uint64_t> refused{0}, logs{0};
    std::uint64_t accepted = 0, dropped = 0;
    {
        // Small enough to overflow now and then: the drop path races the writer too.
        EventQueue<Record> writer(std::make_unique<CountingSink>(seen), 256, render,
                                  std::chrono::milliseconds(1));
        std::vector<std::thread> threads;
        for (std::uint32_t t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (std::uint32_t i = 0; i < kEach; ++i) {
                    if (!writer.push(makeRecord(t * kEach + i))) {
                        refused.fetch_add(1);
                        if (writer.dropLogDue(std::chrono::milliseconds(50))) logs.fetch_add(1);
                    }
                    if (i % 1000 == 0) std::this_thread::yield();
                }
            });
        }
        for (auto& t : threads) t.join();
        check(writer.flush(std::chrono::seconds(60)), "flush within 60 s");
        accepted = writer.accepted();
        dropped = writer.dropped();
        check(writer.written() == accepted, "written == accepted");
    }
    check(accepted + dropped == kThreads * kEach, "accepted + dropped == pushed");
    check(dropped == refused.load(), "dropped == refusals seen by producers");
    std::uint64_t once = 0, twice = 0;
    for (const auto s : seen) {
        once += s == 1;
        twice += s > 1;
    }
    check(once == accepted, "every accepted record written");
    check(twice == 0, "no record written twice");
    check(dropped == 0 || logs.load() >= 1, "a drop was logged");
    std::printf("%s: pushed %u, accepted %llu, dropped %llu, drop logs %llu\n", name,
                kThreads * kEach, static_cast<unsigned long long>(accepted),
                static_cast<unsigned long long>(dropped),
                static_cast<unsigned long long>(logs.load()));
}

}  // namespace

int main() {
    runCase<HookEvent>(
        "hook record",
        [](std::uint32_t n) {
            HookEvent r;
            r.serial = n;
            r.hasSerial = true;
            return r;
        },
        [](const HookEvent& r, BootEvent& out) {
            out.step = r.step;
            out.serial = std::to_string(r.serial);
        });
    runCase<BootEvent>(
        "BootEvent",
        [](std::uint32_t n) {
            BootEvent e;
            e.step = BootStep::TftpFile;
            // Longer than the short-string buffer: heap buffers travel through the ring.
            e.file = "1a2b3c04/a-file-name-longer-than-sixteen-bytes.dtb";
            e.serial = std::to_string(n);
            return e;
        },
        [](BootEvent& record, BootEvent& out) { out = std::move(record); });
    return failures == 0 ? 0 : 1;
}
