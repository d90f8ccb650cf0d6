// rpi-tftpd logs through the daemons' shared log4cplus set-up (daemon/); these names keep the
// server's unqualified logger() and setLogLevel() calls.
#pragma once

#include "rpinetboot/daemon/logging.h"

namespace rpinetboot::tftpd {

using daemon::logger;
using daemon::setLogLevel;

}  // namespace rpinetboot::tftpd
