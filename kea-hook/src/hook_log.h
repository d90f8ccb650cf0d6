// The hook's logger ("kea-dhcp4.rpi-netboot" in Kea's loggers configuration) and debug levels.
#pragma once

#include <log/log_dbglevels.h>
#include <log/logger.h>
#include <log/macros.h>

#include "rpi_netboot_messages.h"

namespace rpinetboot::kea {

extern isc::log::Logger logger;

// Per-packet decisions: the level Kea uses for packet handling.
inline const int kDebugPacket = isc::log::DBGLVL_PKT_HANDLING;

}  // namespace rpinetboot::kea
