#include "rpinetboot/daemon/logging.h"

#include <log4cplus/consoleappender.h>
#include <log4cplus/initializer.h>
#include <log4cplus/layout.h>
#include <memory>

namespace rpinetboot::daemon {

log4cplus::Logger& logger() {
    static log4cplus::Logger l = log4cplus::Logger::getInstance(LOG4CPLUS_TEXT("rpi-netboot"));
    return l;
}

void initLogging(const std::string& program, const std::string& level) {
    log4cplus::initialize();
    logger() = log4cplus::Logger::getInstance(LOG4CPLUS_STRING_TO_TSTRING(program));
    log4cplus::SharedAppenderPtr app(new log4cplus::ConsoleAppender(true /*stderr*/, true));
    app->setLayout(std::make_unique<log4cplus::PatternLayout>(
        LOG4CPLUS_TEXT("%D{%Y-%m-%dT%H:%M:%S.%q} %-5p %m%n")));
    logger().addAppender(app);
    logger().setAdditivity(false);
    setLogLevel(level);
}

void setLogLevel(const std::string& level) {
    log4cplus::LogLevel l = log4cplus::INFO_LOG_LEVEL;
    if (level == "trace") l = log4cplus::TRACE_LOG_LEVEL;
    if (level == "debug") l = log4cplus::DEBUG_LOG_LEVEL;
    if (level == "warn") l = log4cplus::WARN_LOG_LEVEL;
    if (level == "error") l = log4cplus::ERROR_LOG_LEVEL;
    logger().setLogLevel(l);
}

}  // namespace rpinetboot::daemon
