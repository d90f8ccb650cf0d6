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

void add(CmdlineAssessment& a, Verdict v, std::string code, std::string message) {
    a.findings.push_back({v, std::move(code), std::move(message)});
}

}  // namespace

CmdlineAssessment assessCmdline(const std::string& cmdline) {
    CmdlineAssessment a;
    std::istringstream in(cmdline);
    std::string token, root, nfsroot;
    bool ip_dhcp = false;
    while (in >> token) {
        if (token.rfind("root=", 0) == 0) root = token.substr(5);
        if (token.rfind("nfsroot=", 0) == 0) nfsroot = token.substr(8);
        if (token == "ip=dhcp" || token.rfind("ip=::::", 0) == 0) ip_dhcp = true;
    }
    if (root != "/dev/nfs") {
        add(a, Verdict::Info, "not-nfs-root",
            "cmdline.txt does not use an NFS root (root=" + (root.empty() ? "<none>" : root) +
                "); nothing to check over NFS.");
        return a;
    }
    if (nfsroot.empty()) {
        add(a, Verdict::Fail, "cmdline-no-nfsroot",
            "cmdline.txt says root=/dev/nfs but has no nfsroot=SERVER:/path.");
        return a;
    }
    auto parts = split(nfsroot, ',');
    const std::string target = parts.front();
    const auto colon = target.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= target.size()) {
        add(a, Verdict::Fail, "cmdline-bad-nfsroot",
            "nfsroot=" + nfsroot + " is not of the form SERVER:/path.");
        return a;
    }
    NfsRoot root_fs;
    root_fs.server = target.substr(0, colon);
    root_fs.path = target.substr(colon + 1);
    for (std::size_t i = 1; i < parts.size(); ++i) {
        root_fs.options.push_back(parts[i]);
        if (parts[i].rfind("vers=", 0) == 0) {
            try {
                root_fs.version = std::stoi(parts[i].substr(5));
            } catch (const std::exception&) {
                add(a, Verdict::Fail, "cmdline-bad-vers",
                    "nfsroot has an unreadable " + parts[i] + ".");
            }
        }
    }
    if (!root_fs.version) {
        add(a, Verdict::Fail, "cmdline-no-vers",
            "nfsroot= has no vers= option; the kernel may try NFSv2, which Debian 12's server no "
            "longer offers. Add vers=3 or vers=4.");
    }
    if (!ip_dhcp) {
        add(a, Verdict::Warn, "cmdline-no-ip",
            "cmdline.txt has no ip=dhcp; the kernel needs an address before it can mount the "
            "NFS root.");
    }
    a.nfsroot = root_fs;
    return a;
}

}  // namespace rpinetboot::probe
