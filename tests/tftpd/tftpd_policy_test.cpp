// Admission, eviction and retransmit timing decisions of TransferPolicy, with injected time:
// full server, full client quota, half-open vs stalled vs moving transfers, capped timeouts.
#include <catch2/catch.hpp>

#include "transfer_policy.h"

using namespace rpinetboot::tftpd;
using namespace std::chrono_literals;
using Verdict = TransferPolicy::Verdict;

namespace {
const TransferPolicy::TimePoint t0{};
TransferPolicy::Address ip(const char* text) {
    return boost::asio::ip::make_address(text);
}
TransferPolicy policy(unsigned maxTransfers, unsigned maxPerClient) {
    TransferPolicy::Limits l;
    l.maxTransfers = maxTransfers;
    l.maxPerClient = maxPerClient;
    return TransferPolicy(l);
}
}  // namespace

TEST_CASE("room: admitted while below both limits", "[policy]") {
    auto p = policy(3, 2);
    CHECK(p.admit(ip("192.0.2.10"), t0).verdict == Verdict::Admit);
    p.started(1, ip("192.0.2.10"), t0);
    p.started(2, ip("192.0.2.11"), t0);
    CHECK(p.admit(ip("192.0.2.10"), t0).verdict == Verdict::Admit);
    CHECK(p.transfers() == 2);
    CHECK(p.transfersOf(ip("192.0.2.10")) == 1);
    p.ended(1);
    p.ended(1);  // twice is harmless
    CHECK(p.transfersOf(ip("192.0.2.10")) == 0);
    CHECK(p.transfers() == 1);
}

TEST_CASE("full server of moving transfers refuses", "[policy]") {
    auto p = policy(2, 16);
    p.started(1, ip("192.0.2.10"), t0);
    p.started(2, ip("192.0.2.11"), t0);
    p.progressed(1, t0 + 1s);
    p.progressed(2, t0 + 1s);
    auto d = p.admit(ip("192.0.2.12"), t0 + 2s);
    CHECK(d.verdict == Verdict::Refuse);
}

TEST_CASE("full server: the oldest half-open transfer gives way first", "[policy]") {
    auto p = policy(3, 16);
    p.started(1, ip("192.0.2.10"), t0);
    p.started(2, ip("192.0.2.11"), t0 + 1ms);  // half-open
    p.started(3, ip("192.0.2.12"), t0 + 2ms);  // half-open, younger
    p.progressed(1, t0 + 3ms);                 // stalled later, but established
    auto d = p.admit(ip("192.0.2.13"), t0 + 10s);
    CHECK(d.verdict == Verdict::Evict);
    CHECK(d.victim == 2);
}

TEST_CASE("full server: a stalled transfer gives way, the longest silent first", "[policy]") {
    auto p = policy(3, 16);
    for (std::uint64_t id = 1; id <= 3; ++id) {
        p.started(id, ip("192.0.2.20"), t0);
        p.progressed(id, t0);  // ACK 0, then silence (the timeout=255 attack)
    }
    p.progressed(1, t0 + 1s);
    p.progressed(3, t0 + 2s);
    // Nobody silent for kStallAfter yet at t0 + 1.5 s... except 2 (silent 1.5 s): not stalled.
    CHECK(p.admit(ip("192.0.2.30"), t0 + 1500ms).verdict == Verdict::Refuse);
    auto d = p.admit(ip("192.0.2.30"), t0 + 2s);
    CHECK(d.verdict == Verdict::Evict);
    CHECK(d.victim == 2);  // silent since t0
    p.ended(2);
    p.started(4, ip("192.0.2.30"), t0 + 2s);
    p.progressed(4, t0 + 5s);  // moving
    d = p.admit(ip("192.0.2.31"), t0 + 5s);
    CHECK(d.verdict == Verdict::Evict);
    CHECK(d.victim == 1);  // silent since 1 s, 3 since 2 s
}

TEST_CASE("full client quota: its own half-open transfer gives way at once", "[policy]") {
    auto p = policy(100, 2);
    p.started(1, ip("192.0.2.10"), t0);
    p.started(2, ip("192.0.2.10"), t0 + 1ms);
    p.started(3, ip("192.0.2.11"), t0);  // another client's half-open: never the victim
    auto d = p.admit(ip("192.0.2.10"), t0 + 2ms);
    CHECK(d.verdict == Verdict::Evict);
    CHECK(d.victim == 1);
}

TEST_CASE("full client quota: a moving transfer of its own is not ended", "[policy]") {
    auto p = policy(100, 2);
    p.started(1, ip("192.0.2.10"), t0);
    p.started(2, ip("192.0.2.10"), t0);
    p.progressed(1, t0 + 10ms);
    p.progressed(2, t0 + 10ms);
    // A forged request from the Pi's address (another port) must not end its running transfer.
    CHECK(p.admit(ip("192.0.2.10"), t0 + 20ms).verdict == Verdict::Refuse);
    // One of them stalls: that one gives way.
    p.progressed(2, t0 + 3s);
    auto d = p.admit(ip("192.0.2.10"), t0 + 3s);
    CHECK(d.verdict == Verdict::Evict);
    CHECK(d.victim == 1);
}

