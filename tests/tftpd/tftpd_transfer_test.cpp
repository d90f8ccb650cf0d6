// The transfer state machine with injected time: retransmit only on timeout, bounded retries
// with backoff, half-open expiry, early terminate, windows and block-number rollover.
#include <catch2/catch.hpp>

#include "transfer.h"

using namespace rpinetboot::tftpd;
using namespace std::chrono_literals;

namespace {
Transfer::Params params(std::uint64_t size, std::uint16_t blk = 512, bool oack = false,
                        std::uint16_t window = 1) {
    Transfer::Params p;
    p.fileSize = size;
    p.blockSize = blk;
    p.sendOack = oack;
    p.windowSize = window;
    return p;
}
const Transfer::TimePoint t0{};
}  // namespace

TEST_CASE("a plain transfer sends each block once per ACK", "[transfer]") {
    Transfer t(params(1000), t0);
    CHECK(t.totalBlocks() == 2);
    auto s = t.start(t0);
    CHECK(s.firstBlock == 1);
    CHECK(s.count == 1);
    CHECK(t.blockLength(1) == 512);
    CHECK(t.halfOpen());
    s = t.onAck(1, t0 + 1ms);
    CHECK(s.firstBlock == 2);
    CHECK(t.blockLength(2) == 488);
    CHECK_FALSE(t.halfOpen());
    CHECK(t.onAck(2, t0 + 2ms).empty());
    CHECK(t.status() == Transfer::Status::Complete);
    CHECK(t.bytesAcked() == 1000);
}

TEST_CASE("an exact multiple of the block size ends with an empty block", "[transfer]") {
    Transfer t(params(1024), t0);
    CHECK(t.totalBlocks() == 3);
    CHECK(t.blockLength(3) == 0);
    Transfer empty(params(0), t0);
    CHECK(empty.totalBlocks() == 1);
    CHECK(empty.blockLength(1) == 0);
}

TEST_CASE("duplicate ACKs never trigger DATA (no Sorcerer's Apprentice)", "[transfer]") {
    Transfer t(params(5000), t0);
    t.start(t0);
    t.onAck(1, t0);
    CHECK(t.onAck(1, t0 + 1ms).empty());  // duplicate
    CHECK(t.onAck(0, t0 + 1ms).empty());  // stale
    CHECK(t.onAck(9, t0 + 1ms).empty());  // from the future
    CHECK(t.retransmits() == 0);
}

TEST_CASE("retransmit only on timeout, with backoff and a bounded count", "[transfer]") {
    auto p = params(5000);
    p.timeout = 1000ms;
    p.maxTimeout = 4000ms;
    p.maxRetries = 3;
    p.halfOpenTimeout = 60000ms;
    Transfer t(p, t0);
    t.start(t0);
    t.onAck(1, t0);  // established
    CHECK(t.deadline() == t0 + 1000ms);
    CHECK(t.onTimer(t0 + 999ms).empty());  // early: nothing
    auto s = t.onTimer(t0 + 1000ms);
    CHECK(s.firstBlock == 2);
    CHECK(t.deadline() == t0 + 3000ms);  // 2 s backoff
    t.onTimer(t0 + 3000ms);
    CHECK(t.deadline() == t0 + 7000ms);  // 4 s ceiling
    t.onTimer(t0 + 7000ms);
    CHECK(t.deadline() == t0 + 11000ms);
    CHECK(t.onTimer(t0 + 11000ms).empty());
    CHECK(t.status() == Transfer::Status::TimedOut);
    CHECK(t.retransmits() == 3);
}

TEST_CASE("progress resets the backoff", "[transfer]") {
    auto p = params(5000);
    p.halfOpenTimeout = 60000ms;
    Transfer t(p, t0);
    t.start(t0);
    t.onTimer(t0 + 1000ms);  // retransmit DATA 1
    t.onAck(1, t0 + 1500ms);
    CHECK(t.deadline() == t0 + 2500ms);
}

TEST_CASE("a half-open transfer expires within its limit", "[transfer]") {
    auto p = params(5000, 1468, true);
    p.halfOpenTimeout = 3000ms;
    Transfer t(p, t0);
    CHECK(t.start(t0).oack);
    CHECK(t.onTimer(t0 + 1000ms).oack);  // OACK re-sent on timeout
    CHECK(t.deadline() <= t0 + 3000ms);
    t.onTimer(t0 + 3000ms);
    CHECK(t.status() == Transfer::Status::TimedOut);
    CHECK(t.halfOpen());
}

TEST_CASE("the Pi's early terminate after OACK ends the transfer", "[transfer]") {
    Transfer t(params(5000, 1468, true), t0);
    t.start(t0);
    CHECK(t.onAck(1, t0).empty());  // not an OACK acknowledgement
    t.onClientError();
    CHECK(t.status() == Transfer::Status::ClientError);
    CHECK(t.onAck(0, t0).empty());
}

