// rpi-tftpd: a read-only TFTP server for Raspberry Pi network boot trees.
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

#include "logging.h"
#include "rpinetboot/daemon/options.h"
#include "rpinetboot/daemon/privileges.h"
#include "server.h"
#include "settings.h"

using namespace rpinetboot::tftpd;

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    Settings settings;
    const auto parsed = parseSettings(args, settings);
    if (const auto code = rpinetboot::daemon::exitCodeFor(parsed, kProgram)) return *code;
    rpinetboot::daemon::initLogging(kProgram.name, settings.logLevel);
    if (!settings.configFile.empty()) {
        LOG4CPLUS_INFO(logger(), "configuration file " << settings.configFile);
    }
    // Every transfer has its own socket (and a streamed file its own descriptor): take the
    // hard limit of open files, not the soft 1024, while still allowed to.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    try {
        boost::asio::io_context io(1);
        const std::string user = settings.user;
        Server server(io, std::move(settings), args);
        std::string error;
        if (!server.openListeners(error)) {
            LOG4CPLUS_FATAL(logger(), error);
            return 1;
        }
        if (!user.empty()) {
            if (!rpinetboot::daemon::dropPrivileges(user, error)) {
                LOG4CPLUS_FATAL(logger(), error);
                return 1;
            }
            LOG4CPLUS_INFO(logger(), "running as user " << user);
        }
        if (!server.configure(error)) {
            LOG4CPLUS_FATAL(logger(), error);
            return 1;
        }
        server.start();
        // A burst of requests logs a line each (refused probes, finished fetches): they leave
        // together, one write(2) per turn of the loop (a turn: what was ready, at most
        // kHandlersPerFlush handlers), instead of one each (daemon/src/logging.cpp).
        rpinetboot::daemon::setLogBatching(true);
        constexpr int kHandlersPerFlush = 256;
        while (io.run_one() > 0) {
            for (int i = 0; i < kHandlersPerFlush && io.poll_one() > 0; ++i) {
            }
            rpinetboot::daemon::flushLog();
        }
    } catch (const std::exception& e) {
        LOG4CPLUS_FATAL(logger(), "fatal: " << e.what());
        return 1;
    }
    return 0;
}
