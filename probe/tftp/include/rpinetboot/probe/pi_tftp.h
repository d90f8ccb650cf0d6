// How Raspberry Pi loaders speak TFTP, and the order in which they fetch files during a boot.
// See docs/protocol/tftp.md (rpi-eeprom#74, rpi-eeprom#857, firmware#1041, firmware#1700 and
// a published Pi 4 dnsmasq log). The file order is approximate, as that page says.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "rpinetboot/probe/tftp_client.h"

namespace rpinetboot::probe {

// The rows of docs/protocol/tftp.md's "Options per loader" table.
enum class PiTftpClient {
    Pi3Rom,         // no options, 512-byte blocks
    Bootcode,       // bootcode.bin / start.elf on Pi 2/3: tsize 0, 512
    Pi4Eeprom2019,  // Pi 4 EEPROM 2019-2022: tsize 0, blksize 1024
    Pi4Eeprom2022,  // Pi 4 EEPROM >= 2022-10 and Pi 5: tsize 0, blksize 1468
};
const char* toString(PiTftpClient client);

// The options such a client puts in every RRQ, in its order.
tftp::Options piRequestOptions(PiTftpClient client);

// How a client probes: current EEPROMs terminate right after the OACK; older firmware ACKs the
// OACK and terminates after DATA 1 (firmware#1700). Which releases do which is not pinned down,
// so the walk takes it as a parameter and tests run both.
struct PiBootStep {
    enum class Kind {
        Probe,          // probe only (decides the prefix)
        ProbeAndFetch,  // probe, then fetch from a new port; missing = boot fails
        Fetch,          // fetch directly (a re-read such as config.txt again)
        Optional,       // probe; missing is normal (recovery files, armstub, ...)
    };
    std::string file;
    Kind kind = Kind::ProbeAndFetch;
    PiTftpClient client = PiTftpClient::Pi4Eeprom2022;
    bool underPrefix = true;  // false: always from the root (the Pi 3 ROM's bootcode.bin)
};

// Pi 4 (docs/protocol/tftp.md file order) with the given client row and probe habit.
std::vector<PiBootStep> pi4BootSequence(PiTftpClient client = PiTftpClient::Pi4Eeprom2022);
// Pi 3: the ROM fetches bootcode.bin from the root, then bootcode.bin (tsize only, 512-byte
// blocks) probes <prefix>/start.elf and fetches the firmware, dtb, cmdline and kernel.
std::vector<PiBootStep> pi3BootSequence();

struct PiBootStepResult {
    PiBootStep step;
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
    EarlyStop probeStyle = EarlyStop::AfterOack;
    std::chrono::milliseconds packetTimeout{2000};
    unsigned retries = 5;
    bool keepData = false;
    // Called after every step (progress output); may be empty.
    std::function<void(const PiBootStepResult&)> onStep;
};

// Walks a boot: the first step's probe decides whether later files come from "<prefix>/" or the
// root, exactly like the firmware (docs/protocol/boot.md, step 2).
PiBootWalk runPiBoot(const TftpServer& server, const std::vector<PiBootStep>& steps,
                     const PiBootOptions& options);

}  // namespace rpinetboot::probe
