#include "interface_route.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::probe {

InterfaceInfo lookupInterface(const std::string& name) {
    InterfaceInfo info;
    info.name = name;
    info.index = if_nametoindex(name.c_str());
    if (info.index == 0) {
        throw std::system_error(errno ? errno : ENODEV, std::generic_category(),
                                "interface " + name);
    }
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) {
        throw std::system_error(errno, std::generic_category(), "listing interface addresses");
    }
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_name == nullptr || name != a->ifa_name) continue;
        info.up = info.up || (a->ifa_flags & IFF_UP);
        if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET) {
            info.addresses.push_back(
                ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr));
        }
    }
    freeifaddrs(list);
    return info;
}

std::optional<std::string> routeProblem(const InterfaceInfo& iface, std::uint32_t server) {
    if (iface.addresses.empty()) {
        return "interface " + iface.name + " has no IPv4 address, so it cannot talk to " +
               ipv4ToString(server);
    }
    const UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) return std::string("UDP socket: ") + std::strerror(errno);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(69);
    to.sin_addr.s_addr = htonl(server);
    // connect() on UDP sends nothing: it only makes the kernel pick the route and source.
    std::optional<std::string> problem;
    if (connect(sock.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        problem = "no route to " + ipv4ToString(server) + ": " + std::strerror(errno);
    } else {
        sockaddr_in local{};
        socklen_t len = sizeof local;
        getsockname(sock.get(), reinterpret_cast<sockaddr*>(&local), &len);
        const std::uint32_t src = ntohl(local.sin_addr.s_addr);
        if (std::find(iface.addresses.begin(), iface.addresses.end(), src) ==
            iface.addresses.end()) {
            problem = "the route to " + ipv4ToString(server) + " leaves with source " +
                      ipv4ToString(src) + ", not through " + iface.name +
                      "; the probe only talks on the named interface";
        }
    }
    return problem;
}

}  // namespace rpinetboot::probe
