// A Pi's TFTP boot walk over the wire: core's boot plan (rpinetboot/boot_plan.h) played against a
// server with the probe habits of the firmware (rpi-eeprom#74, #857; raspberrypi/firmware#1041,
// firmware#1700). Used by the tftpd tests' Pi client and the boot storm.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "rpinetboot/boot_plan.h"
#include "rpinetboot/probe/tftp_client.h"

namespace rpinetboot::probe {

// The options a Pi loader puts in every RRQ (core's TftpDialect), in its order.
tftp::Options piRequestOptions(const TftpDialect& dialect);

struct PiBootStepResult {
    BootFileStep step;
    std::string requested;  // the name sent, prefix included
    TftpResult probe;       // when probed
    TftpResult fetch;       // when fetched
    bool probed = false;
    bool fetched = false;
    bool ok = false;  // required file fetched, or optional file handled either way
};

struct PiBootWalk {
    std::string prefix;  // what the Pi used: "<prefix>/" or "" (root fallback)
    std::vector<PiBootStepResult> steps;
    bool ok = false;
};

struct PiBootOptions {
    std::string prefix;  // serial, MAC-dashed or custom; empty: root only
    // How a client probes: current EEPROMs terminate right after the OACK; older firmware ACKs
    // the OACK and terminates after DATA 1 (raspberrypi/firmware#1700). Which releases do which
    // is not pinned down, so the walk takes it as a parameter and tests run both.
    EarlyStop probeStyle = EarlyStop::AfterOack;
    std::chrono::milliseconds packetTimeout{2000};
    unsigned retries = 5;
    bool keepData = false;
    // A Pi's boot ends at the first required file it cannot load; the probe's report goes on to
    // list every file, a boot storm's emulated Pi stops there.
    bool stopAtFailure = false;
    // Called after every step (progress output); may be empty.
    std::function<void(const PiBootStepResult&)> onStep;
};

// Walks a boot: the prefix probe decides whether later files come from "<prefix>/" or the root,
// like the firmware (raspberrypi/documentation boot-net.adoc). Root files are fetched whole (the
// ROM asks no options); files are probed, then fetched when required or found; rereads fetched.
PiBootWalk runPiBoot(const TftpServer& server, const std::vector<BootFileStep>& steps,
                     const PiBootOptions& options);

}  // namespace rpinetboot::probe
