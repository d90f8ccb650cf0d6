// Who gets a transfer, which transfer gives way when there is no room, and how long a transfer
// waits for its client. Pure: no sockets and no clock of its own. The server reports what
// starts, progresses and ends, and asks before it starts a transfer.
//
// The rules, from how a Pi fetches (docs/ and the sources cited in transfer_policy.cpp):
//  - a client over its --max-per-client quota makes room among its own transfers: a
//    half-open one (a Pi retrying a request whose answer it never saw) or a stalled one;
//  - a full server makes room by ending the transfer that has made the least progress for
//    longest: half-open ones first (no progress at all), then stalled ones (no ACK for
//    kStallAfter), whatever their negotiated timeout;
//  - a transfer that is moving is never ended for a newcomer: that request is refused.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>

#include "transfer.h"

namespace rpinetboot::tftpd {

class TransferPolicy {
  public:
    using TimePoint = Transfer::TimePoint;
    using Duration = Transfer::Duration;
    using Address = boost::asio::ip::address;

    struct Limits {
        unsigned maxTransfers = 1024;
        unsigned maxPerClient = 16;
    };

    // The configured retransmit behaviour (--timeout-ms and friends).
    struct Timing {
        Duration timeout{1000};
        Duration maxTimeout{4000};
        unsigned retries = 5;
        Duration halfOpenTimeout{3000};
    };

    // A client's `timeout` option above this is not granted (RFC 2349 lets the server only
    // accept the value or ignore the option).
    static constexpr unsigned kMaxTimeoutOptionSeconds = 5;
    // No transfer waits longer than this for its client's next ACK.
    static constexpr Duration kMaxSilence{30000};
    // An established transfer without a new ACK for this long is stalled: it may give way.
    static constexpr Duration kStallAfter{2000};
    // The shortest first retransmit timeout the measured round trip may bring (transfer_policy.cpp
    // says why).
    static constexpr Duration kMinRetransmitTimeout{200};

    enum class Verdict { Admit, Evict, Refuse };
    struct Decision {
        Verdict verdict = Verdict::Refuse;
        std::uint64_t victim = 0;  // for Evict: end this transfer, then admit
        const char* reason = "";   // for Evict and Refuse, for the log
        bool perClient = false;    // the client's own quota was full (not the server's)
    };

    explicit TransferPolicy(const Limits& limits) : limits_(limits) {}
    void setLimits(const Limits& limits) { limits_ = limits; }

    // May `client` start a transfer now? Evict means: end `victim` first (that frees the room).
    Decision admit(const Address& client, TimePoint now) const;

    void started(std::uint64_t id, const Address& client, TimePoint now);
    // The client acknowledged something new (its first ACK makes the transfer established).
    void progressed(std::uint64_t id, TimePoint now);
    void ended(std::uint64_t id);

    std::size_t transfers() const { return transfers_.size(); }
    unsigned transfersOf(const Address& client) const;

    // The retransmit parameters of a transfer: the configured timing, or the client's granted
    // `timeout` option, bounded so that the whole transfer never outlasts kMaxSilence without
    // progress. Fills the timing fields of `params`.
    static void applyTiming(const Timing& timing, std::optional<unsigned> grantedTimeoutSeconds,
                            Transfer::Params& params);

    // IPv4-mapped IPv6 addresses (dual-stack sockets) count as the IPv4 client they are.
    static Address canonical(const Address& a);

    // The retransmit floor a client's transfers learnt (Transfer::timeoutFloor): a transfer
    // that found its retransmits spurious hands its raised floor to the client's next ones (a
    // Pi fetches some twenty files in a row over the same path); one that ended without a
    // spurious retransmit halves it back towards kMinRetransmitTimeout. At most kFloorClients
    // clients are remembered (the oldest entry goes), so this cannot grow without bound.
    Duration floorFor(const Address& client) const;
    void transferTimed(const Address& client, Duration floor, bool spurious);
    static constexpr std::size_t kFloorClients = 4096;

  private:
    struct Entry {
        Address client;
        TimePoint started;
        TimePoint lastProgress;
        bool established = false;
    };
    // The transfer that has made the least progress for longest among those that may give
    // way (of `only` when set), or 0.
    std::uint64_t victim(TimePoint now, const Address* only) const;

    Limits limits_;
    std::unordered_map<std::uint64_t, Entry> transfers_;
    std::map<Address, unsigned> perClient_;
    struct Floor {
        Duration floor;
        std::uint64_t stamp;  // for dropping the oldest entry
    };
    std::map<Address, Floor> floors_;
    std::uint64_t floorStamp_ = 0;
};

}  // namespace rpinetboot::tftpd
