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

// Each line leaves with its own write(2) unless batching is on. Batched, lines below WARN wait
// (up to 64 KiB) for flushLog(), which a daemon's event loop calls once per turn, so a turn that
// logs a line per request costs one write. WARN and above flush at once; so do exit(3) and the
// crash signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, when their action is the default).
void setLogBatching(bool on);
void flushLog();

}  // namespace rpinetboot::daemon
