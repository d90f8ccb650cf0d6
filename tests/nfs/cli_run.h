// Runs rpi-nfs-exports' command line in-process and keeps what it printed, for the CLI tests.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "command_line.h"

namespace rpinetboot::nfs::test {

struct Run {
    int rc;
    std::string out, err;
};

inline Run run(const std::vector<std::string>& argv) {
    std::ostringstream out, err;
    const int rc = runCommandLine(argv, out, err);
    return {rc, out.str(), err.str()};
}

}  // namespace rpinetboot::nfs::test
