// log4cplus set-up for rpi-tftpd: one console appender on stderr (journald adds timestamps
// under systemd, but a foreground run needs them too).
#pragma once

#include <log4cplus/logger.h>
#include <log4cplus/loggingmacros.h>
#include <string>

namespace rpinetboot::tftpd {

log4cplus::Logger& logger();
void initLogging();
// "trace", "debug", "info", "warn", "error" (validated by parseSettings).
void setLogLevel(const std::string& level);

}  // namespace rpinetboot::tftpd
