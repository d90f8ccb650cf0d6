// Maps a request name to an open regular file inside the allowed roots, or refuses.
//
// Confinement works in two steps so that no symlink can lead a request outside:
//  1. fast path: openat2(root, name, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
//  2. when that fails because a symlink leaves the root (or for case-insensitive lookup), the
//     name is canonicalised in user space (lstat/readlink per component, 40 hops at most), the
//     result must lie in one allowed root, and it is opened beneath that root with symlinks
//     forbidden (RESOLVE_NO_SYMLINKS, or an O_NOFOLLOW walk where openat2 is missing), so a
//     tree changed between the two steps fails instead of escaping.
#pragma once

#include <sys/stat.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "unique_fd.h"

namespace rpinetboot::tftpd {

struct ResolverConfig {
    std::string root;                     // the tree served: <root>/<prefix>/...
    std::vector<std::string> allowRoots;  // extra directories symlinks may point into
    // Optional template such as "/srv/rpi/{serial}/boot/{path}" for requests "<prefix>/<path>".
    std::string layout;
    bool caseInsensitive = false;
    // Per-prefix client pinning: canonical prefix -> client IPs allowed (canonical text).
    std::map<std::string, std::vector<std::string>> pins;
};

enum class ResolveError { NotFound, AccessViolation };

struct ResolvedFile {
    UniqueFd fd;
    struct stat st {};
    std::string serverPath;  // for debug logs only, never sent to clients
};

struct ResolveResult {
    std::optional<ResolvedFile> file;
    ResolveError error = ResolveError::NotFound;
    const char* reason = "";  // short reason for logs
};

constexpr std::size_t kMaxRequestName = 1024;
constexpr std::size_t kMaxComponent = 255;

// Lexical checks and normalisation of a request name: backslashes become '/', empty and "."
// components are dropped (leading and repeated '/' are normal in the field), ".." and control
// characters are refused. Returns the components, or nullopt with `reason` set.
std::optional<std::vector<std::string>> splitRequestName(std::string_view name,
                                                         const char** reason);

// The canonical form of a tree prefix, so that pins and requests compare equal: a serial in any
// accepted form -> 8 lowercase hex digits, a MAC in any form -> dashed lowercase, else as is.
std::string canonicalPrefix(std::string_view prefix);

// Checks a layout template: absolute, one {serial} or {prefix}, ends in "/{path}".
bool validLayout(std::string_view layout, std::string* why);

class PathResolver {
  public:
    // Opens the roots. Fails (with a message) when a root is missing or not a directory.
    static std::optional<PathResolver> create(const ResolverConfig& config, std::string* error);

    ResolveResult resolve(std::string_view requestName, std::string_view clientIp) const;

    // Tests force the O_NOFOLLOW walk used where openat2 is missing (kernels before 5.6).
    static void useOpenat2(bool enabled);

  private:
    struct Root {
        std::string path;  // canonical, no trailing '/'
        UniqueFd fd;
    };
    PathResolver() = default;

    ResolveResult resolveUnder(const std::string& baseDir,
                               const std::vector<std::string>& components) const;
    ResolveResult openCanonical(const std::string& canonical) const;
    std::optional<std::string> canonicalise(const std::string& baseDir,
                                            const std::vector<std::string>& components,
                                            const char** reason) const;
    const Root* rootFor(const std::string& canonical) const;

    ResolverConfig config_;
    std::vector<Root> roots_;  // roots_[0] is --root
    std::string layoutRoot_;   // canonical static part of the layout, when set
};

}  // namespace rpinetboot::tftpd
