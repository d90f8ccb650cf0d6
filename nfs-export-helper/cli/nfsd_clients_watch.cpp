#include "nfsd_clients_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace rpinetboot::nfs {

BootEvent nfsMountEvent(const PiExport& record, const std::string& address, const std::string& file,
                        std::int64_t timestampUs) {
    BootEvent e;
    e.step = BootStep::NfsMount;
    e.timestampUs = timestampUs;
    e.source = "rpi-nfs-exports";
    e.serial = record.serial.str();
    e.address = address;
    e.file = file;
    e.outcome = Outcome::Ok;
    return e;
}

namespace {

// Reads at most `limit` + 1 bytes (so that an oversized file is seen as such). nfsd's files report
// size 0, so the size is not asked. False with errno set.
bool readSmall(int dirFd, const std::string& name, std::size_t limit, std::string& out) {
    out.clear();
    const int fd = ::openat(dirFd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return false;
    char buf[4096];
    while (out.size() <= limit) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int saved = errno;
            ::close(fd);
            errno = saved;
            return false;
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return true;
}

bool isClientId(const char* name) {
    if (!*name) return false;
    for (const char* p = name; *p; ++p)
        if (*p < '0' || *p > '9') return false;
    return true;
}

struct Candidate {
    std::string name, key;
    std::uint64_t createdUs = 0;
};

}  // namespace

void NfsdClientsWatch::warnOnce(const std::string& key, const std::string& message) {
    if (warned_.contains(key)) return;
    warned_.insert(key);
    rep_.warn(message);
}

void NfsdClientsWatch::poll(const std::function<int(std::vector<PiExport>&)>& load,
                            const std::function<void(BootEvent&)>& emit) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_.c_str()), ::closedir);
    if (!dir) {
        if (available_ != 0)
            rep_.warn(dir_ + ": " + std::strerror(errno) +
                      "; NFSv4 mounts are not seen (no kernel NFS server, Linux before 5.3, "
                      "nfsd not mounted on /proc/fs/nfsd, or not root); rpc.mountd's log is "
                      "still watched");
        available_ = 0;
        return;
    }
    if (available_ != 1)
        rep_.info("watching NFSv4 clients in " + dir_ + (available_ == 0 ? " again" : ""));
    available_ = 1;
    const int dirFd = ::dirfd(dir.get());
    std::vector<std::string> present;
    std::vector<Candidate> fresh;
    while (const dirent* d = ::readdir(dir.get())) {
        if (!isClientId(d->d_name)) continue;
        if (present.size() >= kMaxClients) {
            if (!fullReported_)
                rep_.warn(dir_ + " lists more than " + std::to_string(kMaxClients) +
                          " clients; only the first are looked at");
            fullReported_ = true;
            break;
        }
        struct stat st {};
        if (::fstatat(dirFd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
        // The directory is made when the client is created (EXCHANGE_ID or SETCLIENTID): its
        // mtime is the mount's time, and with the id a key that a restarted nfsd does not reuse.
        const std::uint64_t createdUs = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000u +
                                        static_cast<std::uint64_t>(st.st_mtim.tv_nsec) / 1000u;
        std::string key = std::string(d->d_name) + "@" + std::to_string(st.st_mtim.tv_sec) + "." +
                          std::to_string(st.st_mtim.tv_nsec);
        present.push_back(key);
        if (!seen_.contains(key)) fresh.push_back({d->d_name, std::move(key), createdUs});
    }
    std::sort(present.begin(), present.end());
    seen_.retain(present);
    warned_.retain(present);
    if (fresh.empty()) return;

    std::vector<PiExport> records;
    if (load(records) != kOk) return;  // reported by the backend; tried again next poll
    std::string text, error;
    for (const auto& c : fresh) {
        if (!readSmall(dirFd, c.name + "/info", kMaxInfoBytes, text)) continue;  // gone
        NfsdClientInfo info;
        if (!parseNfsdClientInfo(text, info, error)) {
            warnOnce(c.key, dir_ + "/" + c.name + "/info: " + error + "; no event");
            seen_.insert(c.key);
            continue;
        }
        if (info.status == "unconfirmed") continue;  // not yet a client: look again next poll
        const PiExport* record = exportForClient(records, info.address);
        if (!record) {
            warnOnce(c.key, "NFSv4 client " + info.address +
                                " is not a Pi this tool exports a root to; no event");
            seen_.insert(c.key);
            continue;
        }
        struct stat root {};
        if (::stat(record->path.c_str(), &root) != 0) {
            warnOnce(c.key, "cannot stat " + record->path + " (" + std::strerror(errno) +
                                "), the root of " + record->serial.str() +
                                ": its NFSv4 mount cannot be recognised");
            continue;
        }
        std::vector<NfsdState> states;
        if (!readSmall(dirFd, c.name + "/states", kMaxStatesBytes, text)) continue;
        if (!parseNfsdStates(text, states, error)) {
            warnOnce(c.key, dir_ + "/" + c.name + "/states: " + error);
            continue;
        }
        // Until the Pi opens a file on its root (its init, right after the mount) nothing shows
        // which export it mounted: look again next poll.
        if (!statesOnDevice(states, major(root.st_dev), minor(root.st_dev))) continue;
        BootEvent e = nfsMountEvent(*record, info.address, record->path, c.createdUs);
        e.text = nfsVersionText(info.minorVersion);
        emit(e);
        if (!seen_.insert(c.key) && !fullReported_) {
            rep_.warn("more than " + std::to_string(kMaxClients) + " NFSv4 clients to remember");
            fullReported_ = true;
        }
    }
}

}  // namespace rpinetboot::nfs
