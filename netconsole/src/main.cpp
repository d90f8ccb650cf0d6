// rpi-netconsoled: receives Raspberry Pi bootloader log lines sent with NETCONSOLE and records
// each one as a NETCONSOLE_LINE boot event attributed to its Pi (README.md, "Boot events and
// bootloader logs").
#include <systemd/sd-daemon.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "daemon.h"
#include "rpinetboot/daemon/logging.h"
#include "rpinetboot/daemon/options.h"
#include "rpinetboot/daemon/privileges.h"
#include "settings.h"

using namespace rpinetboot;
using namespace rpinetboot::netconsole;
using rpinetboot::daemon::logger;

namespace {

// Events wait here while the journal or the file is slow, so that the sockets keep being read.
constexpr std::size_t kEventQueue = 4096;

void onSignal(boost::asio::signal_set& signals, Daemon& daemon, QueuedSink* queue,
              boost::asio::io_context& io) {
    signals.async_wait(
        [&signals, &daemon, queue, &io](const boost::system::error_code& ec, int signo) {
            if (ec) return;
            LOG4CPLUS_INFO(logger(), "counters: " << daemon.countersText() << " events_dropped="
                                                  << (queue ? queue->dropped() : 0));
            if (signo == SIGUSR1) {
                onSignal(signals, daemon, queue, io);
            } else {
                io.stop();
            }
        });
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    // sd_listen_fds(3): sockets passed by systemd (a .socket unit) start at fd 3.
    const int activated = ::sd_listen_fds(1);
    Settings settings;
    const auto parsed = parseSettings(args, activated > 0, settings);
    if (const auto code = daemon::exitCodeFor(parsed, kProgram)) return *code;
    daemon::initLogging(kProgram.name, settings.logLevel);
    if (!settings.configFile.empty()) {
        LOG4CPLUS_INFO(logger(), "configuration file " << settings.configFile);
    }
    try {
        std::string error;
        auto target = makeSink(settings.events, error);
        if (!target && !error.empty()) {
            LOG4CPLUS_FATAL(logger(), error);
            return 1;
        }
        std::unique_ptr<QueuedSink> queue;
        if (target) {
            LOG4CPLUS_INFO(logger(), "events to " << target->describe());
            queue = std::make_unique<QueuedSink>(std::move(target), kEventQueue);
        }
        boost::asio::io_context io(1);
        Daemon daemon(io, settings, queue.get());
        if (!daemon.open(activated > 0 ? activated : 0, error)) {
            LOG4CPLUS_FATAL(logger(), error);
            return 1;
        }
        if (!daemon::dropPrivileges(settings.user, error) || !daemon::dropCapabilities(error)) {
            LOG4CPLUS_FATAL(logger(), error);
            return 1;
        }
        if (!settings.user.empty()) LOG4CPLUS_INFO(logger(), "running as user " << settings.user);
        boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGUSR1);
        onSignal(signals, daemon, queue.get(), io);
        daemon.start();
        LOG4CPLUS_INFO(logger(), "ready");
        io.run();
        if (queue) queue->flush(std::chrono::seconds(2));
    } catch (const std::exception& e) {
        LOG4CPLUS_FATAL(logger(), "fatal: " << e.what());
        return 1;
    }
    return 0;
}
