// A small MOUNT/NFS RPC client over libtirpc: asks mountd (program 100005) for its export list
// (MOUNTPROC_EXPORT, same XDR in v1 and v3) and pings a program with the NULL procedure. Used by
// rpi-nfs-exports to verify what it applied and by rpi-netboot-probe to ask whether a path is
// exported to a Pi. The MOUNT XDR routines are generated at build time from rpcsvc/mount.x.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace rpinetboot::nfs {

struct RemoteExport {
    std::string path;
    std::vector<std::string>
        groups;  // as the server prints them: "192.0.2.10", "192.0.2.0/24", "*"
};

enum class RpcStatus {
    Ok,
    NoRpcbind,      // nothing answers rpcbind/portmap on the server (port 111)
    NotRegistered,  // rpcbind answers but the program is not registered: daemon not running
    Unreachable,    // connection refused / timed out
    Failed,         // any other RPC error
};

struct ExportListResult {
    RpcStatus status = RpcStatus::Failed;
    std::string error;  // human-readable when status != Ok
    std::vector<RemoteExport> exports;
};

struct PingResult {
    RpcStatus status = RpcStatus::Failed;
    std::string error;
};

constexpr std::uint32_t kMountProgram = 100005;
constexpr std::uint32_t kNfsProgram = 100003;

// `server` is a dotted-quad IPv4 address; `port` 0 asks the server's rpcbind.
ExportListResult listExports(const std::string& server,
                             std::chrono::milliseconds timeout = std::chrono::seconds(3),
                             std::uint16_t port = 0);

PingResult pingProgram(const std::string& server, std::uint32_t program, std::uint32_t version,
                       std::chrono::milliseconds timeout = std::chrono::seconds(3),
                       std::uint16_t port = 0);

const char* rpcStatusName(RpcStatus status);

// True if `exports` lists `path` with a group that admits `clientAddress` (IPv4, host byte order):
// an exact address, a CIDR or dotted-mask network containing it, or "*". Names and netgroups are
// not resolved and never match.
bool isExportedTo(const std::vector<RemoteExport>& exports, const std::string& path,
                  std::uint32_t clientAddress);

// The question rpi-netboot-probe asks: "is PATH exported to ADDR by SERVER's mountd?". Stable API:
// values are only ever added, never renumbered or removed.
enum class ExportCheck {
    Exported,             // mountd lists PATH with a group that admits ADDR
    NotExported,          // mountd answered, and PATH is not exported to ADDR
    ServerUnreachable,    // no rpcbind answers on SERVER:111 (host down, refused, timed out)
    MountdNotRegistered,  // rpcbind answers but MOUNT v3 (100005) is not registered: no mountd
    Error,                // bad arguments, or an RPC failure other than the above (see detail)
};

struct ExportCheckResult {
    ExportCheck status = ExportCheck::Error;
    std::string detail;               // one line for a human: why, or what matched
    std::vector<std::string> groups;  // PATH's groups as mountd listed them (empty if unlisted)
};

// `server` and `clientAddress` are dotted-quad IPv4 addresses; `path` is compared with the
// server's export paths after dropping trailing slashes ("/srv/nfs/pi/x/" == "/srv/nfs/pi/x").
// Never throws; bounded by `timeout` per RPC (at most two: rpcbind, then mountd).
ExportCheckResult checkExport(const std::string& server, const std::string& path,
                              const std::string& clientAddress,
                              std::chrono::milliseconds timeout = std::chrono::seconds(3),
                              std::uint16_t port = 0);

// "exported", "not-exported", "server-unreachable", "mountd-not-registered", "error".
const char* exportCheckName(ExportCheck check);

}  // namespace rpinetboot::nfs
