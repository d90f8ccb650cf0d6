#include <sys/stat.h>

#include <algorithm>
#include <ostream>

#include <nlohmann/json.hpp>

#include "app.h"
#include "files.h"
#include "rpinetboot/nfs/dropin.h"

namespace rpinetboot::nfs {

void Reporter::error(const std::string& m) const {
    err << "rpi-nfs-exports: error: " << m << "\n";
}
void Reporter::warn(const std::string& m) const {
    err << "rpi-nfs-exports: warning: " << m << "\n";
}
void Reporter::info(const std::string& m) const {
    out << m << "\n";
}

namespace {

std::unique_ptr<Backend> makeBackend(const Config& cfg, const Reporter& rep) {
    if (cfg.backend == "ganesha") return makeGaneshaBackend(cfg, rep);
    return makeKnfsdBackend(cfg, rep);
}

const PiExport* findSerial(const std::vector<PiExport>& records, const Serial& s) {
    auto it = std::find_if(records.begin(), records.end(),
                           [&](const PiExport& r) { return r.serial == s; });
    return it == records.end() ? nullptr : &*it;
}

// Runs a command's body: a SystemError (a system call or file operation that failed) is
// reported and the command exits with kSystem.
template <typename Body>
int reportingSystemErrors(const Reporter& rep, Body body) {
    try {
        return body();
    } catch (const SystemError& e) {
        rep.error(e.what());
        return kSystem;
    }
}

}  // namespace

int buildRecord(const Config& cfg, const Reporter& rep, const AddRequest& req, PiExport& out) {
    auto serial = Serial::parse(req.serial);
    if (!serial) {
        rep.error("serial \"" + req.serial +
                  "\" is not a Raspberry Pi serial (8 hex digits, e.g. bf9fed6f)");
        return kInvalid;
    }
    out.serial = *serial;
    auto client = parseClient(req.client);
    if (!client) {
        rep.error("client \"" + req.client +
                  "\" is not an IPv4 address or CIDR (e.g. 192.0.2.10 or 192.0.2.0/24) or *");
        return kInvalid;
    }
    out.client = *client;
    auto opts = buildOptions(req.options);
    if (!opts.error.empty()) {
        rep.error(opts.error);
        return kInvalid;
    }
    out.options = opts.options;
    out.nfsVersion = req.nfsVersion;
    std::string path = req.path.empty() ? cfg.base + "/" + serial->str() : req.path;
    if (auto err = checkPathSyntax(path); !err.empty()) {
        rep.error(err);
        return kInvalid;
    }
    auto base = canonicalPath(cfg.base);
    if (!base) {
        rep.error("base directory " + cfg.base + " does not exist (set it with --base)");
        return kInvalid;
    }
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
        rep.error("path " + path + " does not exist");
        return kInvalid;
    }
    if (!S_ISDIR(st.st_mode)) {
        rep.error("path " + path + " is not a directory");
        return kInvalid;
    }
    auto real = canonicalPath(path);
    if (!real || real->size() <= base->size() + 1 ||
        real->compare(0, base->size() + 1, *base + "/") != 0) {
        rep.error("path " + path + (real && *real != path ? " (really " + *real + ")" : "") +
                  " is not inside the base " + *base + " (set it with --base)");
        return kInvalid;
    }
    out.path = *real;
    if (auto err = validateRecord(out, cfg.force); !err.empty()) {
        rep.error(err);
        return kInvalid;
    }
    return kOk;
}

int cmdAdd(const Config& cfg, const Reporter& rep, const AddRequest& req) {
    PiExport record;
    if (int rc = buildRecord(cfg, rep, req, record); rc != kOk) return rc;
    auto backend = makeBackend(cfg, rep);
    return reportingSystemErrors(rep, [&]() -> int {
        if (int rc = checkMountOptions(cfg, rep, {record}); rc != kOk) return rc;
        if (int rc = backend->prepare(); rc != kOk) return rc;
        FileLock lock(backend->lockFile(), cfg.lockTimeout);
        std::vector<PiExport> records;
        if (int rc = backend->load(records); rc != kOk) return rc;
        if (int rc = backend->checkCandidate(record, records); rc != kOk) return rc;
        auto before = records;
        if (!upsertRecord(records, record)) {
            rep.info("unchanged: Pi " + record.serial.str() + " already exports " + record.path +
                     " to " + record.clientText());
            return kOk;
        }
        if (int rc = backend->commit(before, records); rc != kOk) return rc;
        rep.info("exported " + record.path + " to " + record.clientText() + " for Pi " +
                 record.serial.str() + " (" + backend->stateFile() + ")");
        if (cfg.noReload) return kOk;
        std::vector<PiExport> gone;
        if (auto* old = findSerial(before, record.serial); old && old->path != record.path)
            gone.push_back(*old);
        return backend->verify({record}, gone, false);
    });
}

