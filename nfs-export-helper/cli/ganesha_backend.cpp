// ganesha backend: an include file of EXPORT {} blocks (one per Pi) with Export_Ids that collide
// with nothing else in the ganesha configuration, applied by SIGHUP and verified over MOUNT.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "app.h"

#include <nlohmann/json.hpp>
#include "files.h"
#include "ganesha_control.h"
#include "rpinetboot/nfs/conflicts.h"
#include "rpinetboot/nfs/ganesha_config.h"

namespace rpinetboot::nfs {

namespace {

std::string dirName(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}
std::string baseName(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

class GaneshaBackend : public Backend {
  public:
    GaneshaBackend(const Config& cfg, const Reporter& rep) : cfg_(cfg), rep_(rep) {
        opts_.fsal = cfg.ganeshaFsal;
        opts_.verifyClient = cfg.ganeshaVerifyClient;
    }

    std::string stateFile() const override { return cfg_.ganeshaInclude; }
    std::string lockFile() const override {
        return dirName(cfg_.ganeshaInclude) + "/." + baseName(cfg_.ganeshaInclude) + ".lock";
    }

    int prepare() override {
        for (char c : cfg_.ganeshaFsal)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
                rep_.error("--ganesha-fsal must be a plain FSAL name such as VFS");
                return kUsage;
            }
        if (!cfg_.ganeshaVerifyClient.empty() && !ClientNet::parse(cfg_.ganeshaVerifyClient)) {
            rep_.error("--ganesha-verify-client must be an IPv4 address or empty");
            return kUsage;
        }
        ensureDirectory(dirName(cfg_.ganeshaInclude));
        return kOk;
    }

    int load(std::vector<PiExport>& records) override {
        auto text = readFileIfExists(cfg_.ganeshaInclude);
        current_ = text;
        if (!text) return kOk;
        auto f = parseGaneshaInclude(*text, cfg_.ganeshaInclude, opts_);
        if (!f.problems.empty()) {
            for (const auto& p : f.problems)
                rep_.error(p.file + ":" + std::to_string(p.line) + ": " + p.message);
            rep_.error("refusing to rewrite " + cfg_.ganeshaInclude +
                       ": fix or remove the entries above (the file is this tool's only state)");
            return kConflict;
        }
        entries_ = f.entries;
        for (const auto& e : f.entries) records.push_back(e.record);
        return kOk;
    }

    int checkCandidate(const PiExport& cand, const std::vector<PiExport>& ours) override {
        auto report = findConflicts(cand, {}, ours);
        bool fatal = false;
        for (const auto& c : report.items) {
            if (c.fatal) {
                rep_.error("conflict: " + c.message);
                fatal = true;
            } else {
                rep_.warn(c.message);
            }
        }
        if (fatal) return kConflict;
        return checkIncluded();
    }

    int commit(const std::vector<PiExport>& /*before*/,
               const std::vector<PiExport>& after) override {
        std::set<int> used = foreignIds();
        std::map<std::uint32_t, int> previous;
        for (const auto& e : entries_) previous[e.record.serial.value()] = e.exportId;
        std::vector<GaneshaEntry> next;
        for (const auto& r : after) {
            auto it = previous.find(r.serial.value());
            int id = (it != previous.end() && !used.count(it->second)) ? it->second : 0;
            next.push_back({r, id});
            if (id) used.insert(id);
        }
        for (auto& e : next)
            if (!e.exportId) {
                e.exportId = allocateExportId(used);
                used.insert(e.exportId);
            }
        std::string candidate = renderGaneshaInclude(next, opts_);
        bool changed = !current_ || *current_ != candidate;
        removeStaleTemps(dirName(cfg_.ganeshaInclude), baseName(cfg_.ganeshaInclude));
        if (changed)
            replaceFile(dirName(cfg_.ganeshaInclude), baseName(cfg_.ganeshaInclude), candidate);
        entries_ = next;
        if (cfg_.noReload) return kOk;
        auto g = findGanesha(cfg_.ganeshaPidFile);
        if (!g.pid) {
            rep_.warn(g.error + "; the exports take effect when it starts");
            skipVerify_ = true;
            return kOk;
        }
        std::string err = reloadGanesha(g.pid);
        if (err.empty() && (cfg_.noVerify || waitLive(after))) return kOk;
        if (!err.empty())
            rep_.error(err);
        else
            rep_.error(
                "nfs-ganesha did not take the new exports within the verify timeout "
                "(see its log for the reason)");
        if (changed) {
            if (current_)
                replaceFile(dirName(cfg_.ganeshaInclude), baseName(cfg_.ganeshaInclude), *current_);
            else
                removeFile(dirName(cfg_.ganeshaInclude), baseName(cfg_.ganeshaInclude));
            reloadGanesha(g.pid);
            rep_.error("restored the previous " + cfg_.ganeshaInclude +
                       " and reloaded nfs-ganesha");
        }
        return kApplyFailed;
    }

    int verify(const std::vector<PiExport>& present, const std::vector<PiExport>& absent,
               bool strict) override {
        if (skipVerify_) return kOk;
        if (cfg_.ganeshaVerifyClient.empty()) {
            rep_.warn(
                "no --ganesha-verify-client: ganesha lists an export only to its clients, "
                "so it cannot be verified from here");
            return kOk;
        }
        if (strict) {
            auto g = findGanesha(cfg_.ganeshaPidFile);
            if (!g.pid) {
                rep_.error(g.error);
                return kServerDown;
            }
        }
        return verifyLive(cfg_, rep_, present, absent, strict);
    }

    int checkConfiguration(const std::vector<PiExport>& records) override {
        int rc = checkIncluded();
        auto used = foreignIds();
        for (const auto& e : entries_)
            if (used.count(e.exportId)) {
                rep_.error("conflict: Export_Id " + std::to_string(e.exportId) + " of Pi " +
                           e.record.serial.str() +
                           " is also used elsewhere in the ganesha "
                           "configuration (run `apply` to renumber)");
                rc = kConflict;
            }
        for (const auto& r : records) {
            std::vector<PiExport> others;
            for (const auto& o : records)
                if (!(o.serial == r.serial)) others.push_back(o);
            for (const auto& c : findConflicts(r, {}, others).items)
                if (c.fatal) {
                    rep_.error("conflict: " + c.message);
                    rc = kConflict;
                }
        }
        return rc;
    }

    void jsonExtra(const PiExport& r, nlohmann::json& j) const override {
        for (const auto& e : entries_)
            if (e.record.serial == r.serial) j["export_id"] = e.exportId;
    }

  private:
    // The main config must %include our file, or ganesha never reads it.
    int checkIncluded() {
        auto main = readFileIfExists(cfg_.ganeshaConfig);
        if (!main) {
            rep_.error("ganesha configuration " + cfg_.ganeshaConfig + " does not exist");
            return kConflict;
        }
        for (const auto& inc : scanIncludes(*main))
            if (inc == cfg_.ganeshaInclude) return kOk;
        rep_.error(cfg_.ganeshaConfig + " does not include " + cfg_.ganeshaInclude +
                   "; add the line: %include \"" + cfg_.ganeshaInclude + "\"");
        return kConflict;
    }

    // Export_Ids used anywhere else: the main config, what it includes (recursively, bounded),
    // and the other *.conf files next to it.
    std::set<int> foreignIds() {
        std::set<int> ids;
        std::set<std::string> seen{cfg_.ganeshaInclude};
        std::vector<std::string> todo{cfg_.ganeshaConfig};
        for (const auto& n : listDir(dirName(cfg_.ganeshaConfig)))
            if (n.size() > 5 && n.compare(n.size() - 5, 5, ".conf") == 0)
                todo.push_back(dirName(cfg_.ganeshaConfig) + "/" + n);
        for (std::size_t i = 0; i < todo.size() && i < 256; ++i) {
            if (!seen.insert(todo[i]).second) continue;
            auto text = readFileIfExists(todo[i]);
            if (!text) continue;
            for (int id : scanExportIds(*text)) ids.insert(id);
            for (auto inc : scanIncludes(*text)) {
                if (!inc.empty() && inc.front() != '/') inc = dirName(todo[i]) + "/" + inc;
                todo.push_back(inc);
            }
        }
        return ids;
    }

    bool waitLive(const std::vector<PiExport>& after) {
        if (cfg_.ganeshaVerifyClient.empty()) return true;
        std::vector<PiExport> gone;
        for (const auto& e : previousEntries())
            if (std::none_of(after.begin(), after.end(),
                             [&](const PiExport& r) { return r.serial == e.serial; }))
                gone.push_back(e);
        std::ostringstream sink;
        Reporter quiet{sink, sink};
        return verifyLive(cfg_, quiet, after, gone, true) == kOk;
    }

    std::vector<PiExport> previousEntries() {
        std::vector<PiExport> out;
        if (!current_) return out;
        for (const auto& e : parseGaneshaInclude(*current_, cfg_.ganeshaInclude, opts_).entries)
            out.push_back(e.record);
        return out;
    }

    const Config& cfg_;
    const Reporter& rep_;
    GaneshaOptions opts_;
    std::optional<std::string> current_;
    std::vector<GaneshaEntry> entries_;
    bool skipVerify_ = false;
};

}  // namespace

std::unique_ptr<Backend> makeGaneshaBackend(const Config& cfg, const Reporter& rep) {
    return std::make_unique<GaneshaBackend>(cfg, rep);
}

}  // namespace rpinetboot::nfs
