// The registry's glue to Kea's lease store: records are written into leases' user-context, and
// the in-memory index is rebuilt from the leases (pi_registry.h).
#pragma once

#include <dhcpsrv/lease.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "pi_registry.h"

namespace rpinetboot::kea {

// Sets `record` in the lease's user-context (kept: every other key). The caller's lease is the
// one Kea is about to store (lease4_select, lease4_renew) or one it stores itself afterwards.
void storeRecord(isc::dhcp::Lease4& lease, const PiRecord& record);

// storeRecord for the lease of lease4_select/lease4_renew, which Kea may reuse without writing
// it: with lease caching (cache-threshold, cache-max-age; measured on by default in Kea 3.0's
// DHCP4_LEASE_REUSE) renewLease4 decides the reuse before calling lease4_renew and then skips
// the lease store's update, and HA sends the partner nothing (isc-projects/kea,
// src/lib/dhcpsrv/alloc_engine.cc, renewLease4). When the record differs from the lease's in more
// than last-seen (a new phase, address, names), the lease is made not reusable, so Kea writes it
// and HA replicates it. Returns whether it did so.
bool storeRecordForWrite(isc::dhcp::Lease4& lease, const PiRecord& record);

struct RebuildResult {
    std::size_t leases = 0;   // leases read
    std::size_t records = 0;  // records indexed
    // "192.0.2.57: no valid \"mac\"": leases whose rpi-netboot context could not be read
    // (ignored); at most kMaxReported, `malformed` counts them all.
    std::vector<std::string> reported;
    std::size_t malformed = 0;
    static constexpr std::size_t kMaxReported = 10;
};

// Refills `registry` from every active lease of the lease store. Throws what the lease
// manager throws (none configured, database errors).
RebuildResult rebuildRegistry(PiRegistry& registry);

// The record in a lease of `mac` (an active one), from the lease store: for a MAC the index
// does not know, e.g. a lease an HA partner wrote. nullopt when none.
std::optional<PiRecord> recordFromLeases(const MacAddress& mac);

// The record's address must be the lease's, its MAC the lease's hardware address: a record
// copied with a lease to another address or client is not believed.
bool recordMatchesLease(const PiRecord& record, const isc::dhcp::Lease4& lease);

}  // namespace rpinetboot::kea
