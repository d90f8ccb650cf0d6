#include "rpinetboot/probe/pi_tftp.h"

namespace rpinetboot::probe {

const char* toString(PiTftpClient client) {
    switch (client) {
        case PiTftpClient::Pi3Rom:
            return "pi3-rom";
        case PiTftpClient::Bootcode:
            return "bootcode";
        case PiTftpClient::Pi4Eeprom2019:
            return "pi4-eeprom-2019";
        case PiTftpClient::Pi4Eeprom2022:
            return "pi4-eeprom-2022";
    }
    return "?";
}

tftp::Options piRequestOptions(PiTftpClient client) {
    // docs/protocol/tftp.md, table "Options per loader".
    switch (client) {
        case PiTftpClient::Pi3Rom:
            return {};
        case PiTftpClient::Bootcode:
            return {{"tsize", "0"}};
        case PiTftpClient::Pi4Eeprom2019:
            return {{"tsize", "0"}, {"blksize", "1024"}};
        case PiTftpClient::Pi4Eeprom2022:
            return {{"tsize", "0"}, {"blksize", "1468"}};
    }
    return {};
}

std::vector<PiBootStep> pi4BootSequence(PiTftpClient client) {
    using K = PiBootStep::Kind;
    // docs/protocol/tftp.md, "File order" (approximate).
    return {
        {"start4.elf", K::Probe, client, true},
        {"config.txt", K::ProbeAndFetch, client, true},
        {"recover4.elf", K::Optional, client, true},
        {"recovery.elf", K::Optional, client, true},
        {"pieeprom.sig", K::Optional, client, true},
        {"start4.elf", K::ProbeAndFetch, client, true},
        {"fixup4.dat", K::ProbeAndFetch, client, true},
        {"config.txt", K::Fetch, client, true},
        {"bcm2711-rpi-4-b.dtb", K::ProbeAndFetch, client, true},
        {"overlays/overlay_map.dtb", K::Optional, client, true},
        {"cmdline.txt", K::ProbeAndFetch, client, true},
        {"kernel8.img", K::ProbeAndFetch, client, true},
        {"armstub8-gic.bin", K::Optional, client, true},
        {"initramfs8", K::Optional, client, true},
    };
}

std::vector<PiBootStep> pi3BootSequence() {
    using K = PiBootStep::Kind;
    const auto b = PiTftpClient::Bootcode;
    // docs/protocol/tftp.md: the ROM reads bootcode.bin from the root with no options, then
    // bootcode.bin probes <prefix>/start.elf and loads the rest with tsize and 512-byte blocks.
    return {
        {"bootcode.bin", K::Fetch, PiTftpClient::Pi3Rom, false},
        {"start.elf", K::Probe, b, true},
        {"config.txt", K::ProbeAndFetch, b, true},
        {"start.elf", K::ProbeAndFetch, b, true},
        {"fixup.dat", K::ProbeAndFetch, b, true},
        {"bcm2710-rpi-3-b.dtb", K::ProbeAndFetch, b, true},
        {"cmdline.txt", K::ProbeAndFetch, b, true},
        {"kernel8.img", K::ProbeAndFetch, b, true},
    };
}

PiBootWalk runPiBoot(const TftpServer& server, const std::vector<PiBootStep>& steps,
                     const PiBootOptions& options) {
    PiBootWalk walk;
    walk.ok = true;
    bool prefixDecided = options.prefix.empty();
    auto request = [&](const PiBootStep& step, const std::string& name, EarlyStop stop) {
        TftpRequest req;
        req.filename = name;
        req.options = piRequestOptions(step.client);
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
        const bool usePrefix = step.underPrefix && !options.prefix.empty();
        if (!prefixDecided && usePrefix) {
            res.requested = options.prefix + "/" + step.file;
        } else {
            res.requested = (usePrefix && !walk.prefix.empty() ? walk.prefix : "") + step.file;
        }
        const bool probeFirst = step.kind != PiBootStep::Kind::Fetch;
        bool found = true;
        if (probeFirst) {
            res.probed = true;
            res.probe = request(step, res.requested, options.probeStyle);
            found = res.probe.outcome == TftpOutcome::EarlyTerminated ||
                    res.probe.outcome == TftpOutcome::Complete;
            if (!prefixDecided && usePrefix) {
                // The first probe under the prefix decides where everything else comes from.
                prefixDecided = true;
                walk.prefix = found ? options.prefix + "/" : "";
            }
        }
        const bool wantFetch = step.kind == PiBootStep::Kind::Fetch ||
                               step.kind == PiBootStep::Kind::ProbeAndFetch ||
                               (step.kind == PiBootStep::Kind::Optional && found);
        if (wantFetch && found) {
            if (res.probe.outcome == TftpOutcome::Complete) {
                res.fetch = res.probe;  // option-less clients fetched while "probing"
            } else {
                res.fetch = request(step, res.requested, EarlyStop::None);
            }
            res.fetched = true;
        }
        switch (step.kind) {
            case PiBootStep::Kind::Probe:
                // A missing start*.elf under the prefix is the root fallback, not a failure.
                res.ok =
                    res.probe.outcome == TftpOutcome::EarlyTerminated ||
                    res.probe.outcome == TftpOutcome::Complete ||
                    (res.probe.outcome == TftpOutcome::ServerError && res.probe.errorCode == 1);
                break;
            case PiBootStep::Kind::Optional:
                res.ok = found ? res.fetch.outcome == TftpOutcome::Complete
                               : res.probe.outcome == TftpOutcome::ServerError;
                break;
            default:
                res.ok = res.fetched && res.fetch.outcome == TftpOutcome::Complete;
                break;
        }
        walk.ok = walk.ok && res.ok;
        if (options.onStep) options.onStep(res);
        walk.steps.push_back(std::move(res));
    }
    return walk;
}

}  // namespace rpinetboot::probe
