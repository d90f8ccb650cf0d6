// Giving up what opening the sockets needed: the user, then every capability (CAP_NET_RAW for
// the packet socket), so that a compromised parser holds nothing.
#pragma once

#include <string>

namespace rpinetboot::netconsole {

// Switches to `user`'s uid, gid and groups (when not empty), then clears the ambient,
// inheritable, permitted and effective capability sets. False with a message on any failure.
bool dropPrivileges(const std::string& user, std::string& error);

}  // namespace rpinetboot::netconsole
