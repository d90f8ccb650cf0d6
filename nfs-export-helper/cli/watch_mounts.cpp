// watch-mounts: rpc.mountd's log in, one NFS_MOUNT boot event per mount of a Pi's root out
// (README.md, "Boot events and bootloader logs"). The exports are re-read at every mount, so
// Pis added while it runs are known.
#include <fstream>
#include <iostream>

#include "app.h"
#include "files.h"
#include "rpinetboot/event_sink.h"
#include "rpinetboot/nfs/mount_log.h"

namespace rpinetboot::nfs {

int cmdWatchMounts(const Config& cfg, const Reporter& rep, const WatchRequest& req) {
    SinkSpec spec;
    std::string error;
    if (!parseSinkSpec(req.events, spec, error)) {
        rep.error("--events: " + error);
        return kInvalid;
    }
    auto sink = makeSink(spec, error);
    if (!sink && spec.kind != SinkSpec::Kind::None) {
        rep.error("--events: " + error);
        return kSystem;
    }
    std::ifstream file;
    if (req.input != "-") {
        file.open(req.input, std::ios::binary);
        if (!file) {
            rep.error("cannot read " + req.input);
            return kSystem;
        }
    }
    std::istream& in = req.input == "-" ? std::cin : file;
    auto backend =
        cfg.backend == "ganesha" ? makeGaneshaBackend(cfg, rep) : makeKnfsdBackend(cfg, rep);
    std::string line;
    std::size_t emitted = 0;
    while (std::getline(in, line)) {
        auto request = parseMountLog(line);
        if (!request) continue;
        std::vector<PiExport> records;
        try {
            if (int rc = backend->load(records); rc != kOk) return rc;
        } catch (const SystemError& e) {
            rep.error(e.what());
            return kSystem;
        }
        const PiExport* record = exportForMount(records, *request);
        if (!record) {
            rep.warn("mount of " + request->path + " by " + request->address +
                     " is not of a Pi root this tool exports; no event");
            continue;
        }
        BootEvent e;
        e.step = BootStep::NfsMount;
        e.timestampUs = request->timestampUs.value_or(nowMicros());
        e.source = "rpi-nfs-exports";
        e.serial = record->serial.str();
        e.address = request->address;
        e.file = request->path;
        e.outcome = request->refused ? Outcome::Failed : Outcome::Ok;
        e.error = request->reason;
        if (request->refused && e.error.empty()) e.error = "refused";
        if (sink) sink->emit(e);
        rep.info(summary(e));
        ++emitted;
    }
    if (in.bad()) {
        rep.error("reading " + (req.input == "-" ? std::string("standard input") : req.input) +
                  " failed");
        return kSystem;
    }
    if (sink && sink->failures() > 0) {
        rep.error(std::to_string(sink->failures()) + " of " + std::to_string(emitted) +
                  " events could not be written to " + sink->describe());
        return kSystem;
    }
    return kOk;
}

}  // namespace rpinetboot::nfs
