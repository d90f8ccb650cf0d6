#include "rpinetboot/probe/nfs_check.h"

#include "rpinetboot/dhcp_packet.h"

namespace rpinetboot::probe {

std::optional<Finding> nfsServerNotAddress(const std::string& server) {
    if (parseIpv4(server)) return std::nullopt;
    return makeFinding(FindingId::NfsServerNotAddress, {server});
}

std::vector<Finding> judgeExports(const ExportFacts& facts) {
    if (!facts.listed) return {makeFinding(FindingId::NfsUnreachable, {facts.server, facts.error})};
    if (facts.exported) return {};
    std::string listedTo;
    for (const auto& e : facts.exports) {
        if (e.path != facts.path) continue;
        for (const auto& g : e.groups) listedTo += (listedTo.empty() ? "" : ", ") + g;
    }
    return {makeFinding(FindingId::NfsNotExported,
                        {facts.server, facts.path, ipv4ToString(facts.piAddress),
                         listedTo.empty() ? std::string("the path is not in its export list")
                                          : "it is exported only to " + listedTo})};
}

}  // namespace rpinetboot::probe
