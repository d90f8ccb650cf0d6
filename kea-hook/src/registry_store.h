// The registry's glue to Kea's lease store: records are written into leases' user-context, and
// the in-memory index is rebuilt from the leases (pi_registry.h).
#pragma once

#include <cc/data.h>
#include <dhcpsrv/lease.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "pi_registry.h"

namespace rpinetboot::kea {

// Sets `record` in the lease's user-context (kept: every other key).
void storeRecord(isc::dhcp::Lease4& lease, const PiRecord& record);

// storeRecord, unless the lease's user-context holds the record already, differing at most in
// last-seen (recordWriteDue). Returns whether it changed the lease. For a lease about to be
// written anyway (a ROM hold's): an unchanged record then costs no JSON.
bool storeRecordIfChanged(isc::dhcp::Lease4& lease, const PiRecord& record);

// The record's value for a lease's user context, under recordContextKey(), for a lease about to
// be written anyway (a ROM hold's, which sets it in its own user-context change); null when the
// lease holds the record already, differing at most in last-seen (recordWriteDue).
isc::data::ConstElementPtr recordValueIfChanged(const isc::dhcp::Lease4& lease,
                                                const PiRecord& record);

enum class RecordWrite {
    Written,    // the lease now carries the record
    Unchanged,  // it carried it already (nothing written)
    NoLease,    // no live lease of record.mac at record.address
    Lost,       // another server on a shared database changed the lease since it was read
};

// Writes `record` into the lease of record.address in the lease store, read and updated here:
// the lease Kea committed for the ACK this record is for. `written` (when not null) gets the
// lease as written, for an HA partner (Written only). Kea's lease caching (cache-threshold,
// cache-max-age; on by default in Kea 3.0) may have reused the lease without writing it
// (isc-projects/kea, src/lib/dhcpsrv/alloc_engine.cc, renewLease4): this write does not depend on
// Kea's. Throws what the lease manager throws for database errors.
RecordWrite writeRecordToLease(const PiRecord& record, isc::dhcp::Lease4Ptr* written = nullptr);

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
