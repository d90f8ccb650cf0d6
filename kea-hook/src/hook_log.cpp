#include "hook_log.h"

namespace rpinetboot::kea {

isc::log::Logger logger("rpi-netboot");

}  // namespace rpinetboot::kea
