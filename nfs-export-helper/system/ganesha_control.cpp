#include "ganesha_control.h"

#include <signal.h>

#include <cerrno>
#include <cstring>

#include "files.h"

namespace rpinetboot::nfs {

GaneshaPid findGanesha(const std::string& pidFile) {
    GaneshaPid g;
    std::optional<std::string> text;
    try {
        text = readFileIfExists(pidFile);
    } catch (const SystemError& e) {
        g.error = e.what();
        return g;
    }
    if (!text) {
        g.error = "no pid file " + pidFile + ": nfs-ganesha is not running";
        return g;
    }
    long pid = 0;
    std::size_t digits = 0;
    for (char c : *text) {
        if (c >= '0' && c <= '9' && digits < 9) {
            pid = pid * 10 + (c - '0');
            ++digits;
        } else if (c == '\n' || c == ' ') {
            break;
        } else {
            digits = 0;
            break;
        }
    }
    if (digits == 0 || pid <= 1) {
        g.error = "pid file " + pidFile + " does not hold a process id";
        return g;
    }
    std::optional<std::string> comm;
    try {
        comm = readFileIfExists("/proc/" + std::to_string(pid) + "/comm");
    } catch (const SystemError&) {
    }
    if (!comm) {
        g.error = "pid file " + pidFile + " names process " + std::to_string(pid) +
                  ", which is not running: nfs-ganesha is not running";
        return g;
    }
    if (comm->compare(0, 7, "ganesha") != 0) {
        g.error = "pid file " + pidFile + " names process " + std::to_string(pid) + " (" +
                  comm->substr(0, comm->find('\n')) + "), which is not nfs-ganesha";
        return g;
    }
    g.pid = static_cast<pid_t>(pid);
    return g;
}

std::string reloadGanesha(pid_t pid) {
    if (kill(pid, SIGHUP) != 0)
        return "SIGHUP to nfs-ganesha (pid " + std::to_string(pid) + "): " + std::strerror(errno);
    return "";
}

}  // namespace rpinetboot::nfs
