// rpi-nfs-exports: the command layer. Backends (knfsd drop-in, ganesha include file) share one
// flow: lock, read state, check, write safely, reload with rollback, verify live.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "rpinetboot/nfs/pi_export.h"

namespace rpinetboot::nfs {

// Stable exit codes; documented in --help and README.
enum Exit : int {
    kOk = 0,
    kUsage = 1,          // bad command line
    kInvalid = 2,        // bad serial, path, client, options; unknown serial for remove
    kConflict = 3,       // conflicts with other exports, our entry rejected, state edited by hand
    kApplyFailed = 4,    // exportfs/ganesha reload failed; the previous file was restored
    kForeignBroken = 5,  // another exports file is already broken (named); nothing changed
    kNotLive = 6,        // check/verify: the server does not export what the state says
    kServerDown = 7,     // check: the NFS server (mountd/nfsd/ganesha) is not running
    kSystem = 8,         // I/O, permissions, lock timeout, missing tools
};

struct Config {
    std::string backend = "knfsd";
    std::string exportsDir = "/etc/exports.d";
    std::string fileName = "rpi-netboot.exports";
    std::string exportsFile = "/etc/exports";
    std::string base = "/srv/nfs/pi";
    std::string exportfs = "/usr/sbin/exportfs";
    std::string server = "127.0.0.1";  // where mountd/nfsd are asked
    bool noReload = false;
    bool noVerify = false;
    bool force = false;
    bool requireNosuidNodev = false;  // refuse, not only warn (mount_check.cpp)
    std::chrono::milliseconds verifyTimeout{10000};
    std::chrono::milliseconds lockTimeout{30000};
    // ganesha
    std::string ganeshaConfig = "/etc/ganesha/ganesha.conf";
    std::string ganeshaInclude = "/etc/ganesha/rpi-netboot.conf";
    std::string ganeshaPidFile = "/run/ganesha/ganesha.pid";
    std::string ganeshaFsal = "VFS";
    std::string ganeshaVerifyClient = "127.0.0.1";
};

// Messages: stdout for results, stderr for errors and warnings, each prefixed so scripts can grep.
struct Reporter {
    std::ostream& out;
    std::ostream& err;
    void error(const std::string& m) const;
    void warn(const std::string& m) const;
    void info(const std::string& m) const;
};

class Backend {
  public:
    virtual ~Backend() = default;
    virtual std::string stateFile() const = 0;
    virtual std::string lockFile() const = 0;
    // Prepares the directory and removes stale temp files (under the lock).
    virtual int prepare() = 0;
    // Reads our state; problems (hand edits) are reported and give kConflict.
    virtual int load(std::vector<PiExport>& records) = 0;
    // Checks a candidate against what other configuration exports; prints warnings.
    virtual int checkCandidate(const PiExport& candidate, const std::vector<PiExport>& ours) = 0;
    // Validates, writes, reloads (unless --no-reload) and rolls back on failure.
    virtual int commit(const std::vector<PiExport>& before, const std::vector<PiExport>& after) = 0;
    // Live verification: `present` must be exported to their clients, `absent` must not.
    // `strict` (check): a server that is down is kServerDown; otherwise only a warning.
    virtual int verify(const std::vector<PiExport>& present, const std::vector<PiExport>& absent,
                       bool strict) = 0;
    // check: state vs foreign configuration (exportfs/includes), without live verification.
    virtual int checkConfiguration(const std::vector<PiExport>& records) = 0;
    // Extra JSON members for a record ("export_id" for ganesha).
    virtual void jsonExtra(const PiExport&, nlohmann::json&) const {}
};

std::unique_ptr<Backend> makeKnfsdBackend(const Config& cfg, const Reporter& rep);
std::unique_ptr<Backend> makeGaneshaBackend(const Config& cfg, const Reporter& rep);

// Live verification through the MOUNT protocol, shared by both backends.
int verifyLive(const Config& cfg, const Reporter& rep, const std::vector<PiExport>& present,
               const std::vector<PiExport>& absent, bool strict);

// no_root_squash exports on file systems mounted without nosuid/nodev: warnings, or kInvalid with
// --require-nosuid-nodev.
int checkMountOptions(const Config& cfg, const Reporter& rep, const std::vector<PiExport>& records);

struct AddRequest {
    std::string serial, path, client, options;
    int nfsVersion = 3;
};
struct ProvisionRequest {
    std::string serial, from, client, options, server, hostname;
    int nfsVersion = 3;
};

int cmdAdd(const Config& cfg, const Reporter& rep, const AddRequest& req);
int cmdRemove(const Config& cfg, const Reporter& rep, const std::string& serial);
int cmdList(const Config& cfg, const Reporter& rep, bool json);
int cmdCheck(const Config& cfg, const Reporter& rep);
int cmdApply(const Config& cfg, const Reporter& rep);
int cmdProvision(const Config& cfg, const Reporter& rep, const ProvisionRequest& req);

// watch-mounts: rpc.mountd log lines from `input` ("-": standard input, "none": no log) and
// knfsd's NFSv4 clients in `nfsdClients` ("none": not watched), polled every `pollSeconds`, to
// NFS_MOUNT events. `ganeshaBus`: where nfs-ganesha's clients are asked (ganesha_clients_watch.h):
// "auto" (the system bus with --backend ganesha, else not asked), "system", "none" or a D-Bus
// address.
struct WatchRequest {
    std::string input = "-";
    std::string events = "auto";
    std::string nfsdClients = "/proc/fs/nfsd/clients";
    std::string ganeshaBus = "auto";
    int pollSeconds = 3;
};
int cmdWatchMounts(const Config& cfg, const Reporter& rep, const WatchRequest& req);

// Builds and validates a record from command-line text (exit code and message on failure).
int buildRecord(const Config& cfg, const Reporter& rep, const AddRequest& req, PiExport& out);

}  // namespace rpinetboot::nfs
