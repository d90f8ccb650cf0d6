// The hook's event writer (hook_event_writer.h): what a callout pushes reaches the sink in
// order, rendered on the writer thread; a full ring drops and counts and never waits; the drops
// are logged at most once per interval; what is queued is written before the writer stops.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hook_event_writer.h"
#include "rpinetboot/boot_event_parse.h"

using namespace rpinetboot;
using namespace rpinetboot::kea;
using namespace std::chrono_literals;

namespace {

struct Received {
    std::mutex mutex;
    std::vector<BootEvent> events;
    std::vector<std::size_t> batches;
    std::thread::id thread;
};

// Records what it is given (the test keeps the record: the writer owns the sink).
class RecordingSink : public EventSink {
  public:
    explicit RecordingSink(Received& into) : into_(into) {}
    void emit(const BootEvent& event) override {
        std::lock_guard<std::mutex> lock(into_.mutex);
        into_.events.push_back(event);
    }
    void emitBatch(const BootEvent* events, std::size_t count) override {
        {
            std::lock_guard<std::mutex> lock(into_.mutex);
            into_.batches.push_back(count);
            into_.thread = std::this_thread::get_id();
        }
        EventSink::emitBatch(events, count);
    }
    std::string describe() const override { return "recording"; }

  private:
    Received& into_;
};

// The record's number travels in `serial`; rendered as its step and serial.
void render(const HookEvent& r, BootEvent& out) {
    out.step = r.step;
    out.timestampUs = r.timestampUs;
    out.serial = std::to_string(r.serial);
}

HookEvent numbered(std::uint32_t n) {
    HookEvent r;
    r.serial = n;
    r.hasSerial = true;
    r.timestampUs = 1000 + n;
    r.step = BootStep::Request;
    return r;
}

}  // namespace

TEST_CASE("writer: records reach the sink in order, rendered on the writer thread") {
    Received got;
    {
        HookEventWriter writer(std::make_unique<RecordingSink>(got), 64, render, 1ms);
        for (std::uint32_t i = 0; i < 50; ++i) REQUIRE(writer.push(numbered(i)));
        REQUIRE(writer.flush(10s));
        CHECK(writer.accepted() == 50);
        CHECK(writer.written() == 50);
        CHECK(writer.dropped() == 0);
        CHECK(writer.describe() == "queue(64) -> recording");
    }
    REQUIRE(got.events.size() == 50);
    for (std::uint32_t i = 0; i < 50; ++i) {
        CHECK(got.events[i].serial == std::to_string(i));
        CHECK(got.events[i].timestampUs == 1000 + i);
    }
    CHECK(got.thread != std::this_thread::get_id());
    for (const auto n : got.batches) CHECK(n <= HookEventWriter::kMaxBatch);
}

TEST_CASE("writer: a full ring drops and counts, never waits, and the rest is written") {
    Received got;
    HookEventWriter writer(std::make_unique<RecordingSink>(got), 16, render, 1ms);
    writer.pauseDrain(true);
    for (std::uint32_t i = 0; i < 16; ++i) REQUIRE(writer.push(numbered(i)));
    const auto before = std::chrono::steady_clock::now();
    for (std::uint32_t i = 16; i < 40; ++i) CHECK_FALSE(writer.push(numbered(i)));
    CHECK(std::chrono::steady_clock::now() - before < 2s);
    CHECK(writer.dropped() == 24);
    CHECK(writer.accepted() == 16);
    writer.pauseDrain(false);
    REQUIRE(writer.flush(10s));
    std::lock_guard<std::mutex> lock(got.mutex);
    REQUIRE(got.events.size() == 16);
    CHECK(got.events.front().serial == "0");
    CHECK(got.events.back().serial == "15");
}

TEST_CASE("writer: what is queued is written before it stops") {
    Received got;
    {
        // A long poll interval: the records are still queued when the writer is destroyed.
        HookEventWriter writer(std::make_unique<RecordingSink>(got), 1024, render, 200ms);
        for (std::uint32_t i = 0; i < 1000; ++i) REQUIRE(writer.push(numbered(i)));
    }
    REQUIRE(got.events.size() == 1000);
    CHECK(got.events.back().serial == "999");
    // More than kMaxBatch queued: written in several batches.
    CHECK(got.batches.size() >= 4);
}

TEST_CASE("writer: drops are logged at most once per interval") {
    Received got;
    HookEventWriter writer(std::make_unique<RecordingSink>(got), 2, render);
    CHECK(writer.dropLogDue(1h));
    CHECK_FALSE(writer.dropLogDue(1h));
    CHECK_FALSE(writer.dropLogDue(1h));
    std::this_thread::sleep_for(5ms);
    CHECK(writer.dropLogDue(1ms));
    CHECK_FALSE(writer.dropLogDue(1h));
}

TEST_CASE("writer: concurrent producers, accepted ones all written, drops add up") {
    Received got;
    constexpr std::uint32_t kThreads = 4, kEach = 5000;
    HookEventWriter writer(std::make_unique<RecordingSink>(got), 512, render, 1ms);
    std::vector<std::thread> threads;
    std::atomic<std::uint64_t> refused{0};
    for (std::uint32_t t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (std::uint32_t i = 0; i < kEach; ++i) {
                if (!writer.push(numbered(t * kEach + i))) refused.fetch_add(1);
            }
        });
    }
    for (auto& t : threads) t.join();
    REQUIRE(writer.flush(20s));
    CHECK(writer.accepted() + writer.dropped() == kThreads * kEach);
    CHECK(writer.dropped() == refused.load());
    std::lock_guard<std::mutex> lock(got.mutex);
    CHECK(got.events.size() == writer.accepted());
    std::vector<bool> seen(kThreads * kEach, false);
    bool once = true;
    for (const auto& e : got.events) {
        const auto n = std::stoul(e.serial);
        once = once && !seen[n];
        seen[n] = true;
    }
    CHECK(once);
}

TEST_CASE("writer: JSON lines in batches, each line a whole event") {
    char path[] = "/tmp/rpinb-writer-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    {
        HookEventWriter writer(std::make_unique<JsonLinesSink>(fd, true, "test"), 1024, render,
                               20ms);
        for (std::uint32_t i = 0; i < 600; ++i) REQUIRE(writer.push(numbered(i)));
        REQUIRE(writer.flush(10s));
        CHECK(writer.target().failures() == 0);
    }
    std::ifstream in(path);
    std::string line, error;
    std::uint32_t n = 0;
    while (std::getline(in, line)) {
        const auto e = eventFromJson(line, error);
        REQUIRE(e);
        CHECK(e->serial == std::to_string(n));
        CHECK(e->step == BootStep::Request);
        ++n;
    }
    CHECK(n == 600);
    ::unlink(path);
}
