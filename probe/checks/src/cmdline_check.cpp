#include "rpinetboot/probe/cmdline_check.h"

#include <sstream>

#include "rpinetboot/util/decimal.h"

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

std::optional<NfsVersion> parseNfsVersion(std::string_view text) {
    const auto dot = text.find('.');
    // Versions 2 to 4 only, and minor versions 0 to 2 of NFSv4 (nfs(5), "vers=n" and
    // "minorversion=n"; RFC 7530, RFC 8881, RFC 7862).
    const auto major = parseDecimal(text.substr(0, dot), 4);
    if (!major || *major < 2) return std::nullopt;
    NfsVersion version;
    version.major = static_cast<unsigned>(*major);
    if (dot == std::string_view::npos) return version;
    if (version.major != 4) return std::nullopt;
    const auto minor = parseDecimal(text.substr(dot + 1), 2);
    if (!minor) return std::nullopt;
    version.minor = static_cast<unsigned>(*minor);
    return version;
}

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
    bool versGiven = false;
    for (std::size_t i = 1; i < parts.size(); ++i) {
        rootFs.options.push_back(parts[i]);
        // nfs(5): nfsvers= is the older spelling of vers=.
        const auto eq = parts[i].find('=');
        const std::string key = parts[i].substr(0, eq);
        if (eq == std::string::npos || (key != "vers" && key != "nfsvers")) continue;
        versGiven = true;
        rootFs.version = parseNfsVersion(std::string_view(parts[i]).substr(eq + 1));
        if (!rootFs.version) add(a, FindingId::CmdlineBadVers, {parts[i]});
    }
    if (!versGiven) {
        add(a, FindingId::CmdlineNoVers);
    }
    if (!ipDhcp) {
        add(a, FindingId::CmdlineNoIp);
    }
    a.nfsroot = rootFs;
    return a;
}

}  // namespace rpinetboot::probe
