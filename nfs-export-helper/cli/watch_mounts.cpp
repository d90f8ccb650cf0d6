// watch-mounts: rpc.mountd's log in, one NFS_MOUNT boot event per mount of a Pi's root out
// (README.md, "Boot events and bootloader logs"), and knfsd's NFSv4 clients polled beside it
// (nfsd_clients_watch.h), since NFSv4 mounts never reach mountd, and nfs-ganesha's clients over
// D-Bus (ganesha_clients_watch.h), since ganesha has neither. The exports are re-read at every
// mount, so Pis added while it runs are known.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <ostream>
#include <thread>

#include "app.h"
#include "files.h"
#include "ganesha_clients_watch.h"
#include "nfsd_clients_watch.h"
#include "rpinetboot/event_sink.h"
#include "rpinetboot/nfs/mount_log.h"

namespace rpinetboot::nfs {
namespace {

// Longer log lines are no mountd line: dropped (with a warning) without holding them in memory.
constexpr std::size_t kMaxLine = 64 * 1024;

class Watcher {
  public:
    Watcher(const Config& cfg, const Reporter& rep, EventSink* sink)
        : rep_(rep),
          sink_(sink),
          backend_(cfg.backend == "ganesha" ? makeGaneshaBackend(cfg, rep)
                                            : makeKnfsdBackend(cfg, rep)) {}

    int load(std::vector<PiExport>& records) {
        try {
            return backend_->load(records);
        } catch (const SystemError& e) {
            rep_.error(e.what());
            return kSystem;
        }
    }

    void emit(BootEvent& e) {
        if (sink_) sink_->emit(e);
        rep_.info(summary(e));
        ++emitted_;
    }

    int logLine(const std::string& line) {
        auto request = parseMountLog(line);
        if (!request) return kOk;
        std::vector<PiExport> records;
        if (int rc = load(records); rc != kOk) return rc;
        const PiExport* record = exportForMount(records, *request);
        if (!record) {
            rep_.warn("mount of " + request->path + " by " + request->address +
                      " is not of a Pi root this tool exports; no event");
            return kOk;
        }
        BootEvent e = nfsMountEvent(*record, request->address, request->path,
                                    request->timestampUs.value_or(nowMicros()));
        if (request->refused) e.outcome = Outcome::Failed;
        e.error = request->reason;
        if (request->refused && e.error.empty()) e.error = "refused";
        emit(e);
        return kOk;
    }

    std::size_t emitted() const { return emitted_; }

  private:
    const Reporter& rep_;
    EventSink* sink_;
    std::unique_ptr<Backend> backend_;
    std::size_t emitted_ = 0;
};

// Splits what read(2) returns into lines; an overlong line is dropped, not kept.
class LineSplitter {
  public:
    template <typename F>
    int feed(const char* data, std::size_t n, const Reporter& rep, F&& onLine) {
        for (std::size_t i = 0; i < n; ++i) {
            if (data[i] != '\n') {
                if (line_.size() < kMaxLine)
                    line_ += data[i];
                else
                    overlong_ = true;
                continue;
            }
            if (int rc = finish(rep, onLine); rc != kOk) return rc;
        }
        return kOk;
    }
    template <typename F>
    int finish(const Reporter& rep, F&& onLine) {
        int rc = kOk;
        if (overlong_)
            rep.warn("a log line longer than " + std::to_string(kMaxLine) + " bytes was skipped");
        else if (!line_.empty())
            rc = onLine(line_);
        line_.clear();
        overlong_ = false;
        return rc;
    }

