#include "rpinetboot/daemon/logging.h"

#include <log4cplus/consoleappender.h>
#include <log4cplus/initializer.h>
#include <log4cplus/layout.h>

#include <cstdio>
#include <memory>

namespace rpinetboot::daemon {

log4cplus::Logger& logger() {
    static log4cplus::Logger l = log4cplus::Logger::getInstance(LOG4CPLUS_TEXT("rpi-netboot"));
    return l;
}

void initLogging(const std::string& program, const std::string& level) {
    log4cplus::initialize();
    // stderr is unbuffered (C11 7.21.3): log4cplus writes a line in pieces (time, level,
    // message, newline), each its own write(2). Line-buffered, a line is one write, whole, and
    // still leaves at its end (a daemon under load logs every transfer).
    std::setvbuf(stderr, nullptr, _IOLBF, BUFSIZ);
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
