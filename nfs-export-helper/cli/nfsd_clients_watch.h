// watch-mounts' NFSv4 source: polls knfsd's /proc/fs/nfsd/clients (parsing and matching are in
// rpinetboot/nfs/nfsd_clients.h). nfsd's files do not support inotify, hence the polling: each
// poll is one readdir and one fstatat per client; only new clients' files are read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "app.h"
#include "rpinetboot/boot_event.h"
#include "rpinetboot/nfs/nfsd_clients.h"

namespace rpinetboot::nfs {

// The NFS_MOUNT boot event (outcome ok) of the Pi whose root `record` is, mounted as `file` from
// `address`: what both of watch-mounts' sources emit (mountd's log for NFSv2/v3, knfsd's client
// list for NFSv4), each adding what only it knows.
BootEvent nfsMountEvent(const PiExport& record, const std::string& address, const std::string& file,
                        std::int64_t timestampUs);

class NfsdClientsWatch {
  public:
    // At most this many clients are looked at per poll and remembered.
    static constexpr std::size_t kMaxClients = 4096;

    NfsdClientsWatch(std::string dir, const Reporter& rep) : dir_(std::move(dir)), rep_(rep) {}

    // One look at the directory. `load` reads the Pi exports (called only when there is a new
    // client); `emit` gets one NFS_MOUNT event per new client of a Pi whose states show a file on
    // that Pi's root file system. A directory that is absent or unreadable is reported once (and
    // again when it comes back), never an error: the mountd log is still watched.
    void poll(const std::function<int(std::vector<PiExport>&)>& load,
              const std::function<void(BootEvent&)>& emit);

  private:
    void warnOnce(const std::string& key, const std::string& message);

    std::string dir_;
    const Reporter& rep_;
    SeenClients seen_{kMaxClients};    // handled: an event was emitted, or not a Pi's
    SeenClients warned_{kMaxClients};  // reported once already
    int available_ = -1;               // -1 not looked yet, 0 absent, 1 readable
    bool fullReported_ = false;
};

}  // namespace rpinetboot::nfs
