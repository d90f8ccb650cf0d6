// Live verification over RPC: mountd's export list must show each (path, client), and nfsd must
// answer a NULL call. A server that is not running is said plainly.
#include <thread>

#include "app.h"
#include "rpinetboot/nfs/mount_client.h"

namespace rpinetboot::nfs {

namespace {

bool allMatch(const std::vector<RemoteExport>& list, const std::vector<PiExport>& present,
              const std::vector<PiExport>& absent) {
    for (const auto& r : present)
        if (!isExportedTo(list, r.path, r.client.address())) return false;
    for (const auto& r : absent)
        if (isExportedTo(list, r.path, r.client.address())) return false;
    return true;
}

}  // namespace

int verifyLive(const Config& cfg, const Reporter& rep, const std::vector<PiExport>& present,
               const std::vector<PiExport>& absent, bool strict) {
    if (cfg.noVerify) return kOk;
    // mountd rereads its table when the file changes and ganesha reloads asynchronously after
    // SIGHUP: poll, bounded by --verify-timeout.
    auto deadline = std::chrono::steady_clock::now() + cfg.verifyTimeout;
    ExportListResult list;
    while (true) {
        list = listExports(cfg.server, std::chrono::milliseconds(2000));
        if (list.status != RpcStatus::Ok) break;
        if (allMatch(list.exports, present, absent)) break;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (list.status != RpcStatus::Ok) {
        std::string what = list.status == RpcStatus::NoRpcbind
                               ? "the NFS server is not running on " + cfg.server +
                                     " (no rpcbind answers: " + list.error + ")"
                           : list.status == RpcStatus::NotRegistered
                               ? "the NFS server is not running on " + cfg.server +
                                     ": mountd is not registered with rpcbind"
                               : "mountd on " + cfg.server + " did not answer: " + list.error;
        if (strict) {
            rep.error(what);
            return kServerDown;
        }
        rep.warn(what + "; the export is configured and takes effect when the server starts");
        return kOk;
    }
    int rc = kOk;
    for (const auto& r : present) {
        if (isExportedTo(list.exports, r.path, r.client.address())) {
            rep.info("live: mountd on " + cfg.server + " exports " + r.path + " to " +
                     r.clientText());
        } else {
            rep.error("mountd on " + cfg.server + " does not export " + r.path + " to " +
                      r.clientText() + " (Pi " + r.serial.str() + ")");
            rc = kNotLive;
        }
    }
    for (const auto& r : absent)
        if (isExportedTo(list.exports, r.path, r.client.address())) {
            rep.error("mountd on " + cfg.server + " still exports " + r.path + " to " +
                      r.clientText());
            rc = kNotLive;
        }
    auto ping = pingProgram(cfg.server, kNfsProgram, 3, std::chrono::milliseconds(2000));
    if (ping.status != RpcStatus::Ok)
        ping = pingProgram(cfg.server, kNfsProgram, 4, std::chrono::milliseconds(2000));
    if (ping.status != RpcStatus::Ok) {
        std::string what = "the NFS server (nfsd, program 100003) is not running on " + cfg.server +
                           ": mountd answers but no Pi can mount until nfsd runs (" + ping.error +
                           ")";
        if (strict && rc == kOk) {
            rep.error(what);
            return kServerDown;
        }
        rep.warn(what);
    } else {
        rep.info("live: nfsd on " + cfg.server + " answers");
    }
    return rc;
}

}  // namespace rpinetboot::nfs
