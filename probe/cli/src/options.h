// rpi-netboot-probe's command line: which Pi to be, where, and how long to wait.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "rpinetboot/discover.h"

namespace rpinetboot::probe {

struct ProbeOptions {
    std::string interface;
    PiIdentity pi;  // model, MAC, serial, board revision, xid
    bool json = false;
    std::optional<std::string> tftpOnly;   // skip DHCP, walk TFTP against this server
    std::optional<std::string> nfsServer;  // ask this mountd instead of cmdline.txt's server
    std::chrono::milliseconds timeout{3000};
};

// What parsing decided: run with the options, or exit now (help, version, usage error).
struct ParseOutcome {
    std::optional<ProbeOptions> options;
    int exitCode = 0;
    std::string message;  // help/version text (stdout) or the usage error (stderr)
};

ParseOutcome parseOptions(const std::vector<std::string>& args);

}  // namespace rpinetboot::probe