int cmdRemove(const Config& cfg, const Reporter& rep, const std::string& serialText) {
    auto serial = Serial::parse(serialText);
    if (!serial) {
        rep.error("serial \"" + serialText +
                  "\" is not a Raspberry Pi serial (8 hex digits, e.g. bf9fed6f)");
        return kInvalid;
    }
    auto backend = makeBackend(cfg, rep);
    return reportingSystemErrors(rep, [&]() -> int {
        if (int rc = backend->prepare(); rc != kOk) return rc;
        FileLock lock(backend->lockFile(), cfg.lockTimeout);
        std::vector<PiExport> records;
        if (int rc = backend->load(records); rc != kOk) return rc;
        auto before = records;
        const PiExport* old = findSerial(before, *serial);
        if (!old) {
            rep.error("no export for Pi " + serial->str() + " in " + backend->stateFile());
            return kInvalid;
        }
        PiExport removed = *old;
        removeRecord(records, *serial);
        if (int rc = backend->commit(before, records); rc != kOk) return rc;
        rep.info("removed the export of " + removed.path + " to " + removed.clientText() +
                 " for Pi " + removed.serial.str());
        if (cfg.noReload) return kOk;
        return backend->verify({}, {removed}, false);
    });
}

int cmdList(const Config& cfg, const Reporter& rep, bool json) {
    auto backend = makeBackend(cfg, rep);
    return reportingSystemErrors(rep, [&]() -> int {
        std::vector<PiExport> records;
        if (int rc = backend->load(records); rc != kOk) return rc;
        if (json) {
            auto list = nlohmann::json::array();
            for (const auto& r : records) {
                nlohmann::json j = {{"serial", r.serial.str()},
                                    {"path", r.path},
                                    {"client", r.clientText()},
                                    {"options", r.options},
                                    {"nfs_version", r.nfsVersion}};
                backend->jsonExtra(r, j);
                list.push_back(std::move(j));
            }
            rep.out << list.dump(1) << "\n";
        } else {
            for (const auto& r : records) {
                std::string opts;
                for (const auto& o : r.options) opts += (opts.empty() ? "" : ",") + o;
                rep.out << r.serial.str() << "\t" << r.clientText() << "\t" << r.path << "\t"
                        << opts << "\tvers=" << r.nfsVersion << "\n";
            }
        }
        return kOk;
    });
}

int cmdCheck(const Config& cfg, const Reporter& rep) {
    auto backend = makeBackend(cfg, rep);
    return reportingSystemErrors(rep, [&]() -> int {
        std::vector<PiExport> records;
        if (int rc = backend->load(records); rc != kOk) return rc;
        int rc = backend->checkConfiguration(records);
        if (rc != kOk) return rc;
        if (rc = checkMountOptions(cfg, rep, records); rc != kOk) return rc;
        if (!cfg.noVerify) {
            rc = backend->verify(records, {}, true);
            if (rc != kOk) return rc;
        }
        rep.info("ok: " + std::to_string(records.size()) + " Pi export(s) in " +
                 backend->stateFile() + (cfg.noVerify ? "" : ", all live"));
        return kOk;
    });
}

int cmdApply(const Config& cfg, const Reporter& rep) {
    auto backend = makeBackend(cfg, rep);
    return reportingSystemErrors(rep, [&]() -> int {
        if (int rc = backend->prepare(); rc != kOk) return rc;
        FileLock lock(backend->lockFile(), cfg.lockTimeout);
        std::vector<PiExport> records;
        if (int rc = backend->load(records); rc != kOk) return rc;
        if (int rc = backend->commit(records, records); rc != kOk) return rc;
        rep.info("applied " + std::to_string(records.size()) + " Pi export(s) from " +
                 backend->stateFile());
        if (cfg.noReload) return kOk;
        return backend->verify(records, {}, false);
    });
}

}  // namespace rpinetboot::nfs
