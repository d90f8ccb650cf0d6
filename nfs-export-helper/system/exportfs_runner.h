// Running the real exportfs: live, and side-effect free inside a private mount namespace where the
// exports directory is replaced by a staged copy holding the candidate file (docs/nfs.md).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "process.h"
#include "rpinetboot/nfs/exportfs_output.h"

namespace rpinetboot::nfs {

struct ExportfsRun {
    ProcessResult process;
    std::vector<ExportfsMessage> messages;
    bool ok() const;  // exit 0 and no error messages
    std::vector<ExportfsMessage> errors() const;
};

ExportfsRun runExportfsLive(const std::string& exportfs);

// exportfs -ra in a new mount namespace: `files` (name -> content) bind-mounted over `exportsDir`,
// a tmpfs over /var/lib/nfs, and empty tmpfs over /proc/fs/nfsd and /proc/net/rpc so that nothing
// reaches the kernel's export table. Needs root (CAP_SYS_ADMIN).
ExportfsRun runExportfsIsolated(const std::string& exportfs, const std::string& exportsDir,
                                const std::map<std::string, std::string>& files);

}  // namespace rpinetboot::nfs
