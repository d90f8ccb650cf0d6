#include "transfer_policy.h"

#include <algorithm>

namespace rpinetboot::tftpd {

namespace asio = boost::asio;

// Timing, from the Pi's own: its bootloader re-sends an unanswered RRQ every 2 s and gives up
// a file after 30 s (TFTP_FILE_TIMEOUT, "Raspberry Pi bootloader configuration" in the Raspberry
// Pi documentation). Retransmitting after the Pi has given up only holds a slot, so no transfer
// waits more than those 30 s for an ACK, and a `timeout` option is granted only up to 5 s: the
// default 5 retries at 5 s fill the 30 s. A client asking timeout=255 (about 1530 s over the
// retries) could otherwise hold a slot for half an hour after it went silent.
static_assert(TransferPolicy::kMaxSilence.count() ==
                  TransferPolicy::kMaxTimeoutOptionSeconds * 1000 * (5 + 1),
              "5 retries at the largest granted timeout fill the Pi's 30 s");

TransferPolicy::Address TransferPolicy::canonical(const Address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    }
    return a;
}

unsigned TransferPolicy::transfersOf(const Address& client) const {
    auto it = perClient_.find(canonical(client));
    return it == perClient_.end() ? 0 : it->second;
}

std::uint64_t TransferPolicy::victim(TimePoint now, const Address* only) const {
    // Half-open transfers have made no progress at all: the oldest of them goes first. Then
    // the established one silent for longest, if it is stalled. Ties by id (start order).
    std::uint64_t best = 0;
    bool bestHalfOpen = false;
    TimePoint bestSince{};
    for (const auto& [id, e] : transfers_) {
        if (only && e.client != *only) continue;
        const bool halfOpen = !e.established;
        if (!halfOpen && now - e.lastProgress < kStallAfter) continue;  // moving: stays
        const TimePoint since = halfOpen ? e.started : e.lastProgress;
        const bool better =
            best == 0 || (halfOpen && !bestHalfOpen) ||
            (halfOpen == bestHalfOpen && (since < bestSince || (since == bestSince && id < best)));
        if (better) {
            best = id;
            bestHalfOpen = halfOpen;
            bestSince = since;
        }
    }
    return best;
}

TransferPolicy::Decision TransferPolicy::admit(const Address& client, TimePoint now) const {
    const Address ip = canonical(client);
    Decision d;
    if (transfersOf(ip) >= limits_.maxPerClient) {
        d.perClient = true;
        // Its own quota is full: its own half-open or stalled transfer gives way (a Pi that
        // re-requests after a lost answer is served at once), never another client's and
        // never one of its transfers that is moving (a forged request from its address must
        // not end a running transfer).
        if (auto v = victim(now, &ip)) {
            d.verdict = Verdict::Evict;
            d.victim = v;
            d.reason = "client quota full";
            return d;
        }
        d.reason = "client quota full";
        return d;
    }
    if (transfers_.size() < limits_.maxTransfers) {
        d.verdict = Verdict::Admit;
        return d;
    }
    if (auto v = victim(now, nullptr)) {
        d.verdict = Verdict::Evict;
        d.victim = v;
        d.reason = "server full";
        return d;
    }
    d.reason = "server full of moving transfers";
    return d;
}

void TransferPolicy::started(std::uint64_t id, const Address& client, TimePoint now) {
    const Address ip = canonical(client);
    if (!transfers_.emplace(id, Entry{ip, now, now, false}).second) return;
    ++perClient_[ip];
}

void TransferPolicy::progressed(std::uint64_t id, TimePoint now) {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) return;
    it->second.established = true;
    it->second.lastProgress = now;
}

void TransferPolicy::ended(std::uint64_t id) {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) return;
    auto pc = perClient_.find(it->second.client);
    if (pc != perClient_.end() && --pc->second == 0) perClient_.erase(pc);
    transfers_.erase(it);
}

void TransferPolicy::applyTiming(const Timing& timing, std::optional<unsigned> grantedTimeout,
                                 Transfer::Params& p) {
    p.timeout = grantedTimeout
                    ? Duration(std::min(*grantedTimeout, kMaxTimeoutOptionSeconds) * 1000u)
                    : timing.timeout;
    p.timeout = std::min(p.timeout, kMaxSilence);
    p.maxTimeout = std::min(std::max(p.timeout, timing.maxTimeout), kMaxSilence);
    p.maxRetries = timing.retries;
    p.halfOpenTimeout = std::min(timing.halfOpenTimeout, kMaxSilence);
    p.maxSilence = kMaxSilence;
}

}  // namespace rpinetboot::tftpd
