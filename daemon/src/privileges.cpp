#include "rpinetboot/daemon/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rpinetboot::daemon {

bool dropPrivileges(const std::string& user, std::string& error) {
    if (user.empty()) return true;
    const passwd* pw = ::getpwnam(user.c_str());
    if (!pw) {
        error = "unknown user " + user;
        return false;
    }
    const uid_t uid = pw->pw_uid;
    const gid_t gid = pw->pw_gid;
    if (::initgroups(user.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
        error = "cannot switch to user " + user + " (not started as root?)";
        return false;
    }
    // Regaining root must be impossible now.
    if (uid != 0 && ::setuid(0) == 0) {
        error = "privileges could be regained after dropping them";
        return false;
    }
    return true;
}

bool dropCapabilities(std::string& error) {
    // EINVAL: a kernel older than 4.3 has no ambient set, so nothing to clear.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
        error = std::string("cannot clear ambient capabilities: ") + std::strerror(errno);
        return false;
    }
    // capset(2) through the raw system call: no libcap needed for "drop everything".
    __user_cap_header_struct header{};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capset, &header, data) != 0) {
        error = std::string("cannot drop capabilities: ") + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace rpinetboot::daemon
