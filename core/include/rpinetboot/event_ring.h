// A bounded lock-free ring of records: many producers (Kea's packet threads, a daemon's event
// loop), one consumer (a writer thread). A producer never waits: it claims a slot with one
// compare-and-swap, or finds the ring full and gives up. Small trivially copyable records are
// copied as bytes and nothing is allocated; a record with strings (a BootEvent) is moved in and
// out, so the slots and the consumer trade string buffers rather than free them. Each slot carries
// a sequence number that says whose turn it is (D. Vyukov's bounded MPMC queue,
// https://www.1024cores.net/home/lock-free-algorithms/queues/bounded-mpmc-queue), so a reader
// never sees a half-written record.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace rpinetboot {

template <typename T>
class EventRing {
    static_assert(std::is_nothrow_move_assignable_v<T>, "the consumer's pop must not throw");

  public:
    // `capacity` rounded up to a power of two, at least 2.
    explicit EventRing(std::size_t capacity)
        : mask_(roundUp(capacity) - 1), cells_(new Cell[mask_ + 1]) {
        for (std::size_t i = 0; i <= mask_; ++i) {
            cells_[i].sequence.store(i, std::memory_order_relaxed);
        }
    }
    EventRing(const EventRing&) = delete;
    EventRing& operator=(const EventRing&) = delete;

    std::size_t capacity() const { return mask_ + 1; }

    // False when the ring is full (nothing is written, an rvalue is not moved from). Safe from
    // any number of threads.
    template <typename R>
    bool tryPush(R&& record) noexcept {
        static_assert(std::is_nothrow_assignable_v<T&, R&&>, "a producer's push must not throw");
        std::size_t pos = pushPos_.load(std::memory_order_relaxed);
        Cell* cell = nullptr;
        for (;;) {
            cell = &cells_[pos & mask_];
            const std::size_t seq = cell->sequence.load(std::memory_order_acquire);
            const auto diff = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(pos);
            if (diff == 0) {
                // The slot is free for `pos`: claim it (a failed CAS reloads `pos`).
                if (pushPos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                    break;
                }
            } else if (diff < 0) {
                return false;  // the slot still holds the record of one lap ago: full
            } else {
                pos = pushPos_.load(std::memory_order_relaxed);  // another producer took it
            }
        }
        cell->record = std::forward<R>(record);
        cell->sequence.store(pos + 1, std::memory_order_release);
        return true;
    }

    // False when the ring is empty. One consumer thread only.
    bool tryPop(T& out) noexcept {
        const std::size_t pos = popPos_.load(std::memory_order_relaxed);
        Cell& cell = cells_[pos & mask_];
        const std::size_t seq = cell.sequence.load(std::memory_order_acquire);
        // seq == pos + 1: written. Less: not yet written (or being written): empty for now.
        if (seq != pos + 1) return false;
        out = std::move(cell.record);
        popPos_.store(pos + 1, std::memory_order_relaxed);
        // Free for the producer one lap ahead.
        cell.sequence.store(pos + mask_ + 1, std::memory_order_release);
        return true;
    }

    // Whether the consumer would find a record now (the consumer thread, or after a fence).
    bool readable() const noexcept {
        const std::size_t pos = popPos_.load(std::memory_order_relaxed);
        return cells_[pos & mask_].sequence.load(std::memory_order_acquire) == pos + 1;
    }

  private:
    struct Cell {
        std::atomic<std::size_t> sequence{0};
        T record{};
    };

    static std::size_t roundUp(std::size_t n) {
        std::size_t c = 2;
        while (c < n) c <<= 1;
        return c;
    }

    const std::size_t mask_;
    const std::unique_ptr<Cell[]> cells_;
    // Apart, so that producers claiming slots do not slow the consumer's cache line and back.
    alignas(64) std::atomic<std::size_t> pushPos_{0};
    alignas(64) std::atomic<std::size_t> popPos_{0};
};

}  // namespace rpinetboot
