// A one-shot program's command line (rpi-netboot-probe, rpi-netboot-timeline): flags only, no
// configuration file and no positional words, with --help, --version and usage errors answered
// the same way by every program (Boost.Program_options). The daemons' own glue, which adds a
// configuration file, is options.h.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rpinetboot::daemon {

// What a program prints and leaves with instead of running: its help or version (exit code 0,
// stdout) or a usage error (exit code 2, stderr).
struct EarlyExit {
    int exitCode = 0;
    std::string message;  // no final line break
};

// "PROGRAM: WHY" and a pointer to --help, exit code 2.
EarlyExit usageError(const char* program, const std::string& why);

// Reads `args` into `vm`. A stray word is an error, not something to ignore. Returns the early
// exit for --help (`helpText()`), --version or a malformed command line; nothing when the
// program goes on with `vm`.
std::optional<EarlyExit> readCommandLine(const std::vector<std::string>& args,
                                         const boost::program_options::options_description& desc,
                                         const char* program,
                                         const std::function<std::string()>& helpText,
                                         boost::program_options::variables_map& vm);

}  // namespace rpinetboot::daemon