TEST_CASE("older firmware: ACK 0, DATA 1, then ERROR", "[transfer]") {
    Transfer t(params(5000, 1024, true), t0);
    t.start(t0);
    auto s = t.onAck(0, t0);
    CHECK(s.firstBlock == 1);
    t.onClientError();
    CHECK(t.status() == Transfer::Status::ClientError);
    CHECK(t.bytesAcked() == 0);
}

TEST_CASE("windows: full and partial ACKs", "[transfer]") {
    Transfer t(params(10 * 512 + 1, 512, true, 4), t0);
    t.start(t0);
    auto s = t.onAck(0, t0);
    CHECK(s.firstBlock == 1);
    CHECK(s.count == 4);
    s = t.onAck(2, t0);  // partial: client lost block 3
    CHECK(s.firstBlock == 3);
    CHECK(s.count == 4);
    s = t.onAck(6, t0);
    CHECK(s.firstBlock == 7);
    CHECK(s.count == 4);
    s = t.onAck(10, t0);
    CHECK(s.firstBlock == 11);
    CHECK(s.count == 1);
    t.onAck(11, t0);
    CHECK(t.status() == Transfer::Status::Complete);
}

TEST_CASE("block numbers roll over to 0 past 65535", "[transfer]") {
    const std::uint64_t size = 70000ull * 8;
    Transfer t(params(size, 8), t0);
    CHECK(t.needsRollover());
    t.start(t0);
    for (std::uint64_t b = 1; b <= 70001; ++b) {
        auto s = t.onAck(Transfer::wireBlock(b), t0);
        if (b < 70001) {
            REQUIRE(s.firstBlock == b + 1);
        }
    }
    CHECK(Transfer::wireBlock(65536) == 0);
    CHECK(t.status() == Transfer::Status::Complete);
    CHECK_FALSE(Transfer(params(65534ull * 512), t0).needsRollover());
}

TEST_CASE("early terminate pattern: only an ERROR before any DATA is acknowledged", "[transfer]") {
    Transfer probe(params(5000, 1468, true), t0);
    probe.start(t0);
    probe.onClientError();
    CHECK(probe.endedByProbe());
    Transfer data1(params(5000, 1024, true), t0);
    data1.start(t0);
    data1.onAck(0, t0);
    data1.onClientError();
    CHECK(data1.endedByProbe());
    Transfer mid(params(5000, 512), t0);
    mid.start(t0);
    mid.onAck(1, t0);
    mid.onClientError();
    CHECK_FALSE(mid.endedByProbe());
    Transfer done(params(100), t0);
    done.start(t0);
    done.onAck(1, t0);
    CHECK_FALSE(done.endedByProbe());
}

TEST_CASE("progress is remembered for the eviction policy", "[transfer]") {
    Transfer t(params(5000, 512, true), t0);
    t.start(t0);
    CHECK(t.lastProgress() == t0);
    t.onAck(0, t0 + 5ms);
    CHECK(t.lastProgress() == t0 + 5ms);
    t.onAck(0, t0 + 9ms);  // duplicate: no progress
    CHECK(t.lastProgress() == t0 + 5ms);
    t.onAck(1, t0 + 10ms);
    CHECK(t.lastProgress() == t0 + 10ms);
}

// The adaptive retransmit timer (RFC 6298, bounded as transfer_policy.cpp explains).
namespace {
Transfer::Params adaptive(std::uint64_t size = 100000, bool oack = false) {
    auto p = params(size, 1468, oack);
    p.timeout = 1000ms;
    p.maxTimeout = 4000ms;
    p.minTimeout = 200ms;
    p.adaptive = true;
    p.halfOpenTimeout = 60000ms;
    return p;
}
}  // namespace

TEST_CASE("adaptive timer: the configured timeout until a round trip is measured",
          "[transfer][timer]") {
    Transfer t(adaptive(100000, true), t0);
    CHECK(t.start(t0).oack);
    CHECK(t.baseTimeout() == 1000ms);
    CHECK(t.deadline() == t0 + 1000ms);  // the OACK: answered before the Pi's 2 s RRQ retry
}

TEST_CASE("adaptive timer: a LAN round trip gives the 200 ms floor, not less",
          "[transfer][timer]") {
    Transfer t(adaptive(100000, true), t0);
    t.start(t0);
    auto now = t0 + 300us;
    t.onAck(0, now);  // ACK of the OACK: the first sample
    CHECK(t.smoothedRtt() == 300us);
    CHECK(t.baseTimeout() == 200ms);
    CHECK(t.deadline() == now + 200ms);
    for (std::uint16_t b = 1; b <= 20; ++b) {
        now += 250us;
        t.onAck(b, now);
    }
    CHECK(t.baseTimeout() == 200ms);
    CHECK(t.deadline() == now + 200ms);
    // A lost ACK: DATA 21 is re-sent after 200 ms, not after 1 s.
    CHECK(t.onTimer(now + 199ms).empty());
    auto s = t.onTimer(now + 200ms);
    CHECK(s.firstBlock == 21);
    CHECK(t.retransmits() == 1);
    CHECK(t.deadline() == now + 200ms + 400ms);  // then the usual doubling
}

