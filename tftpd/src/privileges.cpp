#include "privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace rpinetboot::tftpd {

bool dropPrivileges(const std::string& user, std::string& error) {
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

}  // namespace rpinetboot::tftpd
