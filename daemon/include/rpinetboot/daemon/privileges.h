// Giving up root once the sockets are open, so that a compromised parser holds nothing.
#pragma once

#include <string>

namespace rpinetboot::daemon {

// Switches to `user`'s uid, primary gid and supplementary groups (nothing when `user` is empty),
// and checks that root cannot be regained. False with a message on any failure; a failure is
// fatal for the caller (the process may be half-dropped).
bool dropPrivileges(const std::string& user, std::string& error);

// Clears the ambient, inheritable, permitted and effective capability sets (for a daemon that
// needed CAP_NET_RAW or similar to open its sockets). False with a message on failure.
bool dropCapabilities(std::string& error);

}  // namespace rpinetboot::daemon
