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
//
// The retransmit timer, from the same two facts (docs/protocol/tftp.md, "Retries and time
// limits"): the Pi gives a whole file 30 s, and it re-sends only an unanswered RRQ (every 2 s);
// a lost DATA or a lost ACK during the transfer is recovered by the server's timer alone, and
// the server never answers a duplicate ACK (docs/protocol/tftp.md, "No duplicate DATA").
// So every lost packet costs the file one full timeout, out of its 30 s. At 0.5% loss each way
// a kernel of 9 MB (about 6400 blocks of 1468 bytes) loses about 64 packets: a fixed 1 s
// timer spends 64 s and the Pi abandons the file, 200 ms spends about 13 s. The first timeout
// therefore follows the measured round trip (RFC 6298), but never below 200 ms (Linux's own
// TCP minimum, TCP_RTO_MIN): a LAN round trip is well under 1 ms, and a timer far above it
// keeps a merely late ACK from drawing a duplicate DATA, which some start4.elf versions
// cannot take (firmware#1631). Until a round trip is measured (the OACK or DATA 1, the RRQ's
// answer) the configured --timeout-ms holds: 1 s answers a lost first reply before the Pi's
// own 2 s RRQ retry. Backoff doubles from there to --max-timeout-ms, as before.
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

TransferPolicy::Duration TransferPolicy::floorFor(const Address& client) const {
    auto it = floors_.find(canonical(client));
    return it == floors_.end() ? kMinRetransmitTimeout : it->second.floor;
}

void TransferPolicy::transferTimed(const Address& client, Duration floor, bool spurious) {
    const Address ip = canonical(client);
    auto it = floors_.find(ip);
    if (!spurious) {
        if (it == floors_.end()) return;
        it->second.floor /= 2;
        if (it->second.floor <= kMinRetransmitTimeout) floors_.erase(it);
        return;
    }
    if (floor <= kMinRetransmitTimeout) return;
    if (it == floors_.end()) {
        if (floors_.size() >= kFloorClients) {
            auto oldest = std::min_element(
                floors_.begin(), floors_.end(),
                [](const auto& a, const auto& b) { return a.second.stamp < b.second.stamp; });
            floors_.erase(oldest);
        }
        it = floors_.emplace(ip, Floor{floor, 0}).first;
    }
    it->second.floor = std::max(it->second.floor, floor);
    it->second.stamp = ++floorStamp_;
}

void TransferPolicy::applyTiming(const Timing& timing, std::optional<unsigned> grantedTimeout,
                                 Transfer::Params& p) {
    p.timeout = grantedTimeout
                    ? Duration(std::min(*grantedTimeout, kMaxTimeoutOptionSeconds) * 1000u)
                    : timing.timeout;
    p.timeout = std::min(p.timeout, kMaxSilence);
    p.maxTimeout = std::min(std::max(p.timeout, timing.maxTimeout), kMaxSilence);
    p.maxRetries = timing.retries;
    // A client that asked for a timeout gets exactly that (RFC 2349); the Pis never ask.
    p.adaptive = !grantedTimeout;
    p.minTimeout = std::min(kMinRetransmitTimeout, p.timeout);
    p.halfOpenTimeout = std::min(timing.halfOpenTimeout, kMaxSilence);
    p.maxSilence = kMaxSilence;
}

}  // namespace rpinetboot::tftpd
