// Maps a request name to an open regular file inside the allowed roots, or refuses.
//
// Every request is decided on the final path, not on the name asked for:
//  1. the name is canonicalised in user space (lstat/readlink per component, 40 hops at most,
//     case folding on a miss when asked), which says which tree the file really is in;
//  2. that canonical path must lie in an allowed root (a layout request: in its own Pi's
//     directory), and in no tree pinned to other clients;
//  3. it is opened O_PATH beneath its root with symlinks forbidden (openat2 RESOLVE_BENEATH |
//     RESOLVE_NO_SYMLINKS, or an O_NOFOLLOW walk where openat2 is missing), so a tree changed
//     between the steps fails instead of escaping;
//  4. only a regular file is then opened for reading, through /proc/self/fd of the O_PATH
//     descriptor: a device node or FIFO is never opened (open(2): O_PATH).
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::tftpd {

struct ResolverConfig {
    std::string root;                     // the tree served: <root>/<prefix>/...
    std::vector<std::string> allowRoots;  // extra directories symlinks may point into
    // Optional template such as "/srv/rpi/{serial}/boot/{path}" for requests "<prefix>/<path>".
    std::string layout;
    bool caseInsensitive = false;
    // Per-prefix client pinning: canonical prefix -> client IPs allowed (canonical text).
    std::map<std::string, std::vector<std::string>> pins;
    // How long the directories the pinned prefixes resolve to are trusted before they are looked
    // up again (a tree created or re-linked later is then protected too); 0: every request.
    std::chrono::milliseconds pinRefresh{1000};
};

enum class ResolveError { NotFound, AccessViolation };

struct ResolvedFile {
    // Opened O_RDONLY, a regular file; with Open::PathOnly its O_PATH descriptor (readable()
    // false) until PathResolver::openForReading.
    UniqueFd fd;
    struct stat st {};
    std::string serverPath;  // for debug logs only, never sent to clients
    bool readable() const { return rootFd < 0; }

  private:
    friend class PathResolver;
    int rootFd = -1;  // PathOnly: the root it lies beneath (borrowed) and its path there
    std::string rel;
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

// The key pins are compared by: the canonical prefix, ASCII-lowercased (a custom prefix pinned
// as "Lab" also covers "lab", so case folding cannot dodge it).
std::string pinKey(std::string_view prefix);

// Checks a layout template: absolute, one {serial} or {prefix}, ends in "/{path}".
bool validLayout(std::string_view layout, std::string* why);

// Why serving the canonical directory `dir` (and everything below it) would expose the host, or
// nullopt when it may be a root. Refused: "/"; the top-level system directories as a whole
// (/bin, /boot, /dev, /etc, /home, /lib*, /media, /mnt, /opt, /proc, /root, /run, /sbin, /srv,
// /sys, /tmp, /usr, /var) and the directories directly in /home, /usr and /var (a user's home,
// /usr/lib, /var/lib, ...); anything inside /etc, /dev, /proc, /sys, /run and /root.
// Subdirectories such as /srv/tftp, /var/lib/tftpboot or /usr/lib/raspi-firmware are fine.
std::optional<std::string> hostExposure(const std::string& dir);

class PathResolver {
  public:
    // Opens the roots. Fails (with a message naming the option) when a root is missing, not a
    // directory, exposes the host (hostExposure), or when the layout's directory and another
    // root contain one another.
    static std::optional<PathResolver> create(const ResolverConfig& config, std::string* error);

    // Readable: the file opened for reading. PathOnly: checked the same way, but left an O_PATH
    // descriptor, so that a caller holding the file's contents already (the file cache, keyed
    // by the fstat) need not open it; openForReading opens it later if needed.
    enum class Open { Readable, PathOnly };
    ResolveResult resolve(std::string_view requestName, std::string_view clientIp,
                          Open open = Open::Readable) const;
    // Opens a PathOnly result for reading (the same inode), in place; false with `error` set
    // (the descriptor is then closed). Call before the resolver is reloaded.
    bool openForReading(ResolvedFile& file, ResolveError& error, const char*& reason) const;

    // Tests force the O_NOFOLLOW walk used where openat2 is missing (kernels before 5.6), and
    // the by-name reopen used where /proc is not mounted.
    static void useOpenat2(bool enabled);
    static void useProcReopen(bool enabled);

  private:
    struct Root {
        std::string path;  // canonical, no trailing '/'
        UniqueFd fd;
    };
    struct PinnedTree {
        std::string path;  // canonical directory a pinned prefix resolves to
        std::vector<std::string> clients;
    };
    PathResolver() = default;

    std::optional<ResolveResult> resolveLayout(const std::vector<std::string>& parts,
                                               std::string_view clientIp, Open open) const;
    ResolveResult openChecked(const Root& root, const std::string& canonical,
                              std::string_view clientIp, Open open) const;
    // openChecked's part after the O_PATH open of `rel` beneath `root`.
    ResolveResult checkOpened(const Root& root, const std::string& canonical,
                              const std::string& rel, UniqueFd path, Open open) const;
    std::optional<std::string> canonicalise(const std::string& baseDir,
                                            const std::vector<std::string>& components,
                                            const char** reason) const;
    const Root* rootFor(const std::string& canonical) const;
    bool pinnedToOthers(const std::string& canonical, std::string_view clientIp) const;
    void refreshPinnedTrees() const;

    ResolverConfig config_;
    std::vector<Root> roots_;        // roots_[0] is --root, then each --allow-root
    std::optional<Root> layoutDir_;  // the layout's static directory, when set
    std::string layoutBefore_;       // text of the placeholder's component around {serial}
    std::string layoutAfter_;
    std::vector<std::string> layoutTail_;  // template components between it and {path}
    std::map<std::string, std::vector<std::string>> pins_;  // pinKey -> clients
    mutable std::vector<PinnedTree> pinnedTrees_;
    mutable std::optional<std::chrono::steady_clock::time_point> pinnedAt_;
};

}  // namespace rpinetboot::tftpd
