// Keeping the probe on its interface. The DHCP client binds its raw socket to the interface;
// the TFTP and MOUNT clients open their own UDP/TCP sockets, so before talking to a server the
// probe checks that the kernel routes to it through the named interface (its source address
// is one of the interface's) and refuses otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rpinetboot::probe {

struct InterfaceInfo {
    std::string name;
    unsigned index = 0;
    bool up = false;
    std::vector<std::uint32_t> addresses;  // IPv4, host order
};

// Throws std::system_error (ENODEV) when the interface does not exist.
InterfaceInfo lookupInterface(const std::string& name);

// nullopt when the route to `server` (host order) leaves through `iface`; otherwise why not.
std::optional<std::string> routeProblem(const InterfaceInfo& iface, std::uint32_t server);

}  // namespace rpinetboot::probe
