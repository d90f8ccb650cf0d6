#include "rpinetboot/util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot {

namespace {

std::string failure(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// Creates a fresh temp file next to `name`: mkostemp(3) cannot work relative to a directory
// descriptor, so the random suffix is drawn here and O_EXCL makes the name ours.
UniqueFd createTemp(int dirFd, const std::string& name, std::string& tmp) {
    static constexpr char kChars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device rd;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kChars - 2);
    for (int attempt = 0; attempt < 100; ++attempt) {
        tmp = tempFilePrefix(name);
        for (int i = 0; i < 6; ++i) tmp += kChars[pick(rd)];
        UniqueFd fd(
            openat(dirFd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (fd || errno != EEXIST) return fd;
    }
    return UniqueFd{};
}

std::string writeAll(int fd, std::string_view content, const std::string& tmp) {
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return failure("write " + tmp);
        done += static_cast<std::size_t>(n);
    }
    return {};
}

std::string fillTemp(int fd, std::string_view content, const FileAttributes& attributes,
                     const std::string& tmp) {
    if (auto error = writeAll(fd, content, tmp); !error.empty()) return error;
    if (fchmod(fd, attributes.mode) != 0) return failure("chmod " + tmp);
    if ((attributes.uid || attributes.gid) &&
        fchown(fd, attributes.uid ? *attributes.uid : static_cast<uid_t>(-1),
               attributes.gid ? *attributes.gid : static_cast<gid_t>(-1)) != 0)
        return failure("chown " + tmp);
    if (fsync(fd) != 0) return failure("fsync " + tmp);
    return {};
}

}  // namespace

std::string tempFilePrefix(const std::string& name) {
    return "." + name + ".tmp.";
}

std::string replaceFileAt(int dirFd, const std::string& name, std::string_view content,
                          const FileAttributes& attributes) {
    std::string tmp;
    UniqueFd fd = createTemp(dirFd, name, tmp);
    if (!fd) return failure("create temp file for " + name);
    std::string error = fillTemp(fd.get(), content, attributes, tmp);
    fd.reset();
    if (error.empty() && renameat(dirFd, tmp.c_str(), dirFd, name.c_str()) != 0)
        error = failure("rename " + tmp);
    if (!error.empty()) {
        const int saved = errno;
        unlinkat(dirFd, tmp.c_str(), 0);
        errno = saved;
        return error;
    }
    if (fsync(dirFd) != 0) return failure("fsync directory of " + name);
    return {};
}

}  // namespace rpinetboot
