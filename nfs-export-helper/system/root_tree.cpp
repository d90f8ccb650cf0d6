#include "root_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "files.h"
#include "rpinetboot/util/atomic_file.h"

namespace rpinetboot::nfs {

namespace {
[[noreturn]] void fail(const std::string& what) {
    throw SystemError(what + ": " + std::strerror(errno));
}
}  // namespace

RootTree::RootTree(const std::string& root) : root_(root) {
    fd_.reset(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd_) fail("open " + root + " (a Pi root must be a directory, not a symlink)");
}

RootTree::RootTree(int parentFd, const std::string& name, const std::string& display)
    : root_(display) {
    fd_.reset(openat(parentFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd_) fail("open " + display + " (a Pi root must be a directory, not a symlink)");
}

RootTree::~RootTree() = default;

UniqueFd RootTree::openParent(const std::string& rel, std::string& leaf) const {
    UniqueFd dir(dup(fd_.get()));
    if (!dir) fail("dup");
    std::size_t start = 0;
    while (true) {
        auto slash = rel.find('/', start);
        if (slash == std::string::npos) {
            leaf = rel.substr(start);
            return dir;
        }
        std::string comp = rel.substr(start, slash - start);
        UniqueFd next(
            openat(dir.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) {
            if (errno == ENOENT) return UniqueFd{};
            fail(root_ + "/" + rel.substr(0, slash) +
                 " (symlinks are not followed inside a Pi root)");
        }
        dir = std::move(next);
        start = slash + 1;
    }
}

std::optional<std::string> RootTree::read(const std::string& rel) const {
    std::string leaf;
    const UniqueFd dir = openParent(rel, leaf);
    if (!dir) return std::nullopt;
    const UniqueFd fd(openat(dir.get(), leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        fail(root_ + "/" + rel);
    }
    std::string out;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0)
        out.append(buf, static_cast<std::size_t>(n));
    if (n < 0) fail("read " + root_ + "/" + rel);
    return out;
}

void RootTree::write(const std::string& rel, const std::string& content) const {
    std::string leaf;
    const UniqueFd dir = openParent(rel, leaf);
    if (!dir) throw SystemError(root_ + "/" + rel + ": parent directory is missing");
    struct stat old;
    bool had = fstatat(dir.get(), leaf.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (had && !S_ISREG(old.st_mode)) {
        throw SystemError(root_ + "/" + rel + " is not a regular file (a symlink?): not touched");
    }
    FileAttributes attributes;  // a new file: 0644, owned by us
    if (had) attributes = {static_cast<mode_t>(old.st_mode & 07777), old.st_uid, old.st_gid};
    const std::string error = replaceFileAt(dir.get(), leaf, content, attributes);
    if (!error.empty()) {
        fail("write " + root_ + "/" + rel + " (" + error + ")");
    }
}

bool RootTree::remove(const std::string& rel) const {
    std::string leaf;
    const UniqueFd dir = openParent(rel, leaf);
    if (!dir) return false;
    const int rc = unlinkat(dir.get(), leaf.c_str(), 0);
    if (rc != 0 && errno != ENOENT) {
        fail("remove " + root_ + "/" + rel);
    }
    return rc == 0;
}

std::vector<std::string> RootTree::list(const std::string& rel) const {
    std::vector<std::string> out;
    std::string leaf;
    UniqueFd dir = openParent(rel + "/.", leaf);
    if (!dir) return out;
    DIR* d = fdopendir(dir.get());
    if (!d) return out;
    dir.release();  // closedir closes it
    while (auto* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    closedir(d);
    return out;
}

RootTree::Kind RootTree::kind(const std::string& rel) const {
    std::string leaf;
    const UniqueFd dir = openParent(rel, leaf);
    if (!dir) return Kind::Missing;
    struct stat st;
    if (fstatat(dir.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return Kind::Missing;
        fail("stat " + root_ + "/" + rel);
    }
    if (S_ISREG(st.st_mode)) return Kind::File;
    if (S_ISDIR(st.st_mode)) return Kind::Directory;
    if (S_ISLNK(st.st_mode)) return Kind::Symlink;
    return Kind::Other;
}

void RootTree::symlink(const std::string& rel, const std::string& target) const {
    std::string leaf;
    const UniqueFd dir = openParent(rel, leaf);
    if (!dir) throw SystemError(root_ + "/" + rel + ": parent directory is missing");
    if (unlinkat(dir.get(), leaf.c_str(), 0) != 0 && errno != ENOENT)
        fail("remove " + root_ + "/" + rel);
    if (symlinkat(target.c_str(), dir.get(), leaf.c_str()) != 0)
        fail("symlink " + root_ + "/" + rel);
    fsync(dir.get());
}

void RootTree::makeDirs(const std::string& rel) const {
    std::size_t start = 0;
    while (start <= rel.size()) {
        auto slash = rel.find('/', start);
        std::string prefix = rel.substr(0, slash);
        std::string leaf;
        const UniqueFd dir = openParent(prefix, leaf);
        if (!dir) throw SystemError(root_ + "/" + prefix + ": parent directory is missing");
        if (mkdirat(dir.get(), leaf.c_str(), 0755) != 0 && errno != EEXIST) {
            fail("mkdir " + root_ + "/" + prefix);
        }
        if (kind(prefix) != Kind::Directory)
            throw SystemError(root_ + "/" + prefix + " is not a directory (a symlink?): not used");
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
}

}  // namespace rpinetboot::nfs
