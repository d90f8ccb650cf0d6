// The one queue in front of a boot event sink (README.md, "Boot events and bootloader logs"):
// producers (Kea's packet threads, rpi-tftpd's and rpi-netconsoled's event loops) put a record
// into a lock-free ring (event_ring.h) and return; a writer thread of its own takes the records
// in batches, renders each into a BootEvent and hands the batch to the sink. A producer never
// waits for the writer nor for a lock: when the ring is full the record is dropped and counted.
// The thread shell (start, stop after writing out what is queued, pause, drop counting, flush)
// is this template's; what a record holds, and so what a producer pays, is each user's:
//   the hook: a small trivially copyable record, rendered on the writer (kea-hook/src/
//   hook_event_writer.h); rpi-tftpd and rpi-netconsoled: the BootEvent itself (QueuedSink,
//   event_sink.h), moved in and out.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "rpinetboot/boot_event.h"
#include "rpinetboot/event_ring.h"
#include "rpinetboot/event_sink.h"

namespace rpinetboot {

template <typename Record>
class EventQueue {
  public:
    // Fills `out` (reused: its strings keep their capacity) from `record` (which it may move
    // from). Runs on the writer thread only.
    using Render = std::function<void(Record& record, BootEvent& out)>;

    // At most this many events per emitBatch().
    static constexpr std::size_t kMaxBatch = 256;

    // Empty looks at the ring after which an awake writer goes to sleep (and the next push
    // wakes it).
    static constexpr std::size_t kIdlePolls = 50;

    // `capacity` is rounded up to a power of two. `poll`: how often an awake writer drains the
    // ring (a batch gathers meanwhile); after kIdlePolls empty looks (1 s by default) it sleeps.
    EventQueue(std::unique_ptr<EventSink> target, std::size_t capacity, Render render,
               std::chrono::milliseconds poll = std::chrono::milliseconds(20))
        : target_(std::move(target)), render_(std::move(render)), poll_(poll), ring_(capacity) {
        thread_ = std::thread([this] { run(); });
    }
    ~EventQueue() {  // writes out what is queued, then stops the thread
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
            paused_ = false;
        }
        wake_.notify_one();
        thread_.join();
    }
    EventQueue(const EventQueue&) = delete;
    EventQueue& operator=(const EventQueue&) = delete;

    // The producer's path: the record into the ring (copied, or moved when an rvalue), the
    // writer woken only when it sleeps (after a second without records). False when the ring
    // was full: the record is dropped (not moved from) and counted. Never blocks for long (the
    // writer holds the wake-up mutex only to go to sleep); allocates nothing of its own.
    template <typename R>
    bool push(R&& record) noexcept {
        if (!ring_.tryPush(std::forward<R>(record))) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        // Sequentially consistent, as the writer's store of sleeping_ and its load of
        // accepted_: either the writer sees this record before it sleeps, or this sees it
        // sleeping and wakes it. Awake (polling or writing), it is left alone. (On x86 as cheap
        // as relaxed.)
        accepted_.fetch_add(1, std::memory_order_seq_cst);
        if (sleeping_.load(std::memory_order_seq_cst)) {
            try {
                std::lock_guard<std::mutex> lock(mutex_);
                wake_.notify_one();
            } catch (...) {
                // The writer still finds the record at its next periodic look.
            }
        }
        return true;
    }

    // True at most once per `interval` (the first drop included), from whichever thread asks:
    // when to log the drops, so that a flood logs a line per interval, not per event.
    bool dropLogDue(std::chrono::steady_clock::duration interval) noexcept {
        const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
        std::int64_t last = lastDropLog_.load(std::memory_order_relaxed);
        if (last != 0 && now - last < interval.count()) return false;
        return lastDropLog_.compare_exchange_strong(last, now, std::memory_order_relaxed);
    }

