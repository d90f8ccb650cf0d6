// The bookkeeping behind ROM holds, free of Kea so that it can be unit-tested (and run under
// ThreadSanitizer) on its own: which holds the hook made, which are confirmed by the Pi coming
// back, and which unconfirmed ones give way, oldest first, when a subnet reaches its cap.
//
// Why: anyone on the LAN can send DISCOVERs shaped like the Pi 3B ROM from random MACs. If each
// OFFER were held for a full lease time, a few hundred such packets would empty a pool. A real
// Pi comes back at its next stage within seconds (after the ROM's DHCP it fetches bootcode.bin
// over TFTP, and bootcode.bin asks DHCP again: raspberrypi/documentation, boot-net.adoc), so a
// hold is short until the Pi proves itself, and a subnet keeps at most a configured number of
// such unconfirmed holds. hook_config.h derives the default lifetime.
//
// Not thread-safe by itself: RomHolds (rom_hold.h) serialises every call with one mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <deque>
#include <list>
#include <map>
#include <vector>

#include "rpinetboot/classify.h"
#include "rpinetboot/mac.h"

namespace rpinetboot::kea {

struct HoldLimits {
    std::uint32_t unconfirmedLifetime;  // seconds an unconfirmed hold lasts
    std::uint32_t maxUnconfirmed;       // per subnet
};

// The lease a hold wrote: enough to recognise it later (Kea may have replaced it meanwhile).
struct HoldRecord {
    MacAddress mac;
    std::uint32_t address = 0;  // host order
    std::uint32_t subnet = 0;
    std::time_t cltt = 0;
    std::uint32_t lifetime = 0;
};

struct HoldPlan {
    bool confirmed = false;
    std::uint32_t lifetime = 0;       // seconds to hold this OFFER for
    std::vector<HoldRecord> release;  // unconfirmed holds to give back first, oldest first
};

class HoldBook {
  public:
    explicit HoldBook(HoldLimits limits) : limits_(limits) {}

    // Before holding an OFFER of `offeredLifetime` seconds to `mac` at stage `stage` in
    // `subnet`. Forgets expired holds; decides whether the Pi has come back at a later stage
    // (confirmed: the OFFER's own lifetime) or not (the short lifetime, and room is made under
    // the subnet's cap by handing back the oldest unconfirmed holds, removed from the book here).
    HoldPlan plan(const MacAddress& mac, PiModel stage, std::uint32_t subnet,
                  std::uint32_t offeredLifetime, std::time_t now);

    // The hold is in the lease database as `hold`. `ours` false: the client already had a lease
    // the hook did not write (Kea's own, e.g. from a REQUEST or offer-lifetime), left as it was;
    // it then never counts against the cap. Returns true when this hold makes the subnet reach
    // its cap (once, until the subnet has drained to half of it).
    bool record(const HoldRecord& hold, PiModel stage, bool confirmed, bool ours);

    // Whether `hold` is a lease this book wrote and still tracks (so the hook may update it).
    bool isOurs(const HoldRecord& hold) const;

    std::size_t unconfirmed(std::uint32_t subnet) const;
    std::size_t remembered() const { return entries_.size(); }
    std::vector<std::uint32_t> subnets() const;  // every subnet a hold was recorded in
    const HoldLimits& limits() const { return limits_; }

    // MACs remembered at most, so that a flood of random MACs costs bounded memory.
    static constexpr std::size_t kMaxRemembered = 16384;

  private:
    struct Entry {
        HoldRecord hold;
        PiModel stage = PiModel::Rom3;
        bool confirmed = false;
        bool ours = false;     // the lease in the database is the one this book wrote
        bool queued = false;   // in its subnet's unconfirmed queue (`position` valid)
        std::time_t seen = 0;  // last OFFER held for it
        std::uint64_t generation = 0;
        std::list<MacAddress>::iterator position;
    };
    struct Subnet {
        std::list<MacAddress> unconfirmed;  // oldest first
        bool atCap = false;
    };

    void expire(Subnet& subnet, std::time_t now);
    void dequeue(Entry& entry);
    void forgetOld(std::time_t now);

    HoldLimits limits_;
    std::map<MacAddress, Entry> entries_;
    std::map<std::uint32_t, Subnet> subnets_;
    // Every entry once per record(), oldest first, so the oldest can be forgotten.
    std::deque<std::pair<MacAddress, std::uint64_t>> rememberOrder_;
    std::uint64_t generation_ = 0;
};

}  // namespace rpinetboot::kea
