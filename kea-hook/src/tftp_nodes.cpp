#include "tftp_nodes.h"

#include <utility>

#include "rpinetboot/util/ipv4.h"

namespace rpinetboot::kea {

namespace {

std::uint32_t maskOf(unsigned length) {
    return length == 0 ? 0 : ~std::uint32_t{0} << (32 - length);
}

std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

}  // namespace

bool Ipv4Prefix::contains(std::uint32_t address) const {
    return (address & maskOf(length)) == network;
}

std::string Ipv4Prefix::str() const {
    return ipv4ToString(network) + "/" + std::to_string(length);
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(const std::string& text) {
    const auto slash = text.find('/');
    if (slash == std::string::npos) return std::nullopt;
    const auto address = parseIpv4(std::string_view(text).substr(0, slash));
    const std::string digits = text.substr(slash + 1);
    if (!address || digits.empty() || digits.size() > 2) return std::nullopt;
    unsigned length = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        length = length * 10 + static_cast<unsigned>(c - '0');
    }
    if (length > 32 || (*address & ~maskOf(length)) != 0) return std::nullopt;
    return Ipv4Prefix{*address, length};
}

bool TftpNodeGroup::matchesSerial(const std::optional<Serial>& serial) const {
    if (!serialFirst) return true;
    return serial && !(*serial < *serialFirst) && !(*serialLast < *serial);
}

TftpNodeSelector::TftpNodeSelector(std::vector<TftpNodeGroup> groups)
    : groups_(std::move(groups)) {}

std::uint64_t TftpNodeSelector::keyOf(const std::optional<Serial>& serial, const MacAddress& mac) {
    if (serial) return std::uint64_t{1} << 32 | serial->value();
    std::uint64_t key = 2;
    for (const auto byte : mac.bytes()) key = key << 8 | byte;
    return key;
}

std::uint64_t TftpNodeSelector::weight(std::uint64_t key, std::uint32_t address) {
    return mix64(key ^ mix64(address));
}

std::optional<TftpNodeChoice> TftpNodeSelector::select(const TftpNodeQuery& query) const {
    std::optional<std::uint64_t> key;  // computed once, only when a group matches
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        const TftpNodeGroup& group = groups_[g];
        if (group.subnet && (query.offered == 0 || !group.subnet->contains(query.offered))) {
            continue;
        }
        if (!group.matchesSerial(query.serial)) continue;
        if (group.clientClass && !(query.inClass && query.inClass(*group.clientClass))) {
            continue;
        }
        if (!key) key = keyOf(query.serial, query.mac);
        std::optional<TftpNodeChoice> best;
        std::uint64_t bestWeight = 0;
        for (const TftpNode& node : group.nodes) {
            if (node.drain) continue;
            const std::uint64_t w = weight(*key, node.address);
            // Ties (never seen: two addresses would need equal 64-bit weights) go to the lower
            // address, so the choice never depends on the order of the list.
            if (!best || w > bestWeight || (w == bestWeight && node.address < best->address)) {
                best = TftpNodeChoice{node.address, g};
                bestWeight = w;
            }
        }
        // Configuration refuses a group with every node drained; a group that matched is final.
        return best;
    }
    return std::nullopt;
}

}  // namespace rpinetboot::kea
