// One Pi's NFS root export as a typed record, and the strict exports(5) line generated from it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/nfs/client_net.h"
#include "rpinetboot/serial.h"

namespace rpinetboot::nfs {

struct PiExport {
    Serial serial{0};
    std::string path;                                   // absolute, canonical
    ClientNet client = *ClientNet::parse("0.0.0.0/0");  // 0.0.0.0/0 is the world, written "*"
    std::vector<std::string> options;                   // effective options, in the order written
    int nfsVersion = 3;                                 // what nfsroot= will ask for: 3 or 4

    std::string clientText() const;  // "192.0.2.10", "192.0.2.0/24" or "*"
    bool operator==(const PiExport& o) const;
};

// "*" or an IPv4 address/CIDR; nullopt for anything else (host names, netgroups, "a (b)").
std::optional<ClientNet> parseClient(std::string_view text);

// Builds the effective option list from what the user asked for: the whitelist only, explicit
// rw/sync/no_subtree_check, no_root_squash unless a squash option is given. Errors name the option.
struct OptionsResult {
    std::vector<std::string> options;
    std::string error;  // empty when ok
};
OptionsResult buildOptions(std::string_view userOptions);

// Checks a record before it is written: path form, client, options, and the rule that a world or
// network client never gets no_root_squash unless `force`. Returns an error message or "".
std::string validateRecord(const PiExport& record, bool force);

// Path syntax accepted for a Pi root: absolute, no empty/"."/".." components, no trailing slash,
// no control characters, double quotes or backslashes. Returns an error message or "".
std::string checkPathSyntax(std::string_view path);

// The exports(5) line: "\"<path>\" <client>(<options>)", the path quoted and \ooo-escaped, never a
// space before "(".
std::string exportsLine(const PiExport& record);
std::string quoteExportPath(std::string_view path);

}  // namespace rpinetboot::nfs
