#include "rpinetboot/probe/pi_tftp.h"

namespace rpinetboot::probe {

tftp::Options piRequestOptions(const TftpDialect& dialect) {
    tftp::Options options;
    if (dialect.tsize) options.push_back({"tsize", "0"});
    if (dialect.blksize) options.push_back({"blksize", std::to_string(*dialect.blksize)});
    return options;
}

PiBootWalk runPiBoot(const TftpServer& server, const std::vector<BootFileStep>& steps,
                     const PiBootOptions& options) {
    PiBootWalk walk;
    walk.ok = true;
    auto request = [&](const BootFileStep& step, const std::string& name, EarlyStop stop) {
        TftpRequest req;
        req.filename = name;
        req.options = piRequestOptions(step.dialect);
        // A client sending no options gets no OACK, so its "probe" is the whole fetch.
        req.stop = req.options.empty() ? EarlyStop::None : stop;
        req.packetTimeout = options.packetTimeout;
        req.retries = options.retries;
        req.keepData = options.keepData;
        return tftpFetch(server, req);
    };
    for (const auto& step : steps) {
        PiBootStepResult res;
        res.step = step;
        const bool prefixProbe = step.kind == StepKind::PrefixProbe;
        if (step.kind == StepKind::RootFile) {
            res.requested = step.file;
        } else if (prefixProbe) {
            res.requested = (options.prefix.empty() ? "" : options.prefix + "/") + step.file;
        } else {
            res.requested = walk.prefix + step.file;
        }
        bool found = true;
        if (step.kind != StepKind::Reread) {
            res.probed = true;
            res.probe = request(step, res.requested, options.probeStyle);
            found = res.probe.outcome == TftpOutcome::EarlyTerminated ||
                    res.probe.outcome == TftpOutcome::Complete;
            // The prefix probe decides where everything after it comes from.
            if (prefixProbe)
                walk.prefix = found && !options.prefix.empty() ? options.prefix + "/" : "";
        }
        const bool wantFetch = !prefixProbe && (step.required || found);
        if (wantFetch && found) {
            if (res.probed && res.probe.outcome == TftpOutcome::Complete) {
                res.fetch = res.probe;  // option-less clients fetched while "probing"
            } else {
                res.fetch = request(step, res.requested, EarlyStop::None);
            }
            res.fetched = true;
        }
        if (prefixProbe) {
            // A missing start*.elf under the prefix is the root fallback, not a failure.
            res.ok = found ||
                     (res.probe.outcome == TftpOutcome::ServerError && res.probe.errorCode == 1);
        } else if (!step.required) {
            res.ok = found ? res.fetch.outcome == TftpOutcome::Complete
                           : res.probe.outcome == TftpOutcome::ServerError;
        } else {
            res.ok = res.fetched && res.fetch.outcome == TftpOutcome::Complete;
        }
        walk.ok = walk.ok && res.ok;
        if (options.onStep) options.onStep(res);
        walk.steps.push_back(std::move(res));
        if (options.stopAtFailure && !walk.ok) break;
    }
    return walk;
}

}  // namespace rpinetboot::probe
