#include "rpinetboot/nfs/client_net.h"

#include "rpinetboot/util/decimal.h"
#include "rpinetboot/util/ipv4.h"

namespace rpinetboot::nfs {

namespace {
std::uint32_t maskFor(int prefix) {
    return prefix == 0 ? 0u : ~std::uint32_t{0} << (32 - prefix);
}

// A prefix length as exports(5) writes it: no leading zeros.
std::optional<int> parsePrefix(std::string_view s) {
    if (s.size() > 1 && s[0] == '0') return std::nullopt;
    auto v = parseDecimal(s, 32);
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
}
}  // namespace

std::optional<ClientNet> ClientNet::parse(std::string_view text) {
    auto slash = text.find('/');
    auto addr = parseIpv4(text.substr(0, slash));
    if (!addr) return std::nullopt;
    int prefix = 32;
    if (slash != std::string_view::npos) {
        auto p = parsePrefix(text.substr(slash + 1));
        if (!p) return std::nullopt;
        prefix = *p;
    }
    if ((*addr & ~maskFor(prefix)) != 0) return std::nullopt;
    return ClientNet(*addr, prefix);
}

std::optional<ClientNet> ClientNet::parseLoose(std::string_view text) {
    auto slash = text.find('/');
    if (slash != std::string_view::npos) {
        // mountd may print a dotted netmask: "192.0.2.0/255.255.255.0".
        auto mask = parseIpv4(text.substr(slash + 1));
        if (mask) {
            int prefix = 0;
            while (prefix < 32 && (*mask & (1u << (31 - prefix)))) ++prefix;
            if (maskFor(prefix) != *mask) return std::nullopt;
            return parse(std::string(text.substr(0, slash)) + "/" + std::to_string(prefix));
        }
    }
    return parse(text);
}

bool ClientNet::contains(const ClientNet& other) const {
    if (other.prefix_ < prefix_) return false;
    return (other.addr_ & maskFor(prefix_)) == addr_;
}

std::string ClientNet::str() const {
    return isHost() ? ipv4ToString(addr_) : ipv4ToString(addr_) + "/" + std::to_string(prefix_);
}

}  // namespace rpinetboot::nfs
