#include "rpinetboot/probe/cmdline_check.h"

#include <sstream>

namespace rpinetboot::probe {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(s);
    while (std::getline(in, item, sep)) out.push_back(item);
    return out;
}

void add(CmdlineAssessment& a, FindingId id, std::initializer_list<std::string> args = {}) {
    a.findings.push_back(makeFinding(id, args));
}

}  // namespace

CmdlineAssessment assessCmdline(const std::string& cmdline) {
    CmdlineAssessment a;
    std::istringstream in(cmdline);
    std::string token, root, nfsroot;
    bool ipDhcp = false;
    while (in >> token) {
        if (token.rfind("root=", 0) == 0) root = token.substr(5);
        if (token.rfind("nfsroot=", 0) == 0) nfsroot = token.substr(8);
        if (token == "ip=dhcp" || token.rfind("ip=::::", 0) == 0) ipDhcp = true;
    }
    if (root != "/dev/nfs") {
        add(a, FindingId::NotNfsRoot, {root.empty() ? "<none>" : root});
        return a;
    }
    if (nfsroot.empty()) {
        add(a, FindingId::CmdlineNoNfsroot);
        return a;
    }
    auto parts = split(nfsroot, ',');
    const std::string target = parts.front();
    const auto colon = target.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= target.size()) {
        add(a, FindingId::CmdlineBadNfsroot, {nfsroot});
        return a;
    }
    NfsRoot rootFs;
    rootFs.server = target.substr(0, colon);
    rootFs.path = target.substr(colon + 1);
    for (std::size_t i = 1; i < parts.size(); ++i) {
        rootFs.options.push_back(parts[i]);
        if (parts[i].rfind("vers=", 0) == 0) {
            try {
                rootFs.version = std::stoi(parts[i].substr(5));
            } catch (const std::exception&) {
                add(a, FindingId::CmdlineBadVers, {parts[i]});
            }
        }
    }
    if (!rootFs.version) {
        add(a, FindingId::CmdlineNoVers);
    }
    if (!ipDhcp) {
        add(a, FindingId::CmdlineNoIp);
    }
    a.nfsroot = rootFs;
    return a;
}

}  // namespace rpinetboot::probe
