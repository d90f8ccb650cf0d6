// rpi-netconsoled settings: command-line flags and the configuration file share the same keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rpinetboot/daemon/options.h"
#include "rpinetboot/event_sink.h"
#include "rpinetboot/netconsole/receiver.h"

namespace rpinetboot::netconsole {

constexpr const char* kDefaultConfigFile = "/etc/rpi-netboot/rpi-netconsoled.conf";

struct UdpListen {
    std::string address;  // IPv4 or IPv6 literal
    std::uint16_t port = kDefaultPort;
};

struct Settings {
    std::string configFile;               // empty: none read
    std::vector<std::string> interfaces;  // packet sockets, promiscuous
    std::vector<UdpListen> udp;           // plain UDP sockets
    std::uint16_t port = kDefaultPort;
    bool promiscuous = true;
    SinkSpec events;
    std::string eventsText = "auto";
    Limits limits;
    std::string user;
    std::string logLevel = "info";
};

using daemon::ParseResult;
using daemon::ParseStatus;

// The program's name, --help head and default configuration file.
extern const daemon::Program kProgram;

// Flags win over the configuration file (--config, else kDefaultConfigFile when it exists).
// `socketActivated`: sockets come from systemd, so neither --interface nor --udp is required.
ParseResult parseSettings(const std::vector<std::string>& args, bool socketActivated,
                          Settings& out);

}  // namespace rpinetboot::netconsole
