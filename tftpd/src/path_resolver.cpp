#include "path_resolver.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <deque>

#include "rpinetboot/mac.h"
#include "rpinetboot/serial.h"

namespace rpinetboot::tftpd {
namespace {

constexpr int kMaxSymlinkHops = 40;  // the kernel's own limit
constexpr int kOpenFlags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

// Set once openat2 is known to be missing (old kernel or a seccomp filter): walk instead.
std::atomic<bool> gNoOpenat2{false};

int sysOpenat2(int dirfd, const char* path, int flags, std::uint64_t resolve) {
#ifdef SYS_openat2
    struct open_how how {};
    how.flags = static_cast<std::uint64_t>(flags);
    how.resolve = resolve;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
#else
    (void)dirfd, (void)path, (void)flags, (void)resolve;
    errno = ENOSYS;
    return -1;
#endif
}

bool openat2Missing(int err) {
    return err == ENOSYS || err == EPERM || err == E2BIG;
}

std::vector<std::string> splitPath(std::string_view path) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        auto next = path.find('/', pos);
        if (next == std::string_view::npos) next = path.size();
        if (next > pos) parts.emplace_back(path.substr(pos, next - pos));
        pos = next + 1;
    }
    return parts;
}

std::string parentOf(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return "/";
    return path.substr(0, slash);
}

std::string childOf(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
}

// A case-insensitive match for `name` in `dir`; the smallest name wins when several match so
// that the answer does not depend on directory order.
std::optional<std::string> findCaseInsensitive(const std::string& dir, const std::string& name) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return std::nullopt;
    std::optional<std::string> best;
    while (auto* e = ::readdir(d)) {
        if (::strcasecmp(e->d_name, name.c_str()) == 0 && (!best || e->d_name < *best)) {
            best = e->d_name;
        }
    }
    ::closedir(d);
    return best;
}

ResolveResult fail(ResolveError error, const char* reason) {
    ResolveResult r;
    r.error = error;
    r.reason = reason;
    return r;
}

ResolveResult finish(UniqueFd fd, std::string serverPath) {
    ResolveResult r;
    ResolvedFile f;
    if (::fstat(fd.get(), &f.st) != 0) return fail(ResolveError::NotFound, "fstat failed");
    if (!S_ISREG(f.st.st_mode)) return fail(ResolveError::NotFound, "not a regular file");
    f.fd = std::move(fd);
    f.serverPath = std::move(serverPath);
    r.file = std::move(f);
    return r;
}

}  // namespace

std::optional<std::vector<std::string>> splitRequestName(std::string_view name,
                                                         const char** reason) {
    const char* dummy = nullptr;
    if (!reason) reason = &dummy;
    if (name.size() > kMaxRequestName) {
        *reason = "name too long";
        return std::nullopt;
    }
    std::vector<std::string> parts;
    std::string current;
    auto flush = [&]() -> bool {
        if (current.empty() || current == ".") {
            current.clear();
            return true;
        }
        if (current == "..") {
            *reason = "parent reference";
            return false;
        }
        if (current.size() > kMaxComponent) {
            *reason = "component too long";
            return false;
        }
        parts.push_back(std::move(current));
        current.clear();
        return true;
    };
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            *reason = "control character";
            return std::nullopt;
        }
        // DOS-style separators from PXE clients; also stops "..\\" from hiding a parent step.
        if (c == '/' || c == '\\') {
            if (!flush()) return std::nullopt;
        } else {
            current += c;
        }
    }
    if (!flush()) return std::nullopt;
    return parts;
}

std::string canonicalPrefix(std::string_view prefix) {
    if (auto serial = Serial::parse(prefix)) return serial->str();
    if (auto mac = MacAddress::parse(prefix)) return mac->dashed();
    return std::string(prefix);
}

bool validLayout(std::string_view layout, std::string* why) {
    auto bad = [&](const char* msg) {
        if (why) *why = msg;
        return false;
    };
    if (layout.empty() || layout[0] != '/') return bad("layout must be an absolute path");
    const std::string_view suffix = "/{path}";
    if (layout.size() <= suffix.size() || layout.substr(layout.size() - suffix.size()) != suffix) {
        return bad("layout must end with /{path}");
    }
    auto head = layout.substr(0, layout.size() - suffix.size());
    int placeholders = 0;
    for (std::string_view p : {"{serial}", "{prefix}"}) {
        for (auto pos = head.find(p); pos != std::string_view::npos; pos = head.find(p, pos + 1)) {
            ++placeholders;
        }
    }
    if (placeholders != 1) return bad("layout needs exactly one {serial} (or {prefix})");
    if (head.find("{path}") != std::string_view::npos) return bad("{path} must come last");
    for (const auto& part : splitPath(head)) {
        if (part == "..") return bad("layout must not contain ..");
    }
    return true;
}