TEST_CASE("adaptive timer: a slow path stretches it, never past the configured timeout",
          "[transfer][timer]") {
    Transfer t(adaptive(), t0);
    t.start(t0);
    auto now = t0 + 300ms;
    t.onAck(1, now);  // 300 ms: RTO 300 + 4 x 150 = 900 ms
    CHECK(t.baseTimeout() == 900ms);
    for (std::uint16_t b = 2; b <= 40; ++b) {
        now += 300ms;
        t.onAck(b, now);  // steady 300 ms: RTTVAR decays, the RTO approaches the RTT
    }
    CHECK(t.baseTimeout() > 300ms);
    CHECK(t.baseTimeout() < 400ms);
    now += 5s;
    t.onAck(41, now);  // one 5 s outlier: capped at the configured 1 s
    CHECK(t.baseTimeout() == 1000ms);
}

TEST_CASE("adaptive timer: no sample from a re-sent packet (Karn)", "[transfer][timer]") {
    Transfer t(adaptive(), t0);
    t.start(t0);
    CHECK(t.onTimer(t0 + 1000ms).firstBlock == 1);  // DATA 1 re-sent
    t.onAck(1, t0 + 1001ms);                        // for which copy? unknown: no sample
    CHECK(t.smoothedRtt() == 0us);
    CHECK(t.baseTimeout() == 1000ms);
    t.onAck(2, t0 + 1002ms);  // DATA 2 was sent once: 1 ms
    CHECK(t.smoothedRtt() == 1ms);
    CHECK(t.baseTimeout() == 200ms);
}

TEST_CASE("a fixed timer when the client asked for one", "[transfer][timer]") {
    auto p = adaptive();
    p.adaptive = false;
    Transfer t(p, t0);
    t.start(t0);
    t.onAck(1, t0 + 1ms);
    CHECK(t.baseTimeout() == 1000ms);
    CHECK(t.deadline() == t0 + 1ms + 1000ms);
}

TEST_CASE("adaptive timer: a spurious retransmit doubles the transfer's floor",
          "[transfer][timer]") {
    Transfer t(adaptive(), t0);
    t.start(t0);
    auto now = t0 + 20ms;
    t.onAck(1, now);  // 20 ms round trip: RTO 20 + 4 x 10 = 60 ms, floored at 200 ms
    CHECK(t.baseTimeout() == 200ms);
    // DATA 2's ACK comes 50 ms after the timer's re-send: more than half the 20 ms round
    // trip, so it may answer the re-send. Not counted as spurious.
    CHECK(t.onTimer(now + 200ms).firstBlock == 2);
    t.onAck(2, now + 250ms);
    CHECK(t.spuriousRetransmits() == 0);
    CHECK(t.timeoutFloor() == 200ms);
    now += 250ms;
    // Karn: DATA 2 was re-sent, so DATA 3 keeps the backed-off 400 ms.
    CHECK(t.deadline() == now + 400ms);
    // DATA 3's ACK arrives 1 ms after the re-send: it answers the original.
    CHECK(t.onTimer(now + 400ms).firstBlock == 3);
    t.onAck(3, now + 401ms);
    CHECK(t.spuriousRetransmits() == 1);
    CHECK(t.timeoutFloor() == 400ms);
    CHECK(t.baseTimeout() == 400ms);
    now += 401ms;
    for (int i = 0; i < 3; ++i) {  // and again: capped at the configured timeout
        const auto block = static_cast<std::uint16_t>(4 + i);
        const auto at = t.deadline();
        CHECK(t.onTimer(at).firstBlock == block);
        t.onAck(block, at + 1ms);
        now = at + 1ms;
    }
    CHECK(t.timeoutFloor() == 1000ms);
    CHECK(t.baseTimeout() == 1000ms);
}

TEST_CASE("adaptive timer: the backed-off timeout stays until a packet sent once is answered",
          "[transfer][timer]") {
    Transfer t(adaptive(), t0);
    t.start(t0);
    auto now = t0 + 1ms;
    t.onAck(1, now);  // sample: 1 ms, so 200 ms
    CHECK(t.deadline() == now + 200ms);
    CHECK(t.onTimer(now + 200ms).firstBlock == 2);  // backed off to 400 ms
    now += 250ms;
    t.onAck(2, now);  // for the original or the re-send: no sample, backoff kept
    CHECK(t.deadline() == now + 400ms);
    now += 1ms;
    t.onAck(3, now);  // DATA 3 was sent once: a sample, back to 200 ms
    CHECK(t.deadline() == now + 200ms);
}
