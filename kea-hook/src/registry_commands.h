// The control commands rpi-netboot-list and rpi-netboot-get (Kea's control channel), as answers
// built from the registry; the callouts only register them and pass the command through.
#pragma once

#include <cc/data.h>

#include "pi_registry.h"

namespace rpinetboot::kea {

inline constexpr const char* kListCommand = "rpi-netboot-list";
inline constexpr const char* kGetCommand = "rpi-netboot-get";

// Both answers read the hook's index and, when given, `stored`: the records of the lease store
// as the caller just read them (registry_store.h). The lease store also holds what this server's
// index has not seen: leases an HA partner sent (lease_cmds writes them without any callout of
// this hook) or another server on a shared SQL database wrote. Of two records of one Pi the
// store's is answered unless the index's is newer (last-seen); on a tie with the same address
// and phase, with the names this server last sent, which only the index holds until the lease's
// next write.

// {"result": 0, "text": "2 Pis", "arguments": {"pis": [...], "count": 2}}; result 3 (Kea's
// "empty") with an empty list when no Pi is known, as lease4-get-all answers.
isc::data::ConstElementPtr listAnswer(const PiRegistry& registry,
                                      const PiRegistry* stored = nullptr);

// `arguments`: exactly one of {"serial": "bf9fed6f"}, {"mac": "..."}, {"address": "..."}.
// result 0 with the record, 3 (empty) for a key no Pi has, 1 for bad arguments.
isc::data::ConstElementPtr getAnswer(const PiRegistry& registry,
                                     const isc::data::ConstElementPtr& arguments,
                                     const PiRegistry* stored = nullptr);

}  // namespace rpinetboot::kea
