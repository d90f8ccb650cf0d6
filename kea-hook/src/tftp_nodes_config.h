// The hook parameter "tftp-groups" (docs/kea.md, "Several TFTP nodes"), parsed and validated into
// TftpNodeGroup. Errors name the parameter path and the value, like the rest of hook_config.
#pragma once

#include <cc/data.h>

#include <string>
#include <vector>

#include "tftp_nodes.h"

namespace rpinetboot::kea {

// Throws ConfigError (hook_config.h) on any unknown key or bad value.
std::vector<TftpNodeGroup> parseTftpGroups(const std::string& name,
                                           const isc::data::ConstElementPtr& value);

// "2 groups, 5 nodes, drained: 192.0.2.3": one part of HookConfig::summary().
std::string describeTftpGroups(const std::vector<TftpNodeGroup>& groups);

}  // namespace rpinetboot::kea
