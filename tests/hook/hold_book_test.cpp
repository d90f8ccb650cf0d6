// The ROM hold bookkeeping: short holds until the Pi comes back at its next stage, a cap of
// unconfirmed holds per subnet with the oldest given back first, bounded memory.
#include <catch2/catch.hpp>

#include "hold_book.h"

using rpinetboot::MacAddress;
using rpinetboot::PiModel;
using rpinetboot::kea::HoldBook;
using rpinetboot::kea::HoldLimits;
using rpinetboot::kea::HoldPlan;
using rpinetboot::kea::HoldRecord;

namespace {

MacAddress mac(std::uint32_t n) {
    return MacAddress({0xb8, 0x27, 0xeb, static_cast<std::uint8_t>(n >> 16),
                       static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
}

// Plans and records a hold the way RomHolds does when the lease database accepts it.
HoldPlan hold(HoldBook& book, std::uint32_t n, PiModel stage, std::time_t now,
              std::uint32_t subnet = 1, std::uint32_t offered = 600) {
    HoldPlan plan = book.plan(mac(n), stage, subnet, offered, now);
    book.record(HoldRecord{mac(n), 0xc0000200 + n, subnet, now, plan.lifetime}, stage,
                plan.confirmed, true);
    return plan;
}

}  // namespace

TEST_CASE("a first ROM hold is short, and the Pi's next stage confirms it for the lease time") {
    HoldBook book(HoldLimits{60, 4});
    const auto first = hold(book, 1, PiModel::Rom3, 1000);
    CHECK_FALSE(first.confirmed);
    CHECK(first.lifetime == 60);
    CHECK(book.unconfirmed(1) == 1);
    // The ROM's retry (same stage) renews but proves nothing.
    const auto retry = hold(book, 1, PiModel::Rom3, 1005);
    CHECK_FALSE(retry.confirmed);
    CHECK(book.unconfirmed(1) == 1);
    // bootcode.bin asks: the Pi has come back.
    const auto next = hold(book, 1, PiModel::Bootcode, 1010);
    CHECK(next.confirmed);
    CHECK(next.lifetime == 600);
    CHECK(book.unconfirmed(1) == 0);
    // Once confirmed, it stays so while its hold lasts.
    CHECK(hold(book, 1, PiModel::Bootcode, 1020).confirmed);
}

TEST_CASE("a short OFFER lease time is never lengthened") {
    HoldBook book(HoldLimits{60, 4});
    CHECK(hold(book, 1, PiModel::Rom3, 0, 1, 30).lifetime == 30);
}

TEST_CASE("the 3B+ ROM and bootcode.bin both ask as BOOTCODE: the second confirms") {
    HoldBook book(HoldLimits{60, 4});
    CHECK_FALSE(hold(book, 7, PiModel::Bootcode, 0).confirmed);
    CHECK(hold(book, 7, PiModel::Bootcode, 3).confirmed);
}

TEST_CASE("a Pi that comes back after its hold's lifetime starts again unconfirmed") {
    HoldBook book(HoldLimits{60, 4});
    hold(book, 1, PiModel::Rom3, 0);
    CHECK_FALSE(hold(book, 1, PiModel::Bootcode, 61).confirmed);
}

TEST_CASE("at the cap the oldest unconfirmed holds of that subnet are given back first") {
    HoldBook book(HoldLimits{60, 3});
    hold(book, 1, PiModel::Rom3, 0);
    hold(book, 2, PiModel::Rom3, 1);
    hold(book, 9, PiModel::Rom3, 1, 2);  // another subnet: its own cap
    // A confirmed hold never counts and is never given back.
    hold(book, 5, PiModel::Rom3, 1);
    hold(book, 5, PiModel::Bootcode, 2);
    hold(book, 3, PiModel::Rom3, 2);
    CHECK(book.unconfirmed(1) == 3);
    // MAC 1 retries: it moves to the back of the queue rather than costing a slot.
    CHECK(hold(book, 1, PiModel::Rom3, 3).release.empty());
    const auto fourth = hold(book, 4, PiModel::Rom3, 4);
    REQUIRE(fourth.release.size() == 1);
    CHECK(fourth.release[0].mac == mac(2));
    CHECK(fourth.release[0].cltt == 1);
    CHECK(fourth.release[0].lifetime == 60);
    CHECK(book.unconfirmed(1) == 3);
    CHECK(book.unconfirmed(2) == 1);
    const auto fifth = hold(book, 6, PiModel::Rom3, 5);
    REQUIRE(fifth.release.size() == 1);
    CHECK(fifth.release[0].mac == mac(3));
    // A Pi whose hold was given back under pressure is still confirmed when bootcode.bin asks.
    CHECK(hold(book, 2, PiModel::Bootcode, 6).confirmed);
}

TEST_CASE("the cap is reported once, until the subnet drains to half of it") {
    HoldBook book(HoldLimits{60, 4});
    int reached = 0;
    std::uint32_t n = 0;
    const auto add = [&](std::time_t now) {
        const auto plan = book.plan(mac(++n), PiModel::Rom3, 1, 600, now);
        reached +=
            book.record(HoldRecord{mac(n), n, 1, now, plan.lifetime}, PiModel::Rom3, false, true);
    };
    for (int i = 0; i < 100; ++i) add(0);
    CHECK(reached == 1);
    CHECK(book.unconfirmed(1) == 4);
    // All expire: the subnet drains, and filling it again is reported again.
    for (int i = 0; i < 4; ++i) add(100);
    CHECK(reached == 2);
}

TEST_CASE("expired unconfirmed holds leave the queue without being given back") {
    HoldBook book(HoldLimits{60, 2});
    hold(book, 1, PiModel::Rom3, 0);
    hold(book, 2, PiModel::Rom3, 0);
    const auto later = hold(book, 3, PiModel::Rom3, 60);
    CHECK(later.release.empty());  // Kea's reclamation takes expired leases back
    CHECK(book.unconfirmed(1) == 1);
}

TEST_CASE("isOurs recognises only the very lease a hold wrote") {
    HoldBook book(HoldLimits{60, 4});
    hold(book, 1, PiModel::Rom3, 100);
    CHECK(book.isOurs(HoldRecord{mac(1), 0xc0000201, 1, 100, 60}));
    CHECK_FALSE(book.isOurs(HoldRecord{mac(1), 0xc0000201, 1, 100, 600}));  // Kea renewed it
    CHECK_FALSE(book.isOurs(HoldRecord{mac(1), 0xc0000202, 1, 100, 60}));
    CHECK_FALSE(book.isOurs(HoldRecord{mac(2), 0xc0000201, 1, 100, 60}));
    // Kea's own lease (e.g. offer-lifetime's), recorded as not ours, is never ours to renew.
    book.record(HoldRecord{mac(8), 0xc0000208, 1, 100, 30}, PiModel::Rom3, false, false);
    CHECK_FALSE(book.isOurs(HoldRecord{mac(8), 0xc0000208, 1, 100, 30}));
    CHECK(book.unconfirmed(1) == 1);
}

TEST_CASE("a flood of random MACs costs bounded memory") {
    HoldBook book(HoldLimits{60, 64});
    for (std::uint32_t i = 0; i < 3 * HoldBook::kMaxRemembered; ++i) {
        hold(book, i, PiModel::Rom3, static_cast<std::time_t>(i / 1000));
    }
    CHECK(book.unconfirmed(1) == 64);
    CHECK(book.remembered() <= HoldBook::kMaxRemembered);
}
