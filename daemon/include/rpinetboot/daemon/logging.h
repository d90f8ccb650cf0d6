// log4cplus for a daemon: one appender on stderr with timestamps (journald adds its own under
// systemd, a foreground run needs them), one logger named after the program.
#pragma once

#include <log4cplus/logger.h>
#include <log4cplus/loggingmacros.h>
#include <string>

namespace rpinetboot::daemon {

// The program's logger (named by initLogging).
log4cplus::Logger& logger();
// Once, at start: names the logger `program` and sets `level` ("info" unless told).
void initLogging(const std::string& program, const std::string& level = "info");
// One of kLogLevels (options.h); anything else means info.
void setLogLevel(const std::string& level);

}  // namespace rpinetboot::daemon
