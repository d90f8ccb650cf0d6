// What the kernel will do with cmdline.txt's root file system (docs/protocol/boot.md, docs/nfs.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/probe/findings.h"

namespace rpinetboot::probe {

// nfs(5) "vers=n": a major version (2, 3 or 4) and, for NFSv4 only, a minor version ("4.1").
struct NfsVersion {
    unsigned major = 0;
    std::optional<unsigned> minor;  // absent for "vers=4": the client negotiates the highest
};

// The value of vers=/nfsvers= ("3", "4", "4.1", "4.2"); nullopt for anything the Linux NFS client
// refuses (no minor on 2 or 3, minors past 4.2, signs, spaces, empty parts).
std::optional<NfsVersion> parseNfsVersion(std::string_view text);

struct NfsRoot {
    std::string server;  // as written (dotted quad expected: the kernel resolves nothing here)
    std::string path;
    std::optional<NfsVersion> version;  // vers=N or vers=N.M
    std::vector<std::string> options;
};

struct CmdlineAssessment {
    std::optional<NfsRoot> nfsroot;  // set when root=/dev/nfs
    std::vector<Finding> findings;
};

CmdlineAssessment assessCmdline(const std::string& cmdline);

}  // namespace rpinetboot::probe
