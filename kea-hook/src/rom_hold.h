// Holding the address offered to a Pi 3B boot ROM or bootcode.bin. Neither sends DHCPREQUEST;
// both use the OFFER as if it were an ACK (raspberrypi/firmware#1303), so Kea 2.2 never records
// a lease and would offer the same address to the next client. The hold records the offer as the
// lease the Pi in effect took: bound to its MAC, in Kea's own lease database, where Kea's
// allocator honours it and Kea's reclamation expires it.
//
// Holds are short until the Pi comes back at its next stage, and capped per subnet, oldest
// unconfirmed first (hold_book.h says why): random-MAC ROM DISCOVERs cannot empty a pool.
#pragma once

#include <cc/data.h>
#include <dhcp/pkt4.h>
#include <dhcpsrv/lease.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "hold_book.h"
#include "rpinetboot/pi_model.h"
#include "user_context.h"

namespace rpinetboot::kea {

struct Placement;  // where an address lies in Kea's configuration (rom_hold.cpp)

enum class HoldOutcome {
    Held,       // a new lease was added (or an expired one taken over)
    Refreshed,  // the Pi already had this address: its hold renewed, or its lease left as it was
    Conflict,   // another client holds the address: the OFFER must not be sent
    NoSubnet,   // yiaddr is in no configured subnet (nothing to hold)
};

struct HoldResult {
    HoldOutcome outcome = HoldOutcome::NoSubnet;
    std::uint32_t lifetime = 0;  // seconds
    bool confirmed = false;      // the Pi came back at its next stage
    std::uint32_t subnet = 0;
    std::size_t released = 0;     // unconfirmed holds given back to make room
    std::size_t unconfirmed = 0;  // in the subnet, after this hold
    bool capReached = false;      // this hold filled the subnet's cap (reported once)
    // The lease backing the OFFER was written by this hold with `decorate` applied (a hold left
    // as it was, or Kea's own lease, is not written: decorate was not applied).
    bool decorated = false;
    // For an HA partner (hold_replication.h), made only with LeaseCopies::Make (null otherwise):
    // a copy of the lease now backing the OFFER (the hold, or Kea's own lease of this client),
    // and of the holds deleted to make room. Empty for Conflict and NoSubnet.
    isc::dhcp::Lease4CollectionPtr lease;
    isc::dhcp::Lease4CollectionPtr releasedLeases;
};

// Whether holdRomOffer copies the leases it wrote and deleted into its HoldResult. Only an HA
// partner needs them; each copy deep-copies the lease's user context, which costs more than the
// rest of a hold that needs no database write.
enum class LeaseCopies { Make, Skip };

// What else a hold's lease carries in its user context (the Pi's identity record): one entry,
// set in the same user-context change as the hold's mark and written in the same lease database
// write, instead of a second of each. No value: the lease has it already (left as it is).
// Asked for the lease a hold is about to write (its user context as it is before the hold).
using LeaseDecorator = std::function<ContextEntry(const isc::dhcp::Lease4&)>;

// The hook's holds. One per load(); thread-safe: Kea 2.4+ runs callouts on several threads, and
// one mutex serialises the hold decisions with their lease database writes (only ROM and
// bootcode.bin OFFERs come here).
class RomHolds {
  public:
    explicit RomHolds(HoldLimits limits);

    // Holds response.yiaddr for response.chaddr, a Pi at `stage`. Throws on lease database
    // errors.
    HoldResult holdRomOffer(isc::dhcp::Pkt4& response, PiModel stage,
                            LeaseCopies copies = LeaseCopies::Make,
                            const LeaseDecorator& decorate = LeaseDecorator());

    // The per-subnet statistics this object created (unload).
    void removeStats();

  private:
    enum class StatName { Assigned, PoolAssigned, Unconfirmed };
    // Gives back `holds`; copies of the leases deleted go to `out` unless it is null.
    std::size_t release(const std::vector<HoldRecord>& holds, isc::dhcp::Lease4Collection* out);
    void countAssigned(const Placement& where, std::int64_t delta);
    // Kea's statistic names, built once (StatsMgr::generateName formats through a stream, dearer
    // than the update it names).
    const std::string& statName(StatName kind, std::uint32_t subnet, std::uint64_t pool = 0);
    // The hold's mark and `extra` set in the lease's user context, in one new map.
    void mark(isc::dhcp::Lease4& lease, PiModel stage, bool confirmed,
              const ContextEntry& extra) const;
    // The mark's values that never change, made once per configuration (Kea never changes a
    // lease's user context in place: it changes a copy, so leases may share them).
    std::array<isc::data::ConstElementPtr, kPiModels.size()> stageNames_;
    isc::data::ConstElementPtr confirmed_;
    isc::data::ConstElementPtr unconfirmed_;
    std::mutex mutex_;
    HoldBook book_;
    std::map<std::tuple<StatName, std::uint32_t, std::uint64_t>, std::string> statNames_;
};

// "subnet[N].rpi-netboot-unconfirmed-holds"
std::string unconfirmedHoldsStat(std::uint32_t subnet);

// Used when an OFFER carries no lease time (option 51).
inline constexpr std::uint32_t kFallbackHoldSeconds = 60;

}  // namespace rpinetboot::kea
