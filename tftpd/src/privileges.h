// Dropping root after the listening sockets are bound.
#pragma once

#include <string>

namespace rpinetboot::tftpd {

// Switches to `user`'s uid, primary gid and supplementary groups. Fails (with a message) when
// the user is unknown or any step fails; never returns half-dropped.
bool dropPrivileges(const std::string& user, std::string& error);

}  // namespace rpinetboot::tftpd
