// Test-only LD_PRELOAD shim: kills the calling process with SIGKILL when it is about to rename a
// file whose source path contains $RPI_NFS_TEST_CRASH_AT_RENAME. The knfsd integration test uses
// it to crash rpi-nfs-exports after its temp file is written and fsynced but before the rename,
// the one moment a torn update could happen; nothing in the shipped binary knows about it.
#include <dlfcn.h>
#include <signal.h>

#include <cstdlib>
#include <cstring>

extern "C" int rename(const char* from, const char* to) {
    const char* match = std::getenv("RPI_NFS_TEST_CRASH_AT_RENAME");
    if (match && *match && from && std::strstr(from, match)) raise(SIGKILL);
    using RenameFn = int (*)(const char*, const char*);
    static auto real = reinterpret_cast<RenameFn>(dlsym(RTLD_NEXT, "rename"));
    return real ? real(from, to) : -1;
}
