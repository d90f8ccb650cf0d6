// The fleet registry: one record per Pi the hook answered (serial, MAC, model, board revision,
// address, phase, first and last seen). The record lives in the Pi's own lease, under the key
// "rpi-netboot" of the lease's user-context, so lease4-get shows it and whatever stores or
// replicates leases (memfile, SQL back ends, HA partners) carries it. PiRegistry is the in-memory
// index over those leases, by MAC: rebuilt from the lease store when the hook is configured,
// kept in step as the hook writes leases, and never larger than the leases it indexes
// (docs/kea.md, "Identity"). Free of callout glue: record <-> JSON and the index are unit-tested
// without Kea running.
#pragma once

#include <cc/data.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/mac.h"
#include "rpinetboot/pi_model.h"
#include "rpinetboot/serial.h"

namespace rpinetboot::kea {

// The user-context key of the record.
inline constexpr const char* kRegistryContextKey = "rpi-netboot";
// The same as a string made once (MapElement::set takes one).
const std::string& recordContextKey();

enum class PiPhase {
    Boot,  // the boot ROM, bootcode.bin or the EEPROM bootloader (PXE, option 60 PXEClient)
    Os,    // a later exchange from the same MAC: Linux (kernel ip=dhcp, klibc, dhcpcd, ...)
};
const char* phaseName(PiPhase phase);

struct PiRecord {
    MacAddress mac;
    std::optional<Serial> serial;     // none from the Pi 3B ROM (DISCOVER shape A)
    PiModel model = PiModel::Pi4;     // the boot stage last seen in the boot phase
    std::uint32_t boardRevision = 0;  // Pi 4/5 option 97 only; 0 = not sent
    std::uint32_t address = 0;        // host order: the lease's address
    PiPhase phase = PiPhase::Boot;
    std::int64_t firstSeen = 0;  // seconds since the epoch
    std::int64_t lastSeen = 0;
    std::string hostname;  // what the OS phase was sent (option 12), if anything
    std::string rootPath;  // option 17, likewise

    bool operator==(const PiRecord& o) const;
    bool operator!=(const PiRecord& o) const { return !(*this == o); }
};

// Whether two records differ in more than last-seen: what a lease write must carry, where only
// a later last-seen may wait for the lease's next write (Kea's lease caching, registry_store.h).
bool differsBeyondLastSeen(const PiRecord& a, const PiRecord& b);

// Whether a lease must be written for `record` when `stored` is what the lease holds (the
// registry's record of that MAC, which follows every write): when there is none, or it differs
// in more than last-seen. Last-seen alone never costs a write: the lease's own cltt says when its
// Pi was last answered, and the registry keeps the exact time for the control commands.
bool recordWriteDue(const std::optional<PiRecord>& stored, const PiRecord& record);

// The JSON map of the control command answers (and the user-context value older versions
// wrote). Adds the decoded board revision and the class name for people; fromElement reads back
// only what it needs.
isc::data::ElementPtr toElement(const PiRecord& record);
// nullopt and *error for anything that is not a record map this or an older version wrote in a
// form it can read: never throws, whatever the element holds.
std::optional<PiRecord> recordFromElement(const isc::data::ConstElementPtr& element,
                                          std::string* error);

// The record as a lease's user-context holds it: one string, so one JSON node where the map is
// fourteen (built, read and written as JSON by the lease store per record write; docs/kea.md).
// Fields, separated by ';': the format's version "2", MAC, serial (empty: none), model, board
// revision (8 hex digits, empty: not sent), address, phase, first-seen, last-seen, hostname,
// root path (last: it may contain ';'; a hostname cannot, identity_config.h). docs/kea.md,
// "Identity", has an example.
std::string toLeaseText(const PiRecord& record);
// nullopt and *error for text that is not such a record; never throws.
std::optional<PiRecord> recordFromLeaseText(std::string_view text, std::string* error);

// `context` (a lease's user-context, possibly null or not a map) with the record's lease text
// set under kRegistryContextKey and every other key kept (Kea's own "ISC" extended info).
isc::data::ElementPtr contextWithRecord(const isc::data::ConstElementPtr& context,
                                        const PiRecord& record);
// The record in a lease's user-context, in either form (the lease text, or the map versions
// before it wrote): nullopt without error when there is none, nullopt with *error when there is
// one that cannot be read.
std::optional<PiRecord> recordInContext(const isc::data::ConstElementPtr& context,
                                        std::string* error);

// Records at most this many Pis at once (one per lease, so a pool bounds it long before).
inline constexpr std::size_t kMaxRegistryRecords = 1u << 20;

class PiRegistry {
  public:
    explicit PiRegistry(std::size_t maxRecords = kMaxRegistryRecords) : max_(maxRecords) {}

