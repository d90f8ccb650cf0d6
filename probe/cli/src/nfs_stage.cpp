// The NFS root from cmdline.txt: ask that server's mountd (MOUNTPROC_EXPORT over libtirpc, the
// nfs helper's client) what it exports, and let probe/checks (nfs_check.h) judge the answer.
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/nfs/mount_client.h"
#include "rpinetboot/probe/nfs_check.h"
#include "rpinetboot/probe/route_check.h"
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
            std::uint32_t piAddress, Report& report) {
    ExportFacts facts;
    facts.server = opt.nfsServer ? *opt.nfsServer : root.server;
    facts.path = normalisedPath(root.path);
    facts.piAddress = piAddress;
    report.nfs_root = root.server + ":" + root.path;
    if (auto f = nfsServerNotAddress(facts.server)) {
        report.step("nfs", "nfsroot", Verdict::Fail, facts.server + " is not an IPv4 address");
        report.finding(*f, "nfs");
        return;
    }
    if (auto problem = routeProblem(iface, *parseIpv4(facts.server))) {
        report.step("nfs", "route", Verdict::Fail, *problem);
        report.finding(routeElsewhere("asking mountd", *problem), "nfs");
        return;
    }
    const auto listed = nfs::listExports(facts.server, opt.timeout, 0, opt.interface);
    facts.listed = listed.status == nfs::RpcStatus::Ok;
    facts.error = listed.error;
    if (facts.listed) {
        for (const auto& e : listed.exports) facts.exports.push_back({e.path, e.groups});
        facts.exported = nfs::isExportedTo(listed.exports, facts.path, piAddress);
        report.nfsExported = facts.exported;
    }
    const std::string where = "MOUNT EXPORT " + facts.server;
    if (!facts.listed) {
        report.step("nfs", where, Verdict::Fail,
                    std::string(nfs::rpcStatusName(listed.status)) + ": " + listed.error);
    } else {
        const std::string pi = ipv4ToString(piAddress);
        report.step("nfs", where, Verdict::Ok, std::to_string(listed.exports.size()) + " exports");
        report.step("nfs", "export " + facts.path, facts.exported ? Verdict::Ok : Verdict::Fail,
                    facts.exported ? "exported to " + pi : "not exported to " + pi);
    }
    for (const auto& f : judgeExports(facts)) report.finding(f, "nfs");
}

}  // namespace rpinetboot::probe
