// What the kernel's NFS root mount will meet, judged from what mountd listed (the probe's NFS
// stage asks it over MOUNTPROC_EXPORT and records the answer as these facts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/probe/findings.h"

namespace rpinetboot::probe {

// nfsroot= must name an IPv4 address: the kernel mounts the root before any resolver runs.
std::optional<Finding> nfsServerNotAddress(const std::string& server);

struct ExportedPath {
    std::string path;
    std::vector<std::string> groups;  // hosts, networks, netgroups as mountd lists them
};

struct ExportFacts {
    std::string server;
    std::string path;             // the root's path, trailing '/' removed
    std::uint32_t piAddress = 0;  // host order
    bool listed = false;          // mountd answered
    std::string error;            // why it did not
    std::vector<ExportedPath> exports;
    bool exported = false;  // `path` is exported to `piAddress` (nfs::isExportedTo)
};

std::vector<Finding> judgeExports(const ExportFacts& facts);

}  // namespace rpinetboot::probe
