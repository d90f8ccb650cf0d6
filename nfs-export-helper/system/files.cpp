#include "files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "rpinetboot/util/atomic_file.h"
#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::nfs {

namespace {
[[noreturn]] void fail(const std::string& what) {
    throw SystemError(what + ": " + std::strerror(errno));
}
}  // namespace

FileLock::FileLock(const std::string& path, std::chrono::milliseconds timeout) {
    fd_.reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd_) fail("open lock file " + path);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) fail("lock " + path);
        if (std::chrono::steady_clock::now() >= deadline) {
            throw SystemError("another rpi-nfs-exports holds " + path + "; gave up waiting");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

FileLock::~FileLock() = default;  // closing the descriptor releases the flock

std::optional<std::string> readFileIfExists(const std::string& path) {
    const UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        fail("open " + path);
    }
    std::string out;
    char buf[65536];
    while (true) {
        ssize_t n = read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("read " + path);
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > (64u << 20)) throw SystemError(path + " is larger than 64 MiB");
    }
    return out;
}

void replaceFile(const std::string& dir, const std::string& name, const std::string& content) {
    UniqueFd d(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!d) fail("open " + dir);
    const std::string error = replaceFileAt(d.get(), name, content);
    if (!error.empty()) throw SystemError(dir + ": " + error);
}

void removeFile(const std::string& dir, const std::string& name) {
    if (unlink((dir + "/" + name).c_str()) != 0 && errno != ENOENT)
        fail("remove " + dir + "/" + name);
    UniqueFd d(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!d) fail("open " + dir);
    if (fsync(d.get()) != 0) fail("fsync " + dir);
}

void removeStaleTemps(const std::string& dir, const std::string& name) {
    const std::string prefix = tempFilePrefix(name);
    DIR* d = opendir(dir.c_str());
    if (!d) return;
    while (auto* e = readdir(d)) {
        std::string n = e->d_name;
        if (n.compare(0, prefix.size(), prefix) == 0) unlinkat(dirfd(d), n.c_str(), 0);
    }
    closedir(d);
}

std::vector<std::string> listDir(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        fail("open directory " + dir);
    }
    while (auto* e = readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        struct stat st;
        if (fstatat(dirfd(d), n.c_str(), &st, 0) == 0 && S_ISREG(st.st_mode)) out.push_back(n);
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<std::string> canonicalPath(const std::string& path) {
    char buf[PATH_MAX];
    if (!realpath(path.c_str(), buf)) return std::nullopt;
    return std::string(buf);
}

void ensureDirectory(const std::string& dir) {
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) fail("create directory " + dir);
    struct stat st;
    if (stat(dir.c_str(), &st) != 0) fail("stat " + dir);
    if (!S_ISDIR(st.st_mode)) throw SystemError(dir + " is not a directory");
}

}  // namespace rpinetboot::nfs
