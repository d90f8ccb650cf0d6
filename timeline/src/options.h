// rpi-netboot-timeline's command line: declared once, shown by --help (the man page is made from
// it) and parsed here, apart from main() so that it is unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/timeline/fleet.h"

namespace rpinetboot::timeline {

struct Options {
    std::vector<std::string> inputs;  // JSON-lines files ("-": standard input); none: the journal
    std::string journalDirectory;     // empty: the local system's journal
    std::string pi;                   // empty: the fleet
    bool json = false;
    Limits limits;
    std::optional<std::uint64_t> nowUs;  // --at: judge as at that moment
};

struct ParseOutcome {
    std::optional<Options> options;  // set when the program should run
    int exitCode = 0;                // otherwise: exit with this...
    std::string message;             // ...after printing this (stdout for 0, stderr otherwise)
};

ParseOutcome parseOptions(const std::vector<std::string>& args);

}  // namespace rpinetboot::timeline