    std::optional<PiRecord> byMac(const MacAddress& mac) const;
    // Lock-free, for the test every query makes: false when `mac` has no record. True may be
    // wrong (a bit set by another MAC, or by a record since removed: bits are cleared only by
    // clear()), so the caller then asks byMac. Most queries are not a Pi's: they stop here
    // (inline: it is most of what such a query costs the hook).
    bool mayKnow(const MacAddress& mac) const noexcept {
        const std::size_t bit = filterBit(mac);
        return (filter_[bit / 64].load(std::memory_order_acquire) >> (bit % 64)) & 1u;
    }
    std::optional<PiRecord> bySerial(Serial serial) const;  // the most recently seen
    std::optional<PiRecord> byAddress(std::uint32_t address) const;
    std::vector<PiRecord> all() const;  // by MAC
    std::size_t size() const;

    // Adds or replaces the record of record.mac. False (nothing changed) when full.
    bool put(const PiRecord& record);
    // Forgets `mac` when its record is at `address` (its lease expired or was released); a record
    // that has moved on to another address stays.
    bool remove(const MacAddress& mac, std::uint32_t address);
    void clear();

    // Whether the index was filled from the lease store since the hook was configured.
    bool loaded() const;
    void setLoaded(bool loaded);

  private:
    // 65,536 bits (8 KiB): a fleet of 1,000 Pis sets under 2% of them.
    static constexpr std::size_t kFilterWords = 1024;
    static std::size_t filterBit(const MacAddress& mac) noexcept {
        // The MAC as a 48-bit number, spelt out (a loop over the bytes was not unrolled).
        const auto& b = mac.bytes();
        const std::uint64_t v = std::uint64_t{b[0]} << 40 | std::uint64_t{b[1]} << 32 |
                                std::uint64_t{b[2]} << 24 | std::uint64_t{b[3]} << 16 |
                                std::uint64_t{b[4]} << 8 | b[5];
        // Fibonacci hashing: the top 16 bits of the product mix every byte of the MAC.
        return static_cast<std::size_t>((v * 0x9e3779b97f4a7c15ULL) >> 48);
    }

    mutable std::mutex mutex_;
    std::map<MacAddress, PiRecord> byMac_;
    std::size_t max_;
    std::atomic<bool> loaded_{false};
    std::array<std::atomic<std::uint64_t>, kFilterWords> filter_{};
};

// MACs with a Pi's OUI that the lease store had no record for, each remembered for `ttl` seconds
// (a Pi that boots from its SD card asks like any client, and would otherwise cost a lease-store
// query per packet). Bounded: when full, the oldest entries go first. forget() when the MAC gets a
// record here; a record written by an HA partner is seen once the entry expires.
class LeaseMisses {
  public:
    static constexpr std::int64_t kDefaultTtl = 10;
    static constexpr std::size_t kDefaultMax = 4096;
    explicit LeaseMisses(std::int64_t ttl = kDefaultTtl, std::size_t maxEntries = kDefaultMax)
        : ttl_(ttl), max_(maxEntries) {}

    // Whether `mac` missed less than ttl seconds before `now` (an expired entry is dropped).
    bool recent(const MacAddress& mac, std::int64_t now);
    void add(const MacAddress& mac, std::int64_t now);
    void forget(const MacAddress& mac);
    void clear();
    std::size_t size() const;

  private:
    mutable std::mutex mutex_;
    std::map<MacAddress, std::int64_t> expiry_;  // MAC -> the time its entry ends
    std::int64_t ttl_;
    std::size_t max_;
};

}  // namespace rpinetboot::kea
