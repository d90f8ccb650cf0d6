// The NFS root from cmdline.txt: ask that server's mountd (MOUNTPROC_EXPORT over libtirpc, the
// nfs helper's client) whether the path is exported to the address the Pi got.
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/nfs/mount_client.h"
#include "stages.h"

namespace rpinetboot::probe {

namespace {

// mountd lists "/srv/rpi/x"; cmdline.txt may say "/srv/rpi/x/".
std::string normalisedPath(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return path;
}

}  // namespace

void runNfs(const ProbeOptions& opt, const InterfaceInfo& iface, const NfsRoot& root,
            std::uint32_t pi_address, Report& report) {
    const std::string server = opt.nfs_server ? *opt.nfs_server : root.server;
    const std::string path = normalisedPath(root.path);
    report.nfs_root = root.server + ":" + root.path;
    const auto server_ip = parseIpv4(server);
    if (!server_ip) {
        report.step("nfs", "nfsroot", Verdict::Fail, server + " is not an IPv4 address");
        report.finding({Verdict::Fail, "nfs-server-not-address",
                        "nfsroot= names the server \"" + server +
                            "\"; the kernel mounts the root before any resolver runs, so it "
                            "must be an IPv4 address."},
                       "nfs");
        return;
    }
    if (auto problem = routeProblem(iface, *server_ip)) {
        report.step("nfs", "route", Verdict::Fail, *problem);
        report.finding({Verdict::Fail, "route-elsewhere", "Not asking mountd: " + *problem + "."},
                       "nfs");
        return;
    }
    const auto listed = nfs::listExports(server, opt.timeout);
    if (listed.status != nfs::RpcStatus::Ok) {
        report.step("nfs", "MOUNT EXPORT " + server, Verdict::Fail,
                    std::string(nfs::rpcStatusName(listed.status)) + ": " + listed.error);
        report.finding({Verdict::Fail, "nfs-unreachable",
                        "The NFS server " + server + " did not list its exports (" + listed.error +
                            "). Check that rpcbind and rpc.mountd (nfs-kernel-server or "
                            "nfs-ganesha) run there."},
                       "nfs");
        return;
    }
    report.step("nfs", "MOUNT EXPORT " + server, Verdict::Ok,
                std::to_string(listed.exports.size()) + " exports");
    const bool exported = nfs::isExportedTo(listed.exports, path, pi_address);
    report.nfs_exported = exported;
    const std::string pi = ipv4ToString(pi_address);
    report.step("nfs", "export " + path, exported ? Verdict::Ok : Verdict::Fail,
                exported ? "exported to " + pi : "not exported to " + pi);
    if (!exported) {
        std::string listed_to;
        for (const auto& e : listed.exports) {
            if (e.path != path) continue;
            for (const auto& g : e.groups) listed_to += (listed_to.empty() ? "" : ", ") + g;
        }
        report.finding({Verdict::Fail, "nfs-not-exported",
                        server + " does not export " + path + " to " + pi + " (the Pi's address)" +
                            (listed_to.empty() ? std::string(": the path is not in its export list")
                                               : ": it is exported only to " + listed_to) +
                            ". The kernel's NFS mount will be refused; export the root to the Pi's "
                            "address (rpi-nfs-exports does it per Pi)."},
                       "nfs");
    }
}

}  // namespace rpinetboot::probe
