#include "path_resolver.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
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
// Opened for reading only once known to be a regular file; O_NONBLOCK all the same, so that a
// file swapped for a FIFO in the by-name fallback cannot hang the daemon.
constexpr int kReadFlags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
constexpr std::uint64_t kBeneathNoSymlinks =
    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// Set once openat2 is known to be missing (old kernel or a seccomp filter): walk instead.
std::atomic<bool> gNoOpenat2{false};
// Set once /proc/self/fd is known to be missing: reopen by name instead.
std::atomic<bool> gNoProcReopen{false};

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

// `path` is `dir` or lies below it (both canonical).
bool within(const std::string& path, const std::string& dir) {
    if (dir == "/") return true;
    return path.size() >= dir.size() && path.compare(0, dir.size(), dir) == 0 &&
           (path.size() == dir.size() || path[dir.size()] == '/');
}

bool strictlyWithin(const std::string& path, const std::string& dir) {
    return path != dir && within(path, dir);
}

// `path` relative to `dir` (path strictly within dir).
std::string relativeTo(const std::string& path, const std::string& dir) {
    return dir == "/" ? path.substr(1) : path.substr(dir.size() + 1);
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

// Opens `rel` beneath `rootFd` without following any symlink; the last component with
// `lastFlags` (O_NOFOLLOW is always added). Returns -1 with errno set.
int openNoSymlinks(int rootFd, const std::string& rel, int lastFlags) {
    if (!gNoOpenat2.load(std::memory_order_relaxed)) {
        int fd = sysOpenat2(rootFd, rel.c_str(), lastFlags | O_NOFOLLOW, kBeneathNoSymlinks);
        if (fd >= 0 || !openat2Missing(errno)) return fd;
        gNoOpenat2.store(true, std::memory_order_relaxed);
    }
    // Component walk: every step O_NOFOLLOW, so nothing but the canonical path can be opened.
    auto parts = splitPath(rel);
    if (parts.empty()) {
        errno = ENOENT;
        return -1;
    }
    UniqueFd dir(::fcntl(rootFd, F_DUPFD_CLOEXEC, 0));
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        UniqueFd next(
            ::openat(dir.get(), parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) return -1;
        dir = std::move(next);
    }
    return ::openat(dir.get(), parts.back().c_str(), lastFlags | O_NOFOLLOW);
}

bool sameFile(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

std::string lower(std::string s) {
    for (auto& c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
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

std::string pinKey(std::string_view prefix) {
    return lower(canonicalPrefix(prefix));
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
        if (part == ".." || part == ".") return bad("layout must not contain . or ..");
    }
    return true;
}

std::optional<std::string> hostExposure(const std::string& dir) {
    if (dir == "/") return std::string("it is the whole file system");
    // Never served, not even in part: configuration, kernel and device interfaces, runtime
    // state and root's home (hier(7)).
    for (const char* sensitive : {"/etc", "/dev", "/proc", "/sys", "/run", "/root"}) {
        if (within(dir, sensitive)) {
            return std::string("nothing in ") + sensitive + " may be served";
        }
    }
    static const char* const wholes[] = {"/bin",   "/boot",   "/home",  "/lib", "/lib32",
                                         "/lib64", "/libx32", "/media", "/mnt", "/opt",
                                         "/sbin",  "/srv",    "/tmp",   "/usr", "/var"};
    const auto parts = splitPath(dir);
    for (const char* whole : wholes) {
        if (dir == whole) return std::string("it is the system directory ") + whole;
    }
    // A user's home, /usr/lib, /var/lib, /var/log, ... as a whole.
    if (parts.size() == 2 && (parts[0] == "home" || parts[0] == "usr" || parts[0] == "var")) {
        return "it is the whole of " + dir;
    }
    return std::nullopt;
}

std::optional<PathResolver> PathResolver::create(const ResolverConfig& config, std::string* error) {
    PathResolver r;
    r.config_ = config;
    // A root is opened by its canonical path and refused when it exposes the host; the check
    // also compares identities with / and the system directories, which catches bind mounts.
    std::vector<struct stat> system;
    for (const char* d : {"/", "/etc", "/usr", "/var", "/home", "/root", "/boot", "/proc", "/sys",
                          "/dev", "/run", "/srv", "/tmp"}) {
        struct stat st {};
        if (::stat(d, &st) == 0) system.push_back(st);
    }
    auto openRoot = [&](const std::string& option, const std::string& dir) -> std::optional<Root> {
        char buf[PATH_MAX];
        if (!::realpath(dir.c_str(), buf)) {
            *error = option + " " + dir + ": cannot resolve directory " + dir;
            return std::nullopt;
        }
        UniqueFd fd(::open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!fd) {
            *error = option + " " + dir + ": not a directory: " + dir;
            return std::nullopt;
        }
        std::string canonical = buf;
        auto why = hostExposure(canonical);
        struct stat st {};
        if (!why && ::fstat(fd.get(), &st) == 0) {
            for (const auto& s : system) {
                if (sameFile(s, st)) why = "it is a system directory under another name";
            }
        }
        if (why) {
            *error = option + " " + dir + ": refused, it would expose the host (" + canonical +
                     ": " + *why + ")";
            return std::nullopt;
        }
        return Root{canonical, std::move(fd)};
    };
    if (config.root.empty()) {
        *error = "no root directory configured";
        return std::nullopt;
    }
    auto root = openRoot("--root", config.root);
    if (!root) return std::nullopt;
    r.roots_.push_back(std::move(*root));
    for (const auto& dir : config.allowRoots) {
        auto allowed = openRoot("--allow-root", dir);
        if (!allowed) return std::nullopt;
        r.roots_.push_back(std::move(*allowed));
    }
    if (!config.layout.empty()) {
        std::string why;
        if (!validLayout(config.layout, &why)) {
            *error = "--layout " + config.layout + ": " + why;
            return std::nullopt;
        }
        const std::string head = config.layout.substr(0, config.layout.size() - 7);  // "/{path}"
        const auto placeholder = head.find('{');
        const auto slash = head.rfind('/', placeholder);
        const auto end = std::min(head.find('/', placeholder), head.size());
        const std::string component = head.substr(slash + 1, end - slash - 1);
        const auto close = component.find('}');
        const auto open = component.find('{');
        r.layoutBefore_ = component.substr(0, open);
        r.layoutAfter_ = component.substr(close + 1);
        r.layoutTail_ = splitPath(head.substr(end));
        const std::string staticDir = slash == 0 ? "/" : head.substr(0, slash);
        auto dir = openRoot("--layout", staticDir);
        if (!dir) {
            if (error->rfind("--layout ", 0) == 0) {
                error->replace(9, staticDir.size(),
                               config.layout + " (directory " + staticDir + ")");
            }
            return std::nullopt;
        }
        // Another root that contains the layout's directory, or lies in it, would serve every
        // Pi's directory (root file systems included) to any client through plain requests.
        for (std::size_t i = 0; i < r.roots_.size(); ++i) {
            const auto& other = r.roots_[i];
            if (within(dir->path, other.path) || within(other.path, dir->path)) {
                *error = "--layout " + config.layout + ": its directory " + dir->path + " and " +
                         (i == 0 ? "--root " : "--allow-root ") + other.path +
                         " contain one another: every Pi's directory would be served to all";
                return std::nullopt;
            }
        }
        r.layoutDir_ = std::move(*dir);
    }
    for (const auto& [prefix, clients] : config.pins) {
        auto& merged = r.pins_[pinKey(prefix)];
        merged.insert(merged.end(), clients.begin(), clients.end());
    }
    r.refreshPinnedTrees();
    return r;
}

void PathResolver::useOpenat2(bool enabled) {
    gNoOpenat2.store(!enabled, std::memory_order_relaxed);
}

void PathResolver::useProcReopen(bool enabled) {
    gNoProcReopen.store(!enabled, std::memory_order_relaxed);
}

const PathResolver::Root* PathResolver::rootFor(const std::string& canonical) const {
    for (const auto& root : roots_) {
        if (strictlyWithin(canonical, root.path)) return &root;
    }
    return nullptr;
}

void PathResolver::refreshPinnedTrees() const {
    pinnedTrees_.clear();
    pinnedAt_ = std::chrono::steady_clock::now();
    if (pins_.empty()) return;
    // Every entry whose canonical name is a pinned prefix (in any spelling or case) protects the
    // directory it resolves to, wherever that is and whatever other names lead there.
    auto scan = [&](const std::string& dir, const std::string& before, const std::string& after) {
        DIR* d = ::opendir(dir.c_str());
        if (!d) return;
        while (auto* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name == "." || name == ".." || name.size() <= before.size() + after.size() ||
                name.compare(0, before.size(), before) != 0 ||
                name.compare(name.size() - after.size(), after.size(), after) != 0) {
                continue;
            }
            auto pin = pins_.find(
                pinKey(name.substr(before.size(), name.size() - before.size() - after.size())));
            if (pin == pins_.end()) continue;
            char buf[PATH_MAX];
            struct stat st {};
            if (!::realpath(childOf(dir, name).c_str(), buf) || ::stat(buf, &st) != 0 ||
                !S_ISDIR(st.st_mode)) {
                continue;
            }
            auto same = std::find_if(pinnedTrees_.begin(), pinnedTrees_.end(),
                                     [&](const PinnedTree& t) { return t.path == buf; });
            if (same == pinnedTrees_.end()) {
                pinnedTrees_.push_back({buf, pin->second});
            } else {  // one tree behind several pinned prefixes: served to each one's clients
                same->clients.insert(same->clients.end(), pin->second.begin(), pin->second.end());
            }
        }
        ::closedir(d);
    };
    scan(roots_[0].path, "", "");
    if (layoutDir_) scan(layoutDir_->path, layoutBefore_, layoutAfter_);
}

bool PathResolver::pinnedToOthers(const std::string& canonical, std::string_view clientIp) const {
    if (pins_.empty()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (!pinnedAt_ || now - *pinnedAt_ >= config_.pinRefresh) refreshPinnedTrees();
    for (const auto& tree : pinnedTrees_) {
        if (within(canonical, tree.path) &&
            std::find(tree.clients.begin(), tree.clients.end(), clientIp) == tree.clients.end()) {
            return true;
        }
    }
    return false;
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

ResolveResult PathResolver::openChecked(const Root& root, const std::string& canonical,
                                        std::string_view clientIp, Open open) const {
    if (pinnedToOthers(canonical, clientIp)) {
        return fail(ResolveError::AccessViolation, "tree pinned to other clients");
    }
    const std::string rel = relativeTo(canonical, root.path);
    // O_PATH: no open event, no driver open for a device node, no FIFO rendezvous.
    UniqueFd path(openNoSymlinks(root.fd.get(), rel, O_PATH | O_CLOEXEC));
    if (!path) {
        return fail(errno == ELOOP || errno == EXDEV ? ResolveError::AccessViolation
                                                     : ResolveError::NotFound,
                    "changed while resolving");
    }
    return checkOpened(root, canonical, rel, std::move(path), open);
}

ResolveResult PathResolver::checkOpened(const Root& root, const std::string& canonical,
                                        const std::string& rel, UniqueFd path, Open open) const {
    ResolvedFile f;
    if (::fstat(path.get(), &f.st) != 0) return fail(ResolveError::NotFound, "fstat failed");
    if (!S_ISREG(f.st.st_mode)) return fail(ResolveError::NotFound, "not a regular file");
    f.fd = std::move(path);
    f.serverPath = canonical;
    f.rootFd = root.fd.get();
    f.rel = rel;
    if (open == Open::Readable) {
        ResolveError error{};
        const char* reason = "";
        if (!openForReading(f, error, reason)) return fail(error, reason);
    }
    ResolveResult r;
    r.file = std::move(f);
    return r;
}

bool PathResolver::openForReading(ResolvedFile& f, ResolveError& error, const char*& reason) const {
    if (f.readable()) return true;
    UniqueFd path = std::move(f.fd);
    UniqueFd file;
    bool reopened = false;
    if (!gNoProcReopen.load(std::memory_order_relaxed)) {
        // Reopening the O_PATH descriptor opens exactly the inode just checked.
        const std::string self = "/proc/self/fd/" + std::to_string(path.get());
        file = UniqueFd(::open(self.c_str(), kReadFlags));
        reopened = static_cast<bool>(file);
        if (!file && (errno == ENOENT || errno == ENOTDIR)) {
            gNoProcReopen.store(true, std::memory_order_relaxed);
        }
    }
    if (!file && gNoProcReopen.load(std::memory_order_relaxed)) {
        // Without /proc: by name again, symlinks still forbidden, then the same inode is
        // required. A file swapped for a special file in between is opened (non-blocking) before
        // this check refuses it; only here can that happen.
        file = UniqueFd(openNoSymlinks(f.rootFd, f.rel, kReadFlags));
    }
    if (!file) {
        const bool denied = errno == EACCES || errno == EPERM;
        error = denied ? ResolveError::AccessViolation : ResolveError::NotFound;
        reason = denied ? "permission denied" : "open failed";
        return false;
    }
    if (!reopened) {
        // Opened by name again: it may be another file now. (A reopened O_PATH descriptor is
        // the inode fstat just checked: no second fstat on the path every request takes.)
        struct stat st {};
        if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode) || !sameFile(st, f.st)) {
            error = ResolveError::NotFound;
            reason = "changed while resolving";
            return false;
        }
        f.st = st;
    }
    f.fd = std::move(file);
    f.rootFd = -1;
    f.rel.clear();
    return true;
}

std::optional<ResolveResult> PathResolver::resolveLayout(const std::vector<std::string>& parts,
                                                         std::string_view clientIp,
                                                         Open open) const {
    const std::string component = layoutBefore_ + parts[0] + layoutAfter_;
    if (component.size() > kMaxComponent) return std::nullopt;
    const char* why = "";
    // The Pi's directory: the one entry for its prefix in the layout's directory, followed if it
    // is the admin's symlink to a shared tree.
    auto piDir = canonicalise(layoutDir_->path, {component}, &why);
    struct stat st {};
    if (!piDir || ::stat(piDir->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return std::nullopt;  // no directory for this prefix: served from --root (the Pi's
                              // fallback)
    }
    const bool inLayout = strictlyWithin(*piDir, layoutDir_->path);
    if ((!inLayout && !rootFor(*piDir + "/x")) || within(layoutDir_->path, *piDir)) {
        return fail(ResolveError::AccessViolation, "layout directory outside the allowed roots");
    }
    auto base = canonicalise(*piDir, layoutTail_, &why);
    if (base && !within(*base, *piDir)) {
        return fail(ResolveError::AccessViolation, "leaves the Pi's directory");
    }
    if (!base || ::stat(base->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
    // Everything below the Pi's directory may be written by the Pi (an NFS root): whatever it
    // links to must stay inside that directory.
    std::vector<std::string> rest(parts.begin() + 1, parts.end());
    auto canonical = canonicalise(*base, rest, &why);
    if (!canonical) return fail(ResolveError::NotFound, why);
    if (!strictlyWithin(*canonical, *piDir)) {
        return fail(ResolveError::AccessViolation, "leaves the Pi's directory");
    }
    const Root* root = inLayout ? &*layoutDir_ : rootFor(*canonical);
    if (!root) return fail(ResolveError::AccessViolation, "outside the allowed roots");
    return openChecked(*root, *canonical, clientIp, open);
}

ResolveResult PathResolver::resolve(std::string_view requestName, std::string_view clientIp,
                                    Open open) const {
    const char* reason = "";
    auto parts = splitRequestName(requestName, &reason);
    if (!parts) return fail(ResolveError::AccessViolation, reason);
    if (parts->empty()) return fail(ResolveError::NotFound, "empty name");
    if (parts->size() >= 2 && !pins_.empty()) {
        // By name first (also when the pinned tree does not exist yet), then by where the file
        // really is (openChecked).
        auto pin = pins_.find(pinKey((*parts)[0]));
        if (pin != pins_.end() &&
            std::find(pin->second.begin(), pin->second.end(), clientIp) == pin->second.end()) {
            return fail(ResolveError::AccessViolation, "tree pinned to other clients");
        }
    }
    if (layoutDir_ && parts->size() >= 2) {
        if (auto r = resolveLayout(*parts, clientIp, open)) return std::move(*r);
    } else if (!gNoOpenat2.load(std::memory_order_relaxed)) {
        // Fast path: one openat2 beneath --root with every symlink refused. When it opens, the
        // name has no symlink anywhere, so its canonical path is the root's plus the name, and
        // the walk below would find just that; when it says ENOENT, every component before the
        // missing one is a real directory, so the walk would fail there too ("not found";
        // unless case folding may still find it). Anything else (a symlink on the way) takes
        // the walk. A Pi's boot probes many missing files (docs/protocol/tftp.md): each is
        // then one system call.
        std::string rel;
        for (const auto& part : *parts) {
            if (!rel.empty()) rel += '/';
            rel += part;
        }
        const Root& root = roots_[0];
        UniqueFd path(sysOpenat2(root.fd.get(), rel.c_str(), O_PATH | O_CLOEXEC | O_NOFOLLOW,
                                 kBeneathNoSymlinks));
        if (path) {
            std::string canonical = childOf(root.path, rel);
            if (pinnedToOthers(canonical, clientIp)) {
                return fail(ResolveError::AccessViolation, "tree pinned to other clients");
            }
            return checkOpened(root, canonical, rel, std::move(path), open);
        }
        if (errno == ENOENT && !config_.caseInsensitive) {
            return fail(ResolveError::NotFound, "not found");
        }
        if (openat2Missing(errno)) gNoOpenat2.store(true, std::memory_order_relaxed);
    }
    auto canonical = canonicalise(roots_[0].path, *parts, &reason);
    if (!canonical) return fail(ResolveError::NotFound, reason);
    const Root* root = rootFor(*canonical);
    if (!root) return fail(ResolveError::AccessViolation, "outside the allowed roots");
    return openChecked(*root, *canonical, clientIp, open);
}

}  // namespace rpinetboot::tftpd
