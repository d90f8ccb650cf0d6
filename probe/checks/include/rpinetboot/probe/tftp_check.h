// What the Pi makes of each TFTP answer during its boot walk (docs/protocol/tftp.md), free of
// sockets: the CLI turns its transfers into TransferObservations and asks these functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/boot_plan.h"
#include "rpinetboot/probe/findings.h"

namespace rpinetboot::probe {

struct TransferObservation {
    enum class Outcome {
        Found,          // OACK, DATA or a complete file: the file exists and is readable
        Missing,        // ERROR 1 (file not found)
        Denied,         // ERROR 2 (access violation): exists but the server may not read it
        OtherError,     // any other ERROR
        NoAnswer,       // nothing came back within the retries
        ProtocolError,  // an answer that breaks RFC 1350/2347
    };
    Outcome outcome = Outcome::NoAnswer;
    std::vector<std::string> asked;         // option names the RRQ carried (tsize, blksize)
    bool oack = false;                      // an OACK came back
    std::vector<std::string> acknowledged;  // option names in that OACK
    std::optional<std::uint64_t> size;      // tsize from the OACK, or the bytes fetched
    std::uint16_t blksize = 512;            // in effect
    std::string errorMessage;               // the server's ERROR text or what went wrong
};

// Findings for one requested file. `server` names the TFTP server in messages. Does not judge
// the prefix decision (prefixFallback) nor the block counter (blockCounterFinding).
std::vector<Finding> assessTransfer(const BootFileStep& step, const std::string& requested,
                                    const TransferObservation& obs, const std::string& server);

// The answer to the very first request tells whether a TFTP server is there at all.
std::optional<Finding> unreachable(const TransferObservation& first, const std::string& server);

// `<prefix>/<file>` was not found: the firmware falls back to the TFTP root.
Finding prefixFallback(const std::string& prefix, const std::string& file);

// Options asked but no OACK, or an OACK without them: the Pi 4 (and CM4) silently ignore
// config.txt then (firmware#1012). nullopt when every asked option was acknowledged.
std::optional<Finding> missingOack(PiModel model, const std::string& requested,
                                   const TransferObservation& obs);

// A file of `size` bytes needs more than 65535 blocks: bootloaders before 2025-09-23 cannot roll
// the block counter over (rpi-eeprom#720, #375). Pi 2/3 firmware uses 512-byte blocks, so their
// limit is 32 MiB and is a failure; Pi 4/5 EEPROMs can be updated, so it is a warning there.
std::optional<Finding> blockCounterFinding(PiModel model, const BootFileStep& step,
                                           const std::string& requested, std::uint64_t size,
                                           std::uint16_t blksize);

}  // namespace rpinetboot::probe
