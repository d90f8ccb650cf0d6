// The bounded queue in front of a sink: a full queue drops and counts, emit() never waits for
// the writer, and concurrent emitters lose nothing they were told was accepted.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "rpinetboot/event_sink.h"

using namespace rpinetboot;
using namespace std::chrono_literals;

namespace {

// Records what it is given; can be made to block inside emit() until released.
class RecordingSink : public EventSink {
  public:
    void emit(const BootEvent& event) override {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            entered_ = true;
            enteredCv_.notify_all();
            releaseCv_.wait(lock, [this] { return !blocked_; });
            events_.push_back(event);
        }
    }
    std::string describe() const override { return "recording"; }
    void block() {
        std::lock_guard<std::mutex> lock(mutex_);
        blocked_ = true;
    }
    void release() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            blocked_ = false;
        }
        releaseCv_.notify_all();
    }
    bool waitEntered(std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        return enteredCv_.wait_for(lock, timeout, [this] { return entered_; });
    }
    std::vector<BootEvent> events() {
        std::lock_guard<std::mutex> lock(mutex_);
        return events_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable enteredCv_, releaseCv_;
    bool entered_ = false;
    bool blocked_ = false;
    std::vector<BootEvent> events_;
};

BootEvent numbered(std::uint64_t n) {
    BootEvent e;
    e.step = BootStep::NetconsoleLine;
    e.bytes = n;
    return e;
}

}  // namespace

TEST_CASE("queued events reach the target in order", "[events][queue]") {
    auto target = std::make_unique<RecordingSink>();
    auto* recorder = target.get();
    QueuedSink queue(std::move(target), 16);
    CHECK(queue.describe() == "queue(16) -> recording");
    for (std::uint64_t i = 0; i < 10; ++i) queue.emit(numbered(i));
    REQUIRE(queue.flush(5s));
    const auto got = recorder->events();
    REQUIRE(got.size() == 10);
    for (std::uint64_t i = 0; i < 10; ++i) CHECK(*got[i].bytes == i);
    CHECK(queue.accepted() == 10);
    CHECK(queue.dropped() == 0);
    CHECK(queue.written() == 10);
}

TEST_CASE("a full queue drops and counts, and keeps the oldest", "[events][queue]") {
    auto target = std::make_unique<RecordingSink>();
    auto* recorder = target.get();
    QueuedSink queue(std::move(target), 4);
    queue.pauseDrain(true);
    for (std::uint64_t i = 0; i < 10; ++i) queue.emit(numbered(i));
    CHECK(queue.accepted() == 4);
    CHECK(queue.dropped() == 6);
    queue.pauseDrain(false);
    REQUIRE(queue.flush(5s));
    const auto got = recorder->events();
    REQUIRE(got.size() == 4);
    for (std::uint64_t i = 0; i < 4; ++i) CHECK(*got[i].bytes == i);
    // Room again once drained.
    queue.emit(numbered(99));
    REQUIRE(queue.flush(5s));
    CHECK(recorder->events().size() == 5);
    CHECK(queue.dropped() == 6);
}

TEST_CASE("push moves the event in and says whether it was taken", "[events][queue]") {
    auto target = std::make_unique<RecordingSink>();
    auto* recorder = target.get();
    QueuedSink queue(std::move(target), 2);
    queue.pauseDrain(true);
    BootEvent e = numbered(7);
    e.mac = "dc:a6:32:01:36:c2";
    CHECK(queue.push(std::move(e)));
    CHECK(queue.push(numbered(8)));
    CHECK_FALSE(queue.push(numbered(9)));
    CHECK(queue.dropped() == 1);
    queue.pauseDrain(false);
    REQUIRE(queue.flush(5s));
    const auto got = recorder->events();
    REQUIRE(got.size() == 2);
    CHECK(got[0].mac == "dc:a6:32:01:36:c2");
    CHECK(*got[1].bytes == 8);
}

TEST_CASE("emit never waits for a writer that is stuck", "[events][queue]") {
    auto target = std::make_unique<RecordingSink>();
    auto* recorder = target.get();
    recorder->block();
    auto queue = std::make_unique<QueuedSink>(std::move(target), 8);
    queue->emit(numbered(0));
    REQUIRE(recorder->waitEntered(5s));  // the drain thread is now stuck inside the target
    // 1000 more emits must all return although nothing is being written: 8 queued, the rest
    // dropped. Run them on another thread so that a blocking emit fails the test, not hangs it.
    auto emitter = std::async(std::launch::async, [&queue] {
        const auto start = std::chrono::steady_clock::now();
        for (std::uint64_t i = 1; i <= 1000; ++i) queue->emit(numbered(i));
        return std::chrono::steady_clock::now() - start;
    });
    REQUIRE(emitter.wait_for(10s) == std::future_status::ready);
    CHECK(emitter.get() < 2s);
    CHECK(queue->accepted() == 1 + 8);
    CHECK(queue->dropped() == 1000 - 8);
    recorder->release();
    REQUIRE(queue->flush(5s));
    CHECK(recorder->events().size() == 9);
    queue.reset();  // the destructor joins the drain thread
}

TEST_CASE("concurrent emitters: accepted + dropped = sent, every accepted event written",
          "[events][queue]") {
    auto target = std::make_unique<RecordingSink>();
    auto* recorder = target.get();
    constexpr int kThreads = 4;
    constexpr std::uint64_t kEach = 5000;
    QueuedSink queue(std::move(target), 64);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&queue, t] {
            for (std::uint64_t i = 0; i < kEach; ++i) {
                queue.emit(numbered(static_cast<std::uint64_t>(t) * kEach + i));
            }
        });
    }
    for (auto& th : threads) th.join();
    REQUIRE(queue.flush(10s));
    CHECK(queue.accepted() + queue.dropped() == kThreads * kEach);
    CHECK(queue.written() == queue.accepted());
    const auto got = recorder->events();  // the recorder lives as long as the queue
    CHECK(got.size() == queue.accepted());
    CHECK(queue.accepted() >= 64);
    // Per emitter, the accepted events arrive in the order they were sent.
    std::vector<std::int64_t> last(kThreads, -1);
    for (const auto& e : got) {
        const auto t = static_cast<std::size_t>(*e.bytes / kEach);
        const auto i = static_cast<std::int64_t>(*e.bytes % kEach);
        CHECK(i > last[t]);
        last[t] = i;
    }
}

TEST_CASE("the destructor writes what is still queued", "[events][queue]") {
    // The recorder outlives the queue (and the target that forwards to it).
    class Forwarding : public EventSink {
      public:
        explicit Forwarding(std::shared_ptr<RecordingSink> to) : to_(std::move(to)) {}
        void emit(const BootEvent& event) override { to_->emit(event); }
        std::string describe() const override { return "forwarding"; }

      private:
        std::shared_ptr<RecordingSink> to_;
    };
    auto recorder = std::make_shared<RecordingSink>();
    {
        QueuedSink queue(std::make_unique<Forwarding>(recorder), 32);
        queue.pauseDrain(true);
        for (std::uint64_t i = 0; i < 20; ++i) queue.emit(numbered(i));
        CHECK(recorder->events().empty());
    }
    CHECK(recorder->events().size() == 20);
}
