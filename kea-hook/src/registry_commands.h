// The control commands rpi-netboot-list and rpi-netboot-get (Kea's control channel), as answers
// built from the registry; the callouts only register them and pass the command through.
#pragma once

#include <cc/data.h>

#include "pi_registry.h"

namespace rpinetboot::kea {

inline constexpr const char* kListCommand = "rpi-netboot-list";
inline constexpr const char* kGetCommand = "rpi-netboot-get";

// {"result": 0, "text": "2 Pis", "arguments": {"pis": [...], "count": 2}}; result 3 (Kea's
// "empty") with an empty list when no Pi is known, as lease4-get-all answers.
isc::data::ConstElementPtr listAnswer(const PiRegistry& registry);

// `arguments`: exactly one of {"serial": "bf9fed6f"}, {"mac": "..."}, {"address": "..."}.
// result 0 with the record, 3 (empty) for a key no Pi has, 1 for bad arguments.
isc::data::ConstElementPtr getAnswer(const PiRegistry& registry,
                                     const isc::data::ConstElementPtr& arguments);

}  // namespace rpinetboot::kea
