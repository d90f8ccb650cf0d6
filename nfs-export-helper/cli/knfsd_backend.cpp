// knfsd backend: our drop-in in /etc/exports.d, validated by the real exportfs in a private mount
// namespace, applied with `exportfs -ra`, rolled back if that fails.
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "app.h"
#include "exportfs_runner.h"
#include "files.h"
#include "rpinetboot/nfs/conflicts.h"
#include "rpinetboot/nfs/dropin.h"

namespace rpinetboot::nfs {

namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class KnfsdBackend : public Backend {
  public:
    KnfsdBackend(const Config& cfg, const Reporter& rep) : cfg_(cfg), rep_(rep) {}

    std::string stateFile() const override { return cfg_.exportsDir + "/" + cfg_.fileName; }
    std::string lockFile() const override {
        return cfg_.exportsDir + "/." + cfg_.fileName + ".lock";
    }

    int prepare() override {
        if (!endsWith(cfg_.fileName, ".exports") || cfg_.fileName.front() == '.' ||
            cfg_.fileName.find('/') != std::string::npos) {
            rep_.error("--file " + cfg_.fileName +
                       " must be a plain name ending in .exports (exportfs reads no other)");
            return kUsage;
        }
        ensureDirectory(cfg_.exportsDir);
        if (cfg_.exportsDir != "/etc/exports.d" && !cfg_.noReload)
            rep_.warn("exportfs reads /etc/exports.d only; " + cfg_.exportsDir +
                      " is not read by the NFS server");
        return kOk;
    }

    int load(std::vector<PiExport>& records) override {
        auto text = readFileIfExists(stateFile());
        current_ = text;
        if (!text) return kOk;
        auto d = parseDropin(*text, stateFile());
        if (!d.problems.empty()) {
            for (const auto& p : d.problems)
                rep_.error(p.file + ":" + std::to_string(p.line) + ": " + p.message);
            rep_.error("refusing to rewrite " + stateFile() +
                       ": fix or remove the lines above (the file is this tool's only state)");
            return kConflict;
        }
        records = d.records;
        return kOk;
    }

    int checkCandidate(const PiExport& cand, const std::vector<PiExport>& ours) override {
        auto foreign = loadForeign(false);
        auto report = findConflicts(cand, foreign, ours);
        return reportConflicts(report, cand);
    }

    int commit(const std::vector<PiExport>& /*before*/,
               const std::vector<PiExport>& after) override {
        std::string candidate = renderDropin(after);
        if (!cfg_.noReload) {
            if (int rc = validateIsolated(candidate); rc != kOk) return rc;
        }
        removeStaleTemps(cfg_.exportsDir, cfg_.fileName);
        bool changed = !current_ || *current_ != candidate;
        if (changed) replaceFile(cfg_.exportsDir, cfg_.fileName, candidate);
        if (cfg_.noReload) return kOk;
        auto run = runExportfsLive(cfg_.exportfs);
        correctLines(run, liveFiles());
        if (run.ok()) {
            warnAll(run);
            return kOk;
        }
        for (const auto& m : run.errors()) rep_.error("exportfs -ra: " + describe(m));
        if (changed) {
            if (current_)
                replaceFile(cfg_.exportsDir, cfg_.fileName, *current_);
            else
                removeFile(cfg_.exportsDir, cfg_.fileName);
            auto again = runExportfsLive(cfg_.exportfs);
            rep_.error(std::string("restored the previous ") + stateFile() +
                       (again.ok() ? " and re-exported it" : "; exportfs -ra still fails"));
        }
        return kApplyFailed;
    }

    int verify(const std::vector<PiExport>& present, const std::vector<PiExport>& absent,
               bool strict) override {
        return verifyLive(cfg_, rep_, present, absent, strict);
    }

    int checkConfiguration(const std::vector<PiExport>& records) override {
        int rc = kOk;
        auto foreign = loadForeign(true);
        for (const auto& r : records) {
            std::vector<PiExport> others;
            for (const auto& o : records)
                if (!(o.serial == r.serial)) others.push_back(o);
            auto report = findConflicts(r, foreign, others);
            if (reportConflicts(report, r) != kOk) rc = kConflict;
            struct stat st;
            if (stat(r.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
                rep_.error("Pi " + r.serial.str() + ": " + r.path + " is not a directory");
                rc = kConflict;
            }
        }
        if (rc != kOk) return rc;
        if (!cfg_.noReload && geteuid() == 0) {
            auto run = isolated(stagedFiles(current_));
            if (!run.ok()) return classifyFailure(run, isolated(stagedFiles(std::nullopt)), false);
        }
        return kOk;
    }

  private:
    // Foreign entries: /etc/exports and every other *.exports drop-in, paths made canonical.
    std::vector<ExportEntry> loadForeign(bool everything) {
        std::vector<ExportEntry> all;
        std::vector<std::string> files{cfg_.exportsFile};
        for (const auto& n : listDir(cfg_.exportsDir))
            if (n != cfg_.fileName && n.front() != '.' && endsWith(n, ".exports"))
                files.push_back(cfg_.exportsDir + "/" + n);
        for (const auto& f : files) {
            auto text = readFileIfExists(f);
            if (!text) continue;
            auto parsed = parseExports(*text, f);
            for (const auto& d : parsed.diagnostics)
                if (d.error || everything)
                    rep_.warn(std::string(d.error ? "foreign error " : "") + d.file + ":" +
                              std::to_string(d.line) + ": " + d.message);
            for (auto& e : parsed.entries) {
                if (auto real = canonicalPath(e.path)) e.path = *real;
                all.push_back(std::move(e));
            }
        }
        return all;
    }

    int reportConflicts(const ConflictReport& report, const PiExport& cand) {
        bool fatal = false;
        for (const auto& c : report.items) {
            std::string where = c.file.empty() ? "" : c.file + ":" + std::to_string(c.line) + ": ";
            bool stop =
                c.fatal && !(cfg_.force && c.message.find("duplicate") == std::string::npos);
            if (stop) {
                rep_.error("conflict: " + where + c.message);
                fatal = true;
            } else {
                rep_.warn(where + c.message);
            }
        }
        if (!report.pseudoRoot.empty() && !report.nfs4Path.empty())
            rep_.info("nfsv4 path for Pi " + cand.serial.str() + ": " + report.nfs4Path +
                      " (use nfsroot=SERVER:" + report.nfs4Path + ",vers=4,tcp)");
        return fatal ? kConflict : kOk;
    }

    std::map<std::string, std::string> stagedFiles(const std::optional<std::string>& ours) {
        std::map<std::string, std::string> files;
        for (const auto& n : listDir(cfg_.exportsDir)) {
            if (n == cfg_.fileName || n.front() == '.' || !endsWith(n, ".exports")) continue;
            if (auto t = readFileIfExists(cfg_.exportsDir + "/" + n)) files[n] = *t;
        }
        if (ours) files[cfg_.fileName] = *ours;
        return files;
    }

    // exportfs in a private mount namespace over `files`, its line numbers made right.
    ExportfsRun isolated(const std::map<std::string, std::string>& files) {
        auto run = runExportfsIsolated(cfg_.exportfs, cfg_.exportsDir, files);
        std::map<std::string, std::string> byPath;
        for (const auto& [name, text] : files) byPath[cfg_.exportsDir + "/" + name] = text;
        if (auto main = readFileIfExists(cfg_.exportsFile)) byPath[cfg_.exportsFile] = *main;
        correctLines(run, byPath);
        return run;
    }

    std::map<std::string, std::string> liveFiles() {
        std::map<std::string, std::string> byPath;
        for (const auto& [name, text] : stagedFiles(readFileIfExists(stateFile())))
            byPath[cfg_.exportsDir + "/" + name] = text;
        if (auto main = readFileIfExists(cfg_.exportsFile)) byPath[cfg_.exportsFile] = *main;
        return byPath;
    }

    // exportfs skips comment lines when it counts (see correctExportfsLines): use our parser's.
    static void correctLines(ExportfsRun& run, const std::map<std::string, std::string>& files) {
        std::vector<Diagnostic> ours;
        for (const auto& [path, text] : files) {
            auto parsed = parseExports(text, path);
            ours.insert(ours.end(), parsed.diagnostics.begin(), parsed.diagnostics.end());
        }
        correctExportfsLines(run.messages, ours);
    }

    int validateIsolated(const std::string& candidate) {
        if (geteuid() != 0) {
            rep_.error(
                "validating with exportfs needs root (a private mount namespace); "
                "use --no-reload to only write the file");
            return kSystem;
        }
        auto run = isolated(stagedFiles(candidate));
        if (run.ok()) return kOk;
        if (run.process.exitCode == 126 || run.process.exitCode == 127 || run.process.timedOut) {
            rep_.error("cannot run exportfs for validation: " + run.process.error);
            return kSystem;
        }
        // Tell "our entry is bad" from "something else was already broken": run again without it.
        auto baseline = isolated(stagedFiles(current_));
        return classifyFailure(run, baseline, true);
    }

    // `run` is with our file, `baseline` without it; `changing`: add/remove/apply (not check).
    int classifyFailure(const ExportfsRun& run, const ExportfsRun& baseline, bool changing) {
        auto j = judgeExportfs(run.errors(), baseline.errors(), stateFile());
        for (const auto& m : j.ours) rep_.error(m);
        if (j.verdict == ExportfsVerdict::ForeignBroken) {
            for (const auto& m : j.foreign) rep_.error(m);
            rep_.error(std::string(changing ? "nothing changed: " : "") +
                       "exportfs -ra fails without our file, and nfs-utils stops reading a file "
                       "at its first bad line");
            return kForeignBroken;
        }
        if (changing) rep_.error("nothing changed");
        return kConflict;
    }

    void warnAll(const ExportfsRun& run) {
        for (const auto& m : run.messages)
            if (!m.error && m.file == stateFile()) rep_.warn("exportfs: " + describe(m));
    }

    const Config& cfg_;
    const Reporter& rep_;
    std::optional<std::string> current_;
};

}  // namespace

std::unique_ptr<Backend> makeKnfsdBackend(const Config& cfg, const Reporter& rep) {
    return std::make_unique<KnfsdBackend>(cfg, rep);
}

}  // namespace rpinetboot::nfs