  private:
    std::string line_;
    bool overlong_ = false;
};

}  // namespace

int cmdWatchMounts(const Config& cfg, const Reporter& rep, const WatchRequest& req) {
    const bool watchV4 = req.nfsdClients != "none";
    const bool watchLog = req.input != "none";
    // nfs-ganesha's clients are asked by default when it is the backend: with it there is no
    // mountd log and no /proc/fs/nfsd, so nothing else would see a mount.
    const std::string ganeshaBus = req.ganeshaBus != "auto"   ? req.ganeshaBus
                                   : cfg.backend == "ganesha" ? "system"
                                                              : "none";
    const bool watchGanesha = ganeshaBus != "none";
    const bool polling = watchV4 || watchGanesha;
    if (ganeshaBus.empty()) {
        rep.error("--ganesha-bus must be auto, system, none or a D-Bus address");
        return kInvalid;
    }
    if (req.pollSeconds < 1 || req.pollSeconds > 3600) {
        rep.error("--poll-interval must be 1..3600");
        return kInvalid;
    }
    if (!polling && !watchLog) {
        rep.error("--input none, --nfsd-clients none and no nfs-ganesha bus: nothing to watch");
        return kInvalid;
    }
    SinkSpec spec;
    std::string error;
    if (!parseSinkSpec(req.events, spec, error)) {
        rep.error("--events: " + error);
        return kInvalid;
    }
    auto sink = makeSink(spec, error);
    if (!sink && spec.kind != SinkSpec::Kind::None) {
        rep.error("--events: " + error);
        return kSystem;
    }
    const std::string inputName = req.input == "-" ? std::string("standard input") : req.input;
    int fd = -1;
    if (watchLog) {
        fd = req.input == "-" ? STDIN_FILENO : ::open(req.input.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rep.error("cannot read " + req.input + ": " + std::strerror(errno));
            return kSystem;
        }
    }
    Watcher watcher(cfg, rep, sink.get());
    NfsdClientsWatch v4(req.nfsdClients, rep);
    std::unique_ptr<GaneshaClientsWatch> ganesha;
    if (watchGanesha) ganesha = std::make_unique<GaneshaClientsWatch>(ganeshaBus, rep);
    auto load = [&](std::vector<PiExport>& r) { return watcher.load(r); };
    auto emit = [&](BootEvent& e) { watcher.emit(e); };
    auto onLine = [&](const std::string& line) { return watcher.logLine(line); };
    auto pollSources = [&] {
        if (watchV4) v4.poll(load, emit);
        if (ganesha) ganesha->poll(load, emit);
        rep.out.flush();  // a long-running watcher's lines are read as they come
    };
    const auto interval = std::chrono::seconds(req.pollSeconds);
    auto next = std::chrono::steady_clock::now();
    LineSplitter lines;
    int rc = kOk;
    // The log is read as it comes; between reads, knfsd's and ganesha's clients are polled every
    // interval. With a log, the command ends where the log ends (one last poll first); with
    // --input none it runs until it is stopped.
    while (rc == kOk) {
        const auto now = std::chrono::steady_clock::now();
        if (polling && now >= next) {
            pollSources();
            next = now + interval;
        }
        if (!watchLog) {
            std::this_thread::sleep_until(next);
            continue;
        }
        const int timeout =
            polling ? static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           next - std::chrono::steady_clock::now())
                                           .count()) +
                          1
                    : -1;
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, std::max(timeout, 0));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) {
            rep.error("waiting for " + inputName + " failed: " + std::strerror(errno));
            rc = kSystem;
            break;
        }
        if (ready == 0) continue;
        char buf[16384];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) {
            rep.error("reading " + inputName + " failed: " + std::strerror(errno));
            rc = kSystem;
            break;
        }
        if (n == 0) {
            rc = lines.finish(rep, onLine);
            if (rc == kOk && polling) pollSources();
            break;
        }
        rc = lines.feed(buf, static_cast<std::size_t>(n), rep, onLine);
    }
    if (fd > STDIN_FILENO) ::close(fd);
    if (rc != kOk) return rc;
    if (sink && sink->failures() > 0) {
        rep.error(std::to_string(sink->failures()) + " of " + std::to_string(watcher.emitted()) +
                  " events could not be written to " + sink->describe());
        return kSystem;
    }
    return kOk;
}

}  // namespace rpinetboot::nfs
