#include "rpinetboot/nfs/conflicts.h"

#include <algorithm>

namespace rpinetboot::nfs {

namespace {

enum class Overlap { None, Same, Overlaps, Unknown };

Overlap overlap(const std::string& host, const ClientNet& ours) {
    if (host == "*") return ours.prefix() == 0 ? Overlap::Same : Overlap::Overlaps;
    if (auto net = ClientNet::parseLoose(host)) {
        if (*net == ours) return Overlap::Same;
        if (net->contains(ours) || ours.contains(*net)) return Overlap::Overlaps;
        return Overlap::None;
    }
    // Host names, wildcards, netgroups, gss/...: cannot be judged without a resolver.
    return Overlap::Unknown;
}

std::string where(const ExportEntry& e) {
    return e.file + ":" + std::to_string(e.line);
}

}  // namespace

bool ConflictReport::fatal() const {
    return std::any_of(items.begin(), items.end(), [](const Conflict& c) { return c.fatal; });
}

bool pathWithin(const std::string& inner, const std::string& outer) {
    if (outer == "/") return !inner.empty() && inner.front() == '/';
    if (inner.compare(0, outer.size(), outer) != 0) return false;
    return inner.size() == outer.size() || inner[outer.size()] == '/';
}

std::string nfs4PathUnder(const std::string& path, const std::string& pseudoRoot) {
    if (!pathWithin(path, pseudoRoot)) return "";
    if (pseudoRoot == "/") return path;
    std::string rest = path.substr(pseudoRoot.size());
    return rest.empty() ? "/" : rest;
}

ConflictReport findConflicts(const PiExport& cand, const std::vector<ExportEntry>& foreign,
                             const std::vector<PiExport>& ours) {
    ConflictReport report;
    auto add = [&](std::string file, int line, std::string msg, bool fatal) {
        report.items.push_back({std::move(file), line, std::move(msg), fatal});
    };
    const std::string who = "Pi " + cand.serial.str();
    for (const auto& e : foreign) {
        for (const auto& c : e.clients) {
            std::string fsid = optionValue(c.options, "fsid");
            if ((fsid == "0" || fsid == "root") && report.pseudoRoot.empty()) {
                report.pseudoRoot = e.path;
                add(e.file, e.line,
                    e.path + " is the NFSv4 pseudo-root (fsid=" + fsid +
                        "): NFSv4 paths are relative to it",
                    false);
            }
            if (e.path == cand.path) {
                auto o = overlap(c.host, cand.client);
                if (o == Overlap::Same)
                    add(e.file, e.line,
                        "duplicate export " + c.host + ":" + e.path + " at " + where(e) +
                            " (exportfs keeps the first one and fails)",
                        true);
                else if (o == Overlap::Overlaps)
                    add(e.file, e.line,
                        where(e) + " exports " + e.path + " to " + c.host + ", which overlaps " +
                            who + "'s client " + cand.clientText() +
                            ": one entry shadows the other and other hosts reach this Pi's root",
                        true);
                else if (o == Overlap::Unknown)
                    add(e.file, e.line,
                        where(e) + " also exports " + e.path + " to " + c.host +
                            " (a name, wildcard or netgroup: check it does not include the Pi)",
                        false);
            } else if (pathWithin(cand.path, e.path)) {
                if (overlap(c.host, cand.client) == Overlap::None) continue;
                bool cross = hasOption(c.options, "crossmnt") || hasOption(c.options, "nohide");
                add(e.file, e.line,
                    cand.path + " lies inside " + e.path + " exported at " + where(e) + " to " +
                        c.host +
                        (cross ? " with crossmnt/nohide: those clients can walk into this Pi's "
                                 "root"
                               : "; if it is a separate file system, NFSv4 clients walking from "
                                 "the parent need crossmnt there (nfsroot= mounts it directly)"),
                    false);
            } else if (pathWithin(e.path, cand.path)) {
                add(e.file, e.line,
                    where(e) + " exports " + e.path + ", which lies inside " + who + "'s root",
                    false);
            }
        }
    }
    for (const auto& r : ours) {
        if (r.serial == cand.serial) continue;
        if (r.path == cand.path)
            add("", 0, cand.path + " is already the root of Pi " + r.serial.str(), true);
        else if (pathWithin(cand.path, r.path) || pathWithin(r.path, cand.path))
            add("", 0,
                cand.path + " and Pi " + r.serial.str() + "'s root " + r.path +
                    " are nested: one Pi could reach the other's files",
                true);
    }
    if (report.pseudoRoot.empty()) {
        report.nfs4Path = cand.path;
    } else {
        report.nfs4Path = nfs4PathUnder(cand.path, report.pseudoRoot);
        if (report.nfs4Path.empty())
            add("", 0,
                cand.path + " is outside the NFSv4 pseudo-root " + report.pseudoRoot +
                    ": NFSv4 clients cannot reach it",
                cand.nfsVersion == 4);
    }
    return report;
}

}  // namespace rpinetboot::nfs