std::optional<PathResolver> PathResolver::create(const ResolverConfig& config, std::string* error) {
    PathResolver r;
    r.config_ = config;
    auto openRoot = [&](const std::string& dir) -> bool {
        char buf[PATH_MAX];
        if (!::realpath(dir.c_str(), buf)) {
            *error = "cannot resolve directory " + dir;
            return false;
        }
        UniqueFd fd(::open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!fd) {
            *error = "not a directory: " + dir;
            return false;
        }
        r.roots_.push_back({buf, std::move(fd)});
        return true;
    };
    if (config.root.empty()) {
        *error = "no root directory configured";
        return std::nullopt;
    }
    if (!openRoot(config.root)) return std::nullopt;
    for (const auto& dir : config.allowRoots) {
        if (!openRoot(dir)) return std::nullopt;
    }
    if (!config.layout.empty()) {
        std::string why;
        if (!validLayout(config.layout, &why)) {
            *error = why;
            return std::nullopt;
        }
        // The static directory before the placeholder is an allowed root of its own.
        auto placeholder = config.layout.find('{');
        auto staticDir = config.layout.substr(0, config.layout.rfind('/', placeholder));
        if (staticDir.empty()) staticDir = "/";
        if (!openRoot(staticDir)) return std::nullopt;
        r.layoutRoot_ = r.roots_.back().path;
    }
    return r;
}

void PathResolver::useOpenat2(bool enabled) {
    gNoOpenat2.store(!enabled, std::memory_order_relaxed);
}

const PathResolver::Root* PathResolver::rootFor(const std::string& canonical) const {
    for (const auto& root : roots_) {
        if (root.path == "/" || (canonical.size() > root.path.size() &&
                                 canonical.compare(0, root.path.size(), root.path) == 0 &&
                                 canonical[root.path.size()] == '/')) {
            return &root;
        }
    }
    return nullptr;
}

std::optional<std::string> PathResolver::canonicalise(const std::string& baseDir,
                                                      const std::vector<std::string>& components,
                                                      const char** reason) const {
    std::deque<std::string> todo(components.begin(), components.end());
    std::string cur = baseDir;
    int hops = 0;
    while (!todo.empty()) {
        std::string c = std::move(todo.front());
        todo.pop_front();
        if (c.empty() || c == ".") continue;
        if (c == "..") {  // only ever from a symlink target: cur is symlink-free, so lexical
            cur = parentOf(cur);
            continue;
        }
        std::string next = childOf(cur, c);
        struct stat st {};
        if (::lstat(next.c_str(), &st) != 0) {
            if (errno != ENOENT || !config_.caseInsensitive) {
                *reason = "not found";
                return std::nullopt;
            }
            auto match = findCaseInsensitive(cur, c);
            if (!match) {
                *reason = "not found";
                return std::nullopt;
            }
            next = childOf(cur, *match);
            if (::lstat(next.c_str(), &st) != 0) {
                *reason = "not found";
                return std::nullopt;
            }
        }
        if (S_ISLNK(st.st_mode)) {
            if (++hops > kMaxSymlinkHops) {
                *reason = "symlink loop";
                return std::nullopt;
            }
            char target[PATH_MAX];
            auto n = ::readlink(next.c_str(), target, sizeof target - 1);
            if (n <= 0) {
                *reason = "unreadable symlink";
                return std::nullopt;
            }
            std::string_view t(target, static_cast<std::size_t>(n));
            if (t[0] == '/') cur = "/";
            auto parts = splitPath(t);
            todo.insert(todo.begin(), parts.begin(), parts.end());
            continue;
        }
        if (!todo.empty() && !S_ISDIR(st.st_mode)) {
            *reason = "not a directory";
            return std::nullopt;
        }
        cur = std::move(next);
    }
    return cur;
}

