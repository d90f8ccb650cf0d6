#include "transfer.h"

#include <algorithm>

namespace rpinetboot::tftpd {

Transfer::Transfer(const Params& params, TimePoint now)
    : p_(params),
      // A file that is an exact multiple of the block size ends with an empty block.
      totalBlocks_(params.fileSize / params.blockSize + 1),
      startedAt_(now),
      lastProgress_(now),
      deadline_(now),
      currentTimeout_(params.timeout),
      windowSentAt_(now),
      floor_(std::min(params.minTimeout, params.timeout)) {
    if (p_.windowSize == 0) p_.windowSize = 1;
}

std::uint64_t Transfer::bytesAcked() const {
    return std::min<std::uint64_t>(acked_ * p_.blockSize, p_.fileSize);
}

std::uint64_t Transfer::blockOffset(std::uint64_t block) const {
    return (block - 1) * p_.blockSize;
}

std::size_t Transfer::blockLength(std::uint64_t block) const {
    const std::uint64_t offset = blockOffset(block);
    if (offset >= p_.fileSize) return 0;
    return static_cast<std::size_t>(std::min<std::uint64_t>(p_.blockSize, p_.fileSize - offset));
}

Transfer::Duration Transfer::baseTimeout() const {
    if (!p_.adaptive || !haveRtt_) return p_.timeout;
    // RFC 6298 section 2: RTO = SRTT + max(G, 4 RTTVAR), G the clock granularity (1 ms here).
    const auto rto =
        srtt_ + std::max<std::chrono::microseconds>(std::chrono::milliseconds(1), 4 * rttvar_);
    const auto rounded = std::chrono::ceil<Duration>(rto);
    return std::clamp(rounded, floor_, p_.timeout);
}

void Transfer::sampleRtt(TimePoint now) {
    const bool resent = windowResent_;
    windowResent_ = false;
    const auto r = std::chrono::duration_cast<std::chrono::microseconds>(now - windowSentAt_);
    if (resent) {
        // Karn: which copy was answered is unknown, so no sample. But an answer sooner than
        // half a round trip after the re-send can only be the original's: the re-send was
        // spurious (the ACK was late, not lost; the idea of RFC 3522's detection). Each one
        // doubles this transfer's floor, so a slow or busy path stops drawing duplicates.
        if (haveRtt_ && r < srtt_ / 2) {
            ++spurious_;
            floor_ = std::min(floor_ * 2, p_.timeout);
        }
        return;
    }
    if (r.count() < 0) return;
    if (!haveRtt_) {
        srtt_ = r;
        rttvar_ = r / 2;
        haveRtt_ = true;
        return;
    }
    // RFC 6298 section 2.3, alpha 1/8 and beta 1/4.
    const auto diff = srtt_ > r ? srtt_ - r : r - srtt_;
    rttvar_ = (3 * rttvar_ + diff) / 4;
    srtt_ = (7 * srtt_ + r) / 8;
}

void Transfer::progressTimeout(TimePoint now) {
    const bool resent = windowResent_;
    sampleRtt(now);
    // Karn's rule, second half (RFC 6298 section 5, note on backoff): after a retransmit the
    // backed-off timeout stays until a packet sent once is answered, so a path that has gone
    // slow is not re-sent to every 200 ms meanwhile. A fixed (client-asked) timer resets.
    if (p_.adaptive && resent) return;
    currentTimeout_ = baseTimeout();
}

void Transfer::arm(TimePoint now) {
    deadline_ = std::min(now + currentTimeout_, lastProgress_ + p_.maxSilence);
    if (!established_) deadline_ = std::min(deadline_, startedAt_ + p_.halfOpenTimeout);
}

Transfer::Send Transfer::start(TimePoint now) {
    if (p_.sendOack) {
        oackOutstanding_ = true;
        windowSentAt_ = now;
        arm(now);
        Send s;
        s.oack = true;
        return s;
    }
    return nextWindow(now);
}

Transfer::Send Transfer::nextWindow(TimePoint now) {
    Send s;
    s.firstBlock = acked_ + 1;
    s.count = std::min<std::uint64_t>(p_.windowSize, totalBlocks_ - acked_);
    sentUpTo_ = acked_ + s.count;
    windowSentAt_ = now;
    arm(now);
    return s;
}

Transfer::Send Transfer::onAck(std::uint16_t block, TimePoint now) {
    if (status_ != Status::Running) return {};
    if (oackOutstanding_) {
        // Only ACK 0 acknowledges an OACK; anything else is stale and ignored.
        if (block != 0) return {};
        oackOutstanding_ = false;
        established_ = true;
        lastProgress_ = now;
        retries_ = 0;
        progressTimeout(now);
        return nextWindow(now);
    }
    // Map the 16-bit number onto the outstanding window (acked_, sentUpTo_].
    const auto delta = static_cast<std::uint16_t>(block - wireBlock(acked_));
    if (delta == 0 || acked_ + delta > sentUpTo_) {
        // Duplicate or stale ACK: never answer it with DATA (Sorcerer's Apprentice, RFC 1123
        // 4.2.3.1; duplicate DATA confuses some start4.elf versions, firmware#1631).
        return {};
    }
    acked_ += delta;
    established_ = true;
    lastProgress_ = now;
    retries_ = 0;
    progressTimeout(now);
    if (acked_ >= totalBlocks_) {
        status_ = Status::Complete;
        return {};
    }
    // A partial window ACK (RFC 7440) restarts the window after the acknowledged block.
    return nextWindow(now);
}

void Transfer::onClientError() {
    if (status_ == Status::Running) status_ = Status::ClientError;
}

Transfer::Send Transfer::onTimer(TimePoint now) {
    if (status_ != Status::Running || now < deadline_) return {};
    if (!established_ && now >= startedAt_ + p_.halfOpenTimeout) {
        status_ = Status::TimedOut;
        return {};
    }
    if (retries_ >= p_.maxRetries || now >= lastProgress_ + p_.maxSilence) {
        status_ = Status::TimedOut;
        return {};
    }
    ++retries_;
    currentTimeout_ = std::min(currentTimeout_ * 2, p_.maxTimeout);
    Send s;
    if (oackOutstanding_) {
        s.oack = true;
        ++retransmits_;
        windowResent_ = true;
        arm(now);
        return s;
    }
    s = nextWindow(now);
    windowResent_ = true;
    retransmits_ += static_cast<unsigned>(s.count);
    return s;
}

}  // namespace rpinetboot::tftpd
