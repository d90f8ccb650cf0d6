// rpi-netboot: the fleet as the hook's registry knows it, asked over Kea's control socket
// (rpi-netboot-list, rpi-netboot-get; docs/kea.md, "Identity"). This part builds the commands
// and prints the answers; main.cpp does the socket.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace rpinetboot::cli {

struct FleetOptions {
    std::string socket = "/run/kea/kea4-ctrl-socket";  // examples/kea-dhcp4.conf's
    bool json = false;
    std::string command;  // "list" or "get"
    std::string key;      // get: serial, mac or address
    std::string value;
};

// nullopt and *error for a bad command line; opts->command empty for --help, "version" for
// --version.
std::optional<FleetOptions> parseFleetArgs(const std::vector<std::string>& args,
                                           std::string* error);
const char* fleetUsage();

// The control command for Kea.
nlohmann::json fleetCommand(const FleetOptions& opts);

// Kea's answer printed: a table (or one record, key: value lines), or the records as JSON.
// Returns the exit status: 0 found, 3 when Kea answers "empty", 1 for an error answer.
int printFleetAnswer(const nlohmann::json& answer, const FleetOptions& opts, std::string* out);

// The table for a list of records, columns sized to their contents.
std::string fleetTable(const nlohmann::json& pis);

}  // namespace rpinetboot::cli
