// Conflicts between a Pi's export and everything else the server exports (foreign files and our
// own other entries), judged the way nfs-utils would act on them.
#pragma once

#include <string>
#include <vector>

#include "rpinetboot/nfs/exports_parser.h"
#include "rpinetboot/nfs/pi_export.h"

namespace rpinetboot::nfs {

struct Conflict {
    std::string file;
    int line = 0;
    std::string message;
    bool fatal = true;  // false: a warning the admin should read
};

struct ConflictReport {
    std::vector<Conflict> items;
    std::string pseudoRoot;  // path of an fsid=0 export, if any
    std::string nfs4Path;    // the path an NFSv4 client (nfsroot=...,vers=4) must use
    bool fatal() const;
};

// Paths in `foreign` should already be canonical (symlinks resolved), as exportfs resolves them.
// `ours` are the other records of our drop-in (the candidate's own serial is ignored).
ConflictReport findConflicts(const PiExport& candidate, const std::vector<ExportEntry>& foreign,
                             const std::vector<PiExport>& ours);

// "/srv/nfs/pi/x" under pseudo-root "/srv/nfs" is "/pi/x" for NFSv4; "" if not under it.
std::string nfs4PathUnder(const std::string& path, const std::string& pseudoRoot);

// True if `inner` is `outer` or lies below it (path components, not string prefixes).
bool pathWithin(const std::string& inner, const std::string& outer);

}  // namespace rpinetboot::nfs