ResolveResult PathResolver::openCanonical(const std::string& canonical) const {
    const Root* root = rootFor(canonical);
    if (!root) return fail(ResolveError::AccessViolation, "outside the allowed roots");
    const std::string rel =
        root->path == "/" ? canonical.substr(1) : canonical.substr(root->path.size() + 1);
    if (!gNoOpenat2.load(std::memory_order_relaxed)) {
        int fd = sysOpenat2(root->fd.get(), rel.c_str(), kOpenFlags | O_NOFOLLOW,
                            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        if (fd >= 0) return finish(UniqueFd(fd), canonical);
        if (!openat2Missing(errno)) {
            return fail(errno == ELOOP || errno == EXDEV ? ResolveError::AccessViolation
                                                         : ResolveError::NotFound,
                        "changed while resolving");
        }
        gNoOpenat2.store(true, std::memory_order_relaxed);
    }
    // Component walk: every step O_NOFOLLOW, so nothing but the canonical path can be opened.
    auto parts = splitPath(rel);
    if (parts.empty()) return fail(ResolveError::NotFound, "not a regular file");
    UniqueFd dir(::fcntl(root->fd.get(), F_DUPFD_CLOEXEC, 0));
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        UniqueFd next(
            ::openat(dir.get(), parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) return fail(ResolveError::NotFound, "changed while resolving");
        dir = std::move(next);
    }
    UniqueFd file(::openat(dir.get(), parts.back().c_str(), kOpenFlags | O_NOFOLLOW));
    if (!file) return fail(ResolveError::NotFound, "changed while resolving");
    return finish(std::move(file), canonical);
}

ResolveResult PathResolver::resolveUnder(const std::string& baseDir,
                                         const std::vector<std::string>& components) const {
    const Root* root = rootFor(baseDir + "/x");
    if (root && !gNoOpenat2.load(std::memory_order_relaxed)) {
        // Fast path: the kernel keeps the lookup beneath the root, symlinks inside it allowed.
        std::string rel = baseDir.size() > root->path.size()
                              ? baseDir.substr(root->path.size() + (root->path == "/" ? 0 : 1))
                              : std::string();
        for (const auto& c : components) {
            if (!rel.empty()) rel += '/';
            rel += c;
        }
        int fd = sysOpenat2(root->fd.get(), rel.c_str(), kOpenFlags,
                            RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        if (fd >= 0) return finish(UniqueFd(fd), childOf(root->path, rel));
        const int err = errno;
        if (openat2Missing(err)) {
            gNoOpenat2.store(true, std::memory_order_relaxed);
        } else if (err == ENOENT || err == ENOTDIR) {
            if (!config_.caseInsensitive) return fail(ResolveError::NotFound, "not found");
        } else if (err == EXDEV || err == ELOOP) {
            // An absolute symlink, or one leaving the root: it may still end in an allowed
            // root (or inside this one), which the canonical walk below decides.
        } else if (err == EACCES) {
            return fail(ResolveError::AccessViolation, "permission denied");
        } else {
            return fail(ResolveError::NotFound, "open failed");
        }
    }
    const char* reason = "not found";
    auto canonical = canonicalise(baseDir, components, &reason);
    if (!canonical) return fail(ResolveError::NotFound, reason);
    return openCanonical(*canonical);
}

ResolveResult PathResolver::resolve(std::string_view requestName, std::string_view clientIp) const {
    const char* reason = "";
    auto parts = splitRequestName(requestName, &reason);
    if (!parts) return fail(ResolveError::AccessViolation, reason);
    if (parts->empty()) return fail(ResolveError::NotFound, "empty name");
    if (parts->size() >= 2 && !config_.pins.empty()) {
        auto pin = config_.pins.find(canonicalPrefix((*parts)[0]));
        if (pin != config_.pins.end()) {
            bool allowed = false;
            for (const auto& ip : pin->second) allowed = allowed || ip == clientIp;
            if (!allowed)
                return fail(ResolveError::AccessViolation, "tree pinned to other clients");
        }
    }
    if (!layoutRoot_.empty() && parts->size() >= 2) {
        // "<prefix>/<path>" -> the template; when the prefix's directory is missing the request
        // is served from --root as usual (the Pi's own fallback, docs/protocol/boot.md).
        std::string head = config_.layout.substr(0, config_.layout.size() - 7);  // "/{path}"
        for (std::string p : {"{serial}", "{prefix}"}) {
            auto pos = head.find(p);
            if (pos != std::string::npos) head.replace(pos, p.size(), (*parts)[0]);
        }
        // head is layoutRoot_ (canonical) + the rest of the template with the prefix filled in.
        auto placeholderDir = config_.layout.rfind('/', config_.layout.find('{'));
        std::string tail = head.substr(placeholderDir + 1);
        auto tailParts = splitPath(tail);
        std::vector<std::string> rest(parts->begin() + 1, parts->end());
        const char* why = "";
        auto base = canonicalise(layoutRoot_, tailParts, &why);
        struct stat st {};
        if (base && ::stat(base->c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
            if (!rootFor(*base + "/x")) {
                return fail(ResolveError::AccessViolation, "layout leaves the allowed roots");
            }
            return resolveUnder(*base, rest);
        }
    }
    return resolveUnder(roots_[0].path, *parts);
}

}  // namespace rpinetboot::tftpd
