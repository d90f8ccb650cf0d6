// The mount-option policy (mount_policy.h) applied to exports on this server: a no_root_squash
// export on a file system mounted without nosuid or nodev is a warning, or a refusal with
// --require-nosuid-nodev. Warning by default: Debian's default layout has /srv on the root file
// system, which has neither option and cannot simply be remounted with them.
#include <sys/statvfs.h>

#include "app.h"
#include "files.h"
#include "rpinetboot/nfs/mount_policy.h"

namespace rpinetboot::nfs {

namespace {

MountOptions mountOptionsOf(const std::string& path) {
    MountOptions m;
    auto info = readFileIfExists("/proc/self/mountinfo");
    if (info)
        if (auto found = mountOf(*info, path)) m = *found;
    if (m.mountPoint.empty()) m.mountPoint = path;
    // statvfs reports the flags of the mount that really holds the path (the kernel's answer,
    // whatever mountinfo's text says).
    struct statvfs vfs;
    if (statvfs(path.c_str(), &vfs) != 0) throw SystemError("statvfs " + path + " failed");
    m.nosuid = (vfs.f_flag & ST_NOSUID) != 0;
    m.nodev = (vfs.f_flag & ST_NODEV) != 0;
    return m;
}

}  // namespace

int checkMountOptions(const Config& cfg, const Reporter& rep,
                      const std::vector<PiExport>& records) {
    int rc = kOk;
    for (const auto& r : records) {
        auto risk = plantRisk(r, mountOptionsOf(r.path));
        if (risk.empty()) continue;
        if (cfg.requireNosuidNodev) {
            rep.error(risk + " (refused: --require-nosuid-nodev)");
            rc = kInvalid;
        } else {
            rep.warn(risk);
        }
    }
    return rc;
}

}  // namespace rpinetboot::nfs
