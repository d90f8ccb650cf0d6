// Telling a running nfs-ganesha to reread its exports: SIGHUP to the PID in its pid file.
#pragma once

#include <sys/types.h>
#include <string>

namespace rpinetboot::nfs {

struct GaneshaPid {
    pid_t pid = 0;
    std::string error;  // why there is no live daemon to signal
};

// Reads the pid file and checks that the process exists and is ganesha.nfsd (/proc/PID/comm), so
// a stale pid file never makes us signal an unrelated process.
GaneshaPid findGanesha(const std::string& pidFile);

// SIGHUP; returns an error message or "".
std::string reloadGanesha(pid_t pid);

}  // namespace rpinetboot::nfs
