// What makes a cloned Pi root a machine of its own: the files a provisioned copy must not share
// with its base root (secrets and identities that Debian and Raspberry Pi OS create once, on first
// boot or at installation), and what provisioning does with each. One table, used by `provision`,
// printed by --help (and so the man page) and listed in the README.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rpinetboot::nfs {

enum class IdentityAction {
    Empty,            // replaced by an empty regular file
    LinkToMachineId,  // a regular file is replaced by a symlink to /etc/machine-id
    Remove,           // removed (file or symlink)
};

struct IdentityFile {
    std::string dir;      // directory relative to the root, e.g. "etc/ssh"
    std::string pattern;  // fnmatch(3) pattern of names in `dir`, e.g. "ssh_host_*_key*"
    IdentityAction action;
    std::string why;  // who recreates it, with the public source
};

const std::vector<IdentityFile>& hostIdentityFiles();

// True if `name` (a file name in entry.dir) is one that `entry` covers.
bool identityMatches(const IdentityFile& entry, std::string_view name);

// The table as --help text: one "  /dir/pattern  action: why" entry per line group.
std::string hostIdentityHelp();

}  // namespace rpinetboot::nfs
