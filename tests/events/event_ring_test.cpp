// The lock-free ring in front of the hook's event writer (event_ring.h): a full ring refuses and
// keeps what it has, records come out in order across many laps, and concurrent producers lose
// nothing they were told was taken, in each producer's order.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <thread>
#include <vector>

#include "rpinetboot/event_ring.h"

using rpinetboot::EventRing;

namespace {
struct Record {
    std::uint32_t producer = 0;
    std::uint32_t n = 0;
    std::uint64_t pad[3] = {};  // about the size of the hook's record
};
}  // namespace

TEST_CASE("ring: capacity is a power of two, at least 2") {
    CHECK(EventRing<int>(0).capacity() == 2);
    CHECK(EventRing<int>(1).capacity() == 2);
    CHECK(EventRing<int>(3).capacity() == 4);
    CHECK(EventRing<int>(4096).capacity() == 4096);
    CHECK(EventRing<int>(4097).capacity() == 8192);
}

TEST_CASE("ring: a full ring refuses, keeps what it holds, and takes again once read") {
    EventRing<int> ring(8);
    int out = -1;
    CHECK_FALSE(ring.readable());
    CHECK_FALSE(ring.tryPop(out));
    for (int i = 0; i < 8; ++i) REQUIRE(ring.tryPush(i));
    CHECK_FALSE(ring.tryPush(100));
    CHECK_FALSE(ring.tryPush(101));
    REQUIRE(ring.tryPop(out));
    CHECK(out == 0);
    CHECK(ring.tryPush(8));
    CHECK_FALSE(ring.tryPush(102));
    for (int i = 1; i <= 8; ++i) {
        REQUIRE(ring.tryPop(out));
        CHECK(out == i);
    }
    CHECK_FALSE(ring.tryPop(out));
    CHECK_FALSE(ring.readable());
}

TEST_CASE("ring: order holds across many laps of the slots") {
    EventRing<std::uint32_t> ring(4);
    std::uint32_t next = 0, expected = 0, out = 0;
    // Uneven pushes and pops so that the head and the tail wrap at different slots.
    for (int round = 0; round < 1000; ++round) {
        const int pushes = 1 + round % 4;
        for (int i = 0; i < pushes; ++i) {
            if (ring.tryPush(next)) ++next;
        }
        const int pops = 1 + (round * 7) % 4;
        for (int i = 0; i < pops && ring.tryPop(out); ++i) {
            REQUIRE(out == expected);
            ++expected;
        }
    }
    while (ring.tryPop(out)) {
        REQUIRE(out == expected);
        ++expected;
    }
    CHECK(expected == next);
    CHECK(next > 1000);  // well past 250 laps of 4 slots
}

TEST_CASE("ring: concurrent producers, one consumer: every record taken comes out once") {
    constexpr std::uint32_t kProducers = 4, kEach = 20000;
    EventRing<Record> ring(256);
    std::atomic<std::uint32_t> taken{0}, refused{0};
    std::atomic<int> running{static_cast<int>(kProducers)};
    std::vector<std::thread> producers;
    for (std::uint32_t p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
            for (std::uint32_t i = 0; i < kEach; ++i) {
                Record r;
                r.producer = p;
                r.n = i;
                r.pad[0] = p * 1000003u + i;
                if (ring.tryPush(r)) {
                    taken.fetch_add(1);
                } else {
                    refused.fetch_add(1);
                }
            }
            running.fetch_sub(1);
        });
    }
    std::vector<std::int64_t> last(kProducers, -1);
    std::uint32_t popped = 0;
    bool intact = true, ordered = true;
    Record r;
    for (;;) {
        const bool done = running.load() == 0;  // read before the last look at the ring
        while (ring.tryPop(r)) {
            ++popped;
            intact = intact && r.producer < kProducers && r.pad[0] == r.producer * 1000003u + r.n;
            if (r.producer < kProducers) {
                ordered = ordered && static_cast<std::int64_t>(r.n) > last[r.producer];
                last[r.producer] = r.n;
            }
        }
        if (done) break;
        std::this_thread::yield();
    }
    for (auto& t : producers) t.join();
    CHECK(intact);
    CHECK(ordered);
    CHECK(taken.load() + refused.load() == kProducers * kEach);
    CHECK(popped == taken.load());
}
