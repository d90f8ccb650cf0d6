// What the kernel will do with cmdline.txt's root file system (docs/protocol/boot.md, docs/nfs.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/probe/findings.h"

namespace rpinetboot::probe {

struct NfsRoot {
    std::string server;  // as written (dotted quad expected: the kernel resolves nothing here)
    std::string path;
    std::optional<int> version;  // vers=N
    std::vector<std::string> options;
};

struct CmdlineAssessment {
    std::optional<NfsRoot> nfsroot;  // set when root=/dev/nfs
    std::vector<Finding> findings;
};

CmdlineAssessment assessCmdline(const std::string& cmdline);

}  // namespace rpinetboot::probe
