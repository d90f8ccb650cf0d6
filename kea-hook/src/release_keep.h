// Whether a DHCPRELEASE may end a Pi's lease (docs/kea.md, "Identity"). systemd-networkd releases
// when it stops (systemd.network(5), SendRelease=, default yes); Kea 2.2 then deletes the lease
// and the identity stored in its user-context, so the Pi's next firmware boot is a new client
// with another address. For a netbooted Pi the lease4_release callout asks Kea to skip the
// release (Kea hooks developer guide, lease4_release: NEXT_STEP_SKIP keeps the lease); the lease
// and its record then end as any lease does, by expiry.
#pragma once

#include <cc/data.h>

#include <cstdint>
#include <optional>

#include "pi_registry.h"
#include "rpinetboot/mac.h"

namespace rpinetboot::kea {

struct ReleaseDecision {
    bool keep = false;               // true: skip the release, the lease stays
    std::optional<PiRecord> record;  // the Pi's record that decided it (keep only)
};

// `keepPiLeases` is the keep-pi-leases-on-release parameter; `leaseContext` the released
// lease's user-context, `leaseMac` / `leaseAddress` (host order) its hardware address and
// address; `indexed` the registry's record for that MAC. Kept: a lease whose user-context holds
// a record of this MAC and address, or whose address is the one the registry has for the MAC.
// Any other lease (another client's, a Pi's second lease elsewhere, an unreadable record) is
// released as Kea would without the hook.
ReleaseDecision decideRelease(bool keepPiLeases, const isc::data::ConstElementPtr& leaseContext,
                              const MacAddress& leaseMac, std::uint32_t leaseAddress,
                              const std::optional<PiRecord>& indexed);

}  // namespace rpinetboot::kea
