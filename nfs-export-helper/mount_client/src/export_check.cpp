// checkExport: the probe's one-call question, built on listExports and isExportedTo.
#include <string>

#include "rpinetboot/nfs/client_net.h"
#include "rpinetboot/nfs/mount_client.h"
#include "rpinetboot/util/ipv4.h"

namespace rpinetboot::nfs {

namespace {
std::string trimSlashes(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}
}  // namespace

const char* exportCheckName(ExportCheck check) {
    switch (check) {
        case ExportCheck::Exported:
            return "exported";
        case ExportCheck::NotExported:
            return "not-exported";
        case ExportCheck::ServerUnreachable:
            return "server-unreachable";
        case ExportCheck::MountdNotRegistered:
            return "mountd-not-registered";
        case ExportCheck::Error:
            break;
    }
    return "error";
}

ExportCheckResult checkExport(const std::string& server, const std::string& path,
                              const std::string& clientAddress, std::chrono::milliseconds timeout,
                              std::uint16_t port) {
    ExportCheckResult r;
    auto client = parseIpv4(clientAddress);
    if (!client) {
        r.detail = "client \"" + clientAddress + "\" is not an IPv4 address";
        return r;
    }
    if (!parseIpv4(server)) {
        r.detail = "server \"" + server + "\" is not an IPv4 address";
        return r;
    }
    if (path.empty() || path.front() != '/') {
        r.detail = "path \"" + path + "\" is not absolute";
        return r;
    }
    std::string want = trimSlashes(path);
    auto list = listExports(server, timeout, port);
    switch (list.status) {
        case RpcStatus::Ok:
            break;
        case RpcStatus::NoRpcbind:
        case RpcStatus::Unreachable:
            r.status = ExportCheck::ServerUnreachable;
            r.detail = list.error;
            return r;
        case RpcStatus::NotRegistered:
            r.status = ExportCheck::MountdNotRegistered;
            r.detail = list.error;
            return r;
        case RpcStatus::Failed:
            r.detail = list.error;
            return r;
    }
    for (auto& e : list.exports) e.path = trimSlashes(e.path);
    for (const auto& e : list.exports)
        if (e.path == want) r.groups.insert(r.groups.end(), e.groups.begin(), e.groups.end());
    if (isExportedTo(list.exports, want, *client)) {
        r.status = ExportCheck::Exported;
        r.detail = "mountd on " + server + " exports " + want + " to " + clientAddress;
    } else {
        r.status = ExportCheck::NotExported;
        r.detail = r.groups.empty() ? "mountd on " + server + " does not export " + want
                                    : "mountd on " + server + " exports " + want +
                                          " only to others, not to " + clientAddress;
    }
    return r;
}

}  // namespace rpinetboot::nfs
