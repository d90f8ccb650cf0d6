// The hook's boot events off Kea's packet path (README.md, "Boot events and bootloader logs"):
// a callout copies a small fixed-size record into a lock-free ring (event_ring.h) and returns;
// the writer thread renders the records into events and hands them to the sink in batches. Kea's
// packet thread never allocates, formats, writes or waits for an event: when the ring is full
// the record is dropped and counted.
#pragma once

#include <array>
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
#include <vector>

#include "rpinetboot/boot_event.h"
#include "rpinetboot/event_ring.h"
#include "rpinetboot/event_sink.h"
#include "rpinetboot/pi_model.h"

namespace rpinetboot::kea {

// What a callout knows of one step, as plain bytes; the writer thread turns it into a BootEvent
// (hook_events.h, renderEvent).
struct HookEvent {
    std::uint64_t timestampUs = 0;
    std::uint32_t serial = 0;   // valid when hasSerial
    std::uint32_t address = 0;  // host order; 0: none
    std::array<std::uint8_t, 6> mac{};
    BootStep step = BootStep::Discover;
    PiModel model = PiModel::Pi4;
    bool hasSerial = false;
    bool refused = false;  // the allow-* lists refused the Pi: outcome failed, the reason as error
    bool osPhase = false;  // a DHCP exchange of the Linux the Pi booted
};

class HookEventWriter {
  public:
    // Fills `out` (reused: its strings keep their capacity) from `record`. Runs on the writer
    // thread only.
    using Render = std::function<void(const HookEvent& record, BootEvent& out)>;

    // At most this many events per emitBatch().
    static constexpr std::size_t kMaxBatch = 256;

    // Empty looks at the ring after which an awake writer goes to sleep (and the next push
    // wakes it).
    static constexpr std::size_t kIdlePolls = 50;

    // `capacity` is rounded up to a power of two. `poll`: how often an awake writer drains the
    // ring (a batch gathers meanwhile); after kIdlePolls empty looks (1 s by default) it sleeps.
    HookEventWriter(std::unique_ptr<EventSink> target, std::size_t capacity, Render render,
                    std::chrono::milliseconds poll = std::chrono::milliseconds(20));
    ~HookEventWriter();  // writes out what is queued, then stops the thread
    HookEventWriter(const HookEventWriter&) = delete;
    HookEventWriter& operator=(const HookEventWriter&) = delete;

    // The packet path: copies `record` into the ring, wakes the writer only when it sleeps
    // (after a second without events).
    // False when the ring was full: the record is dropped and counted. Never blocks for long
    // (the writer holds the wake-up mutex only to go to sleep), never allocates.
    bool push(const HookEvent& record) noexcept;

    // True at most once per `interval` (the first drop included), from whichever thread asks:
    // when to log the drops, so that a flood logs a line per interval, not per event.
    bool dropLogDue(std::chrono::steady_clock::duration interval) noexcept;

    std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    // Taken from the ring and handed to the sink (or lost: lost()).
    std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }
    // Taken but not rendered or written: the writer thread ran out of memory (the sink counts
    // its own write failures, EventSink::failures()).
    std::uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }
    std::size_t capacity() const { return ring_.capacity(); }
    std::string describe() const;
    EventSink& target() { return *target_; }

    // Waits (at most `timeout`) until every accepted record was handed to the sink.
    bool flush(std::chrono::milliseconds timeout);
    // Test hook: while paused the writer takes nothing, so the ring fills up.
    void pauseDrain(bool paused);

  private:
    void run();
    std::size_t drain(std::vector<BootEvent>& batch);  // until the ring is empty; how many
    bool stopRequested();
    bool wakeWanted();  // under mutex_

    const std::unique_ptr<EventSink> target_;
    const Render render_;
    const std::chrono::milliseconds poll_;
    EventRing<HookEvent> ring_;
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

}  // namespace rpinetboot::kea
