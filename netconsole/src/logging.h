// log4cplus set-up for rpi-netconsoled: one appender on stderr (the journal under systemd).
#pragma once

#include <log4cplus/logger.h>
#include <log4cplus/loggingmacros.h>
#include <string>

namespace rpinetboot::netconsole {

log4cplus::Logger& logger();
void initLogging(const std::string& level);

}  // namespace rpinetboot::netconsole
