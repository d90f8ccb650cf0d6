// rpi-tftpd settings: command-line flags and the configuration file share the same keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "path_resolver.h"
#include "rpinetboot/daemon/options.h"

namespace rpinetboot::tftpd {

constexpr const char* kDefaultConfigFile = "/etc/rpi-netboot/rpi-tftpd.conf";

struct Settings {
    std::string configFile;  // empty: none (the default file is optional)
    std::vector<std::string> listen;
    ResolverConfig resolver;
    std::string user;
    std::uint16_t maxBlockSize = 65464;
    bool mtuClamp = true;
    std::uint16_t maxWindowSize = 8;
    unsigned timeoutMs = 1000;
    unsigned maxTimeoutMs = 4000;
    unsigned retries = 5;
    unsigned halfOpenTimeoutMs = 3000;
    unsigned maxTransfers = 1024;
    unsigned maxPerClient = 16;
    std::uint64_t cacheBytes = 256ull << 20;
    std::uint64_t maxCachedFileBytes = 64ull << 20;
    int receiveBuffer = 8 << 20;
    std::string logLevel = "info";
    std::string metricsListen;    // empty: no /metrics endpoint
    std::string events = "none";  // where TFTP_FILE boot events go (rpinetboot::parseSinkSpec)
};

using daemon::ParseResult;
using daemon::ParseStatus;

// The program's name, --help head and default configuration file.
extern const daemon::Program kProgram;

// Flags win over the configuration file (given with --config, else kDefaultConfigFile when it
// exists). Every value is validated here, so a bad reload changes nothing.
ParseResult parseSettings(const std::vector<std::string>& args, Settings& out);

// "ADDR:PORT", "[V6]:PORT", "ADDR" (port 69). Returns host and port.
std::optional<std::pair<std::string, std::uint16_t>> splitListen(const std::string& spec);

}  // namespace rpinetboot::tftpd
