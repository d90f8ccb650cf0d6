// The exported file system's mount options against what a Pi may do in its root. A Pi root is
// exported no_root_squash (the Pi's root must own its files), so the Pi can create setuid-root
// programs and device nodes there; on a file system the server mounts without nosuid and nodev,
// a server administrator (or a service) who runs or opens them would run the Pi's code as root
// or reach the server's hardware (exports(5) "User ID Mapping"; mount(8) nosuid, nodev).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/nfs/pi_export.h"

namespace rpinetboot::nfs {

struct MountOptions {
    std::string mountPoint;
    bool nosuid = false;
    bool nodev = false;
};

// True if the client's root writes as root: neither root_squash nor all_squash, and not ro.
bool rootWritesAsRoot(const std::vector<std::string>& options);

// The warning for `record` on a file system mounted with `mount`, or "" when it is safe.
std::string plantRisk(const PiExport& record, const MountOptions& mount);

// The mount holding `path` (absolute, canonical) in /proc/self/mountinfo text: the longest mount
// point that contains it, the later of equal ones (a mount over another); nosuid and nodev from
// its per-mount options. nullopt if the text has no mount containing it.
std::optional<MountOptions> mountOf(std::string_view mountinfo, std::string_view path);

}  // namespace rpinetboot::nfs
