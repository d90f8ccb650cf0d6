// A daemon's settings: the command line, then a configuration file with the same keys
// (Boost.Program_options), help and version, and the checks every daemon makes the same way.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rpinetboot::daemon {

enum class ParseStatus { Ok, Help, Version, Error };

struct ParseResult {
    ParseStatus status = ParseStatus::Error;
    std::string text;  // help text, version, or the error
};

struct Program {
    const char* name;               // "rpi-tftpd": the version line and error prefix
    const char* helpHead;           // usage and summary lines printed above the options
    const char* defaultConfigFile;  // read when it exists and no --config is given
};

// The "General" section every daemon has: --help, --version and --config FILE.
boost::program_options::options_description generalOptions(const Program& program);

// Reads `args` into `vm`, then the configuration file: --config FILE (must exist), else the
// program's default file when it exists (its name goes to `configFile`). Flags win over the
// file. The description must include generalOptions(). False when the caller
// must stop: `result` then holds the help, the version or the error.
bool readOptions(const std::vector<std::string>& args,
                 const boost::program_options::options_description& desc, const Program& program,
                 boost::program_options::variables_map& vm, std::string& configFile,
                 ParseResult& result);

// The levels --log-level accepts, for its help text and its check.
constexpr const char* kLogLevels = "trace, debug, info, warn or error";
bool isLogLevel(const std::string& level);
// Copies --log-level into `level` when given; false with a message when it is not a level.
bool readLogLevel(const boost::program_options::variables_map& vm, std::string& level,
                  std::string& error);

// "ADDR:PORT", "[V6]:PORT" or "ADDR" (then `defaultPort`); ADDR is an IPv4 or IPv6 literal.
// Returns the address text and the port (0..65535), or nothing.
std::optional<std::pair<std::string, std::uint16_t>> splitHostPort(const std::string& spec,
                                                                   std::uint16_t defaultPort);

// What main() does with a parse result: prints help or version to stdout, or the error and a
// hint to stderr. Returns the exit code to leave with (0 or 2), or nothing to go on.
std::optional<int> exitCodeFor(const ParseResult& parsed, const Program& program);

}  // namespace rpinetboot::daemon
