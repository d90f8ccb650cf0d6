// Test-only LD_PRELOAD shim: kills the calling process with SIGKILL when it is about to rename a
// file whose source path contains $RPI_NFS_TEST_CRASH_AT_RENAME (rename(2), or renameat(2) with the
// path of its directory descriptor read from /proc/self/fd). The knfsd integration test uses
// it to crash rpi-nfs-exports after its temp file is written and fsynced but before the rename,
// the one moment a torn update could happen; nothing in the shipped binary knows about it.
#include <dlfcn.h>
#include <signal.h>

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" int rename(const char* from, const char* to) {
    const char* match = std::getenv("RPI_NFS_TEST_CRASH_AT_RENAME");
    if (match && *match && from && std::strstr(from, match)) raise(SIGKILL);
    using RenameFn = int (*)(const char*, const char*);
    static auto real = reinterpret_cast<RenameFn>(dlsym(RTLD_NEXT, "rename"));
    return real ? real(from, to) : -1;
}

extern "C" int renameat(int fromDir, const char* from, int toDir, const char* to) {
    const char* match = std::getenv("RPI_NFS_TEST_CRASH_AT_RENAME");
    if (match && *match && from) {
        std::string path = from;
        if (from[0] != '/' && fromDir != AT_FDCWD) {
            char dir[PATH_MAX];
            const std::string link = "/proc/self/fd/" + std::to_string(fromDir);
            const ssize_t n = readlink(link.c_str(), dir, sizeof dir - 1);
            if (n > 0) path = std::string(dir, static_cast<std::size_t>(n)) + "/" + from;
        }
        if (std::strstr(path.c_str(), match)) raise(SIGKILL);
    }
    using RenameatFn = int (*)(int, const char*, int, const char*);
    static auto real = reinterpret_cast<RenameatFn>(dlsym(RTLD_NEXT, "renameat"));
    return real ? real(fromDir, from, toDir, to) : -1;
}
