#include "rpinetboot/daemon/logging.h"

#include <unistd.h>

#include <log4cplus/appender.h>
#include <log4cplus/initializer.h>
#include <log4cplus/layout.h>
#include <log4cplus/spi/loggingevent.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

namespace rpinetboot::daemon {

namespace {

// Lines waiting for flushLog(). A fixed array, so that a crash signal's handler can write it out
// with write(2) alone (the only kind of call signal-safety(7) allows there).
constexpr std::size_t kBufferBytes = 64 * 1024;
char gBuffer[kBufferBytes];
std::atomic<std::size_t> gUsed{0};
std::mutex gMutex;
std::atomic<bool> gBatched{false};

void writeAll(const char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;  // stderr gone: the lines cannot go anywhere else
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

void flushLocked() {
    const std::size_t n = gUsed.load(std::memory_order_relaxed);
    if (n == 0) return;
    writeAll(gBuffer, n);
    gUsed.store(0, std::memory_order_release);
}

// Formats each event with the appender's layout and writes it to stderr: whole lines, one
// write(2) each, or a batch of them per flushLog().
class StderrAppender : public log4cplus::Appender {
  public:
    ~StderrAppender() override { destructorImpl(); }
    void close() override {
        flushLog();
        closed = true;
    }

  protected:
    void append(const log4cplus::spi::InternalLoggingEvent& event) override {
        const std::string text = LOG4CPLUS_TSTRING_TO_STRING(formatEvent(event));
        const bool now = !gBatched.load(std::memory_order_relaxed) ||
                         event.getLogLevel() >= log4cplus::WARN_LOG_LEVEL;
        std::lock_guard<std::mutex> lock(gMutex);
        std::size_t used = gUsed.load(std::memory_order_relaxed);
        if (used + text.size() > kBufferBytes) {
            flushLocked();
            used = 0;
        }
        if (text.size() > kBufferBytes) {
            writeAll(text.data(), text.size());
            return;
        }
        std::memcpy(gBuffer + used, text.data(), text.size());
        gUsed.store(used + text.size(), std::memory_order_release);
        if (now) flushLocked();
    }
};

// A crash: write out the waiting lines (which say what led to it), then die of the signal as
// before (SA_RESETHAND restored the default action, SA_NODEFER lets raise deliver it now).
extern "C" void onFatalSignal(int sig) {
    const std::size_t n = gUsed.load(std::memory_order_acquire);
    if (n > 0) writeAll(gBuffer, n);
    std::raise(sig);
}

void installCrashFlush() {
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) {
        struct sigaction old {};
        if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;
        struct sigaction sa {};
        sa.sa_handler = onFatalSignal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND | SA_NODEFER;
        ::sigaction(sig, &sa, nullptr);
    }
}

}  // namespace

log4cplus::Logger& logger() {
    static log4cplus::Logger l = log4cplus::Logger::getInstance(LOG4CPLUS_TEXT("rpi-netboot"));
    return l;
}

void initLogging(const std::string& program, const std::string& level) {
    log4cplus::initialize();
    // stderr is unbuffered (C11 7.21.3): anything else a daemon prints there leaves a line at a
    // time, not in pieces. The log's own lines are written whole by StderrAppender.
    std::setvbuf(stderr, nullptr, _IOLBF, BUFSIZ);
    logger() = log4cplus::Logger::getInstance(LOG4CPLUS_STRING_TO_TSTRING(program));
    log4cplus::SharedAppenderPtr app(new StderrAppender());
    app->setLayout(std::make_unique<log4cplus::PatternLayout>(
        LOG4CPLUS_TEXT("%D{%Y-%m-%dT%H:%M:%S.%q} %-5p %m%n")));
    logger().addAppender(app);
    logger().setAdditivity(false);
    setLogLevel(level);
    std::atexit(flushLog);
}

void setLogLevel(const std::string& level) {
    log4cplus::LogLevel l = log4cplus::INFO_LOG_LEVEL;
    if (level == "trace") l = log4cplus::TRACE_LOG_LEVEL;
    if (level == "debug") l = log4cplus::DEBUG_LOG_LEVEL;
    if (level == "warn") l = log4cplus::WARN_LOG_LEVEL;
    if (level == "error") l = log4cplus::ERROR_LOG_LEVEL;
    logger().setLogLevel(l);
}

void setLogBatching(bool on) {
    if (on) installCrashFlush();
    gBatched.store(on, std::memory_order_relaxed);
    if (!on) flushLog();
}

void flushLog() {
    if (gUsed.load(std::memory_order_acquire) == 0) return;
    std::lock_guard<std::mutex> lock(gMutex);
    flushLocked();
}

}  // namespace rpinetboot::daemon
