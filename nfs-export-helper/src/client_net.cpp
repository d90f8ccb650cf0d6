#include "rpinetboot/nfs/client_net.h"

namespace rpinetboot::nfs {

namespace {
std::uint32_t maskFor(int prefix) {
    return prefix == 0 ? 0u : ~std::uint32_t{0} << (32 - prefix);
}

std::optional<int> parseDecimal(std::string_view s, int max) {
    if (s.empty() || s.size() > 3) return std::nullopt;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    if (s.size() > 1 && s[0] == '0') return std::nullopt;  // no octal-looking forms
    if (v > max) return std::nullopt;
    return v;
}
}  // namespace

std::optional<std::uint32_t> parseIPv4(std::string_view text) {
    std::uint32_t addr = 0;
    for (int part = 0; part < 4; ++part) {
        auto dot = text.find('.');
        if ((part < 3) != (dot != std::string_view::npos)) return std::nullopt;
        auto piece = text.substr(0, dot);
        auto v = parseDecimal(piece, 255);
        if (!v) return std::nullopt;
        addr = addr << 8 | static_cast<std::uint32_t>(*v);
        text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    }
    return addr;
}

std::string formatIPv4(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 255) + "." +
           std::to_string(a >> 8 & 255) + "." + std::to_string(a & 255);
}

std::optional<ClientNet> ClientNet::parse(std::string_view text) {
    auto slash = text.find('/');
    auto addr = parseIPv4(text.substr(0, slash));
    if (!addr) return std::nullopt;
    int prefix = 32;
    if (slash != std::string_view::npos) {
        auto p = parseDecimal(text.substr(slash + 1), 32);
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
        auto mask = parseIPv4(text.substr(slash + 1));
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
    return isHost() ? formatIPv4(addr_) : formatIPv4(addr_) + "/" + std::to_string(prefix_);
}

}  // namespace rpinetboot::nfs