    std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    // Taken from the ring and handed to the sink (or lost: lost()).
    std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }
    // Taken but not rendered or written: the writer thread ran out of memory (the sink counts
    // its own write failures, EventSink::failures()).
    std::uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }
    std::size_t capacity() const { return ring_.capacity(); }
    std::string describe() const {
        return "queue(" + std::to_string(ring_.capacity()) + ") -> " + target_->describe();
    }
    EventSink& target() { return *target_; }

    // Waits (at most `timeout`) until every accepted record was handed to the sink.
    bool flush(std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        return drained_.wait_for(lock, timeout, [this] {
            return written_.load(std::memory_order_relaxed) ==
                   accepted_.load(std::memory_order_relaxed);
        });
    }
    // While paused the writer takes nothing, so the ring fills up (tests; a daemon's reload).
    void pauseDrain(bool paused) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            paused_ = paused;
        }
        wake_.notify_one();
    }

  private:
    bool stopRequested() {
        std::lock_guard<std::mutex> lock(mutex_);
        return stopping_;
    }

    bool wakeWanted() {  // under mutex_
        // Records accepted and not yet taken (written_ counts what the writer took).
        return stopping_ || (!paused_ && accepted_.load(std::memory_order_seq_cst) !=
                                             written_.load(std::memory_order_relaxed));
    }

    // Until the ring is empty (or paused); how many records were taken.
    std::size_t drain(std::vector<BootEvent>& batch, Record& record) {
        std::size_t total = 0;
        for (;;) {
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (paused_) break;
            }
            std::size_t taken = 0, n = 0;
            while (taken < kMaxBatch && ring_.tryPop(record)) {
                ++taken;
                try {
                    render_(record, batch[n]);
                    ++n;
                } catch (...) {
                    lost_.fetch_add(1, std::memory_order_relaxed);  // out of memory: go on
                }
            }
            if (taken == 0) break;
            try {
                target_->emitBatch(batch.data(), n);
            } catch (...) {
                lost_.fetch_add(n, std::memory_order_relaxed);
            }
            written_.fetch_add(taken, std::memory_order_relaxed);
            total += taken;
            { std::lock_guard<std::mutex> lock(mutex_); }
            drained_.notify_all();
        }
        return total;
    }

    void run() {
        // Rendered in place: after the first batches their strings have the room they need.
        std::vector<BootEvent> batch(kMaxBatch);
        Record record{};
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                sleeping_.store(true, std::memory_order_seq_cst);
                // The timeout only bounds the harm of a wake-up lost to a failed notify.
                while (!wakeWanted()) wake_.wait_for(lock, std::chrono::seconds(1));
                sleeping_.store(false, std::memory_order_relaxed);
            }
            // Awake: look at the ring every poll interval until it stayed empty for kIdlePolls
            // looks. Meanwhile producers see the writer awake and never pay for a wake-up: under
            // steady traffic the producer's path is the ring and nothing else.
            for (std::size_t idle = 0; idle < kIdlePolls;) {
                if (stopRequested()) break;
                if (poll_.count() > 0) std::this_thread::sleep_for(poll_);
                idle = drain(batch, record) == 0 ? idle + 1 : 0;
            }
            if (stopRequested()) {
                drain(batch, record);
                if (accepted_.load() == written_.load()) break;
            }
        }
        drained_.notify_all();
    }

    const std::unique_ptr<EventSink> target_;
    const Render render_;
    const std::chrono::milliseconds poll_;
    EventRing<Record> ring_;
    std::atomic<bool> sleeping_{false};  // the writer waits on wake_ (or is about to)
    std::mutex mutex_;
    std::condition_variable wake_;     // the writer waits here
    std::condition_variable drained_;  // flush() waits here
    bool stopping_ = false;
    bool paused_ = false;
    std::atomic<std::uint64_t> accepted_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> written_{0};
    std::atomic<std::uint64_t> lost_{0};
    std::atomic<std::int64_t> lastDropLog_{0};  // steady_clock ticks; 0: never
    std::thread thread_;
};

}  // namespace rpinetboot