TEST_CASE("full client quota on a full server stays within the client", "[policy]") {
    auto p = policy(2, 1);
    p.started(1, ip("192.0.2.10"), t0);       // half-open, oldest
    p.started(2, ip("192.0.2.11"), t0 + 1s);  // half-open
    auto d = p.admit(ip("192.0.2.11"), t0 + 2s);
    CHECK(d.verdict == Verdict::Evict);
    CHECK(d.victim == 2);
}

TEST_CASE("IPv4-mapped addresses count as their IPv4 client", "[policy]") {
    auto p = policy(100, 1);
    p.started(1, ip("::ffff:192.0.2.10"), t0);
    p.progressed(1, t0);
    CHECK(p.transfersOf(ip("192.0.2.10")) == 1);
    CHECK(p.admit(ip("192.0.2.10"), t0).verdict == Verdict::Refuse);
    CHECK(p.admit(ip("2001:db8::10"), t0).verdict == Verdict::Admit);
}

TEST_CASE("timing: timeout option capped, total silence bounded", "[policy]") {
    TransferPolicy::Timing t;
    Transfer::Params p;
    TransferPolicy::applyTiming(t, std::nullopt, p);
    CHECK(p.timeout == 1000ms);
    CHECK(p.maxTimeout == 4000ms);
    CHECK(p.maxSilence == TransferPolicy::kMaxSilence);
    TransferPolicy::applyTiming(t, 3u, p);
    CHECK(p.timeout == 3000ms);
    CHECK(p.maxTimeout == 4000ms);
    TransferPolicy::applyTiming(t, 255u, p);
    CHECK(p.timeout == 5000ms);
    t.maxTimeout = 60000ms;
    t.halfOpenTimeout = 60000ms;
    TransferPolicy::applyTiming(t, std::nullopt, p);
    CHECK(p.maxTimeout == 30000ms);
    CHECK(p.halfOpenTimeout == 30000ms);
}

TEST_CASE("timing: a silent client is given up after 30 s whatever the retries", "[policy]") {
    TransferPolicy::Timing timing;
    timing.retries = 20;
    timing.maxTimeout = 60000ms;
    Transfer::Params p;
    p.fileSize = 100000;
    TransferPolicy::applyTiming(timing, 5u, p);
    Transfer t(p, t0);
    t.start(t0);
    t.onAck(1, t0);  // established at t0, then silence
    auto now = t0;
    for (int i = 0; i < 100 && t.running(); ++i) {
        now = t.deadline();
        t.onTimer(now);
    }
    CHECK(t.status() == Transfer::Status::TimedOut);
    CHECK(now <= t0 + 30s);
    CHECK(now >= t0 + 25s);
}

TEST_CASE("timing: adaptive retransmits unless the client asked for a timeout", "[policy]") {
    TransferPolicy::Timing t;
    Transfer::Params p;
    TransferPolicy::applyTiming(t, std::nullopt, p);
    CHECK(p.adaptive);
    CHECK(p.minTimeout == TransferPolicy::kMinRetransmitTimeout);
    CHECK(p.minTimeout == 200ms);
    TransferPolicy::applyTiming(t, 2u, p);
    CHECK_FALSE(p.adaptive);
    // A configured --timeout-ms below the floor is the floor.
    t.timeout = 100ms;
    TransferPolicy::applyTiming(t, std::nullopt, p);
    CHECK(p.adaptive);
    CHECK(p.minTimeout == 100ms);
}

TEST_CASE("retransmit floor: learnt per client, halved back, bounded", "[policy][timer]") {
    TransferPolicy policy({});
    const auto pi = boost::asio::ip::make_address("192.0.2.10");
    const auto other = boost::asio::ip::make_address("192.0.2.11");
    CHECK(policy.floorFor(pi) == TransferPolicy::kMinRetransmitTimeout);
    policy.transferTimed(pi, 800ms, true);  // its retransmits were spurious
    CHECK(policy.floorFor(pi) == 800ms);
    CHECK(policy.floorFor(boost::asio::ip::make_address("::ffff:192.0.2.10")) == 800ms);
    CHECK(policy.floorFor(other) == TransferPolicy::kMinRetransmitTimeout);
    policy.transferTimed(pi, 400ms, true);  // a lower one does not lower it
    CHECK(policy.floorFor(pi) == 800ms);
    policy.transferTimed(pi, 800ms, false);  // a clean transfer halves it
    CHECK(policy.floorFor(pi) == 400ms);
    policy.transferTimed(pi, 400ms, false);
    CHECK(policy.floorFor(pi) == TransferPolicy::kMinRetransmitTimeout);
    policy.transferTimed(other, 200ms, false);  // nothing learnt: nothing kept
    CHECK(policy.floorFor(other) == TransferPolicy::kMinRetransmitTimeout);
    // Bounded: the oldest entry makes room.
    for (unsigned i = 0; i <= TransferPolicy::kFloorClients; ++i) {
        const auto a = boost::asio::ip::make_address_v4(0xC6336400u + i);  // 198.51.100.0 + i
        policy.transferTimed(a, 1000ms, true);
    }
    CHECK(policy.floorFor(boost::asio::ip::make_address_v4(0xC6336400u)) ==
          TransferPolicy::kMinRetransmitTimeout);
    CHECK(policy.floorFor(boost::asio::ip::make_address_v4(0xC6336401u)) == 1000ms);
}
