// Where boot events go: the systemd journal as fields, JSON lines to a file or stderr, or a
// bounded queue in front of either for callers that must never wait (Kea's packet path).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rpinetboot/boot_event.h"

namespace rpinetboot {

class EventSink {
  public:
    virtual ~EventSink() = default;
    // Never throws; a failed write is counted in failures().
    virtual void emit(const BootEvent& event) = 0;
    // `count` events in order; by default one emit() each. A sink that can write them at once
    // (JSON lines: one write(2)) overrides it.
    virtual void emitBatch(const BootEvent* events, std::size_t count);
    virtual std::string describe() const = 0;
    std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

  protected:
    std::atomic<std::uint64_t> failures_{0};
};

// The journal's native protocol through sd_journal_sendv(3), one entry per event.
// Only when built with RPI_NETBOOT_WITH_SYSTEMD (journalSupported()).
bool journalSupported();
// The default socket of the system journal exists (journald is running, or socket-activated).
bool journalAvailable();
std::unique_ptr<EventSink> makeJournalSink();

// One JSON object per line, written with a single write(2) on an O_APPEND descriptor so lines
// from several processes never interleave. Thread-safe.
class JsonLinesSink : public EventSink {
  public:
    // Takes ownership of `fd` when `owned`.
    JsonLinesSink(int fd, bool owned, std::string name);
    ~JsonLinesSink() override;
    JsonLinesSink(const JsonLinesSink&) = delete;
    JsonLinesSink& operator=(const JsonLinesSink&) = delete;
    // Opens (creates, mode 0640) `path` for appending; nullptr and `error` when it cannot.
    static std::unique_ptr<JsonLinesSink> open(const std::string& path, std::string& error);
    void emit(const BootEvent& event) override;
    // Every line in one write(2) (more when the kernel takes part of it).
    void emitBatch(const BootEvent* events, std::size_t count) override;
    std::string describe() const override { return name_; }

  private:
    void writeAll(const std::string& text);
    int fd_;
    bool owned_;
    std::string name_;
};

template <typename Record>
class EventQueue;  // event_queue.h

// A bounded queue drained by its own thread into `target`: EventQueue (event_queue.h) over the
// BootEvent itself. emit() and push() only move the event into a ring slot (one
// compare-and-swap): no lock, no I/O, no waiting for the writer. When the ring is full the event
// is dropped and counted. For daemons whose event loop must never wait (rpi-tftpd,
// rpi-netconsoled).
class QueuedSink : public EventSink {
  public:
    // `capacity` is rounded up to a power of two.
    QueuedSink(std::unique_ptr<EventSink> target, std::size_t capacity);
    ~QueuedSink() override;  // drains what is queued, then stops the thread
    QueuedSink(const QueuedSink&) = delete;
    QueuedSink& operator=(const QueuedSink&) = delete;

    void emit(const BootEvent& event) override;  // copies, then push()
    // The cheapest way in: the event is moved into the ring. False when the ring was full (the
    // event is dropped and counted).
    bool push(BootEvent&& event);
    std::string describe() const override;

    std::uint64_t accepted() const;
    std::uint64_t dropped() const;
    std::uint64_t written() const;
    std::size_t capacity() const;
    // Waits (at most `timeout`) until every accepted event was handed to the target.
    bool flush(std::chrono::milliseconds timeout);
    // Test hook: while paused the drain thread takes nothing, so the ring fills up.
    void pauseDrain(bool paused);

  private:
    std::unique_ptr<EventQueue<BootEvent>> queue_;
};

// The sink chosen by a daemon's --events flag (or its configuration key):
//   auto          the journal when journalAvailable(), else JSON lines on stderr
//   journal       the journal (an error when not built with it or when it is not running)
//   stderr        JSON lines on stderr
//   json:PATH     JSON lines appended to PATH
//   none          nothing
struct SinkSpec {
    enum class Kind { Auto, Journal, Stderr, File, None };
    Kind kind = Kind::Auto;
    std::string path;
};
bool parseSinkSpec(const std::string& text, SinkSpec& out, std::string& error);
// nullptr for Kind::None; nullptr with `error` when the sink cannot be opened.
std::unique_ptr<EventSink> makeSink(const SinkSpec& spec, std::string& error);

}  // namespace rpinetboot
