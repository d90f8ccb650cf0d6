// MAC OUIs assigned to Raspberry Pi boards. An OUI is a hint, never the classifier on its own,
// and the list is extensible because every published list has gone stale (ltsp/ltsp#498).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "rpinetboot/mac.h"

namespace rpinetboot {

// The built-in list: docs/protocol/dhcp.md, "MAC OUIs".
const std::vector<std::uint32_t>& builtinPiOuis();

// Parses "dc:a6:32", "dc-a6-32" or "dca632" (any case).
std::optional<std::uint32_t> parseOui(std::string_view text);

class OuiSet {
  public:
    // Starts with the built-in list.
    OuiSet();
    void add(std::uint32_t oui) {
        ouis_.insert(oui);
        const unsigned bit = filterBit(oui);
        filter_[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
    bool contains(const MacAddress& mac) const { return contains(mac.oui()); }
    // Most MACs asked about are no Pi's (the OS-phase test of every query without option 60):
    // a clear bit in the filter answers them without walking the set.
    bool contains(std::uint32_t oui) const {
        const unsigned bit = filterBit(oui);
        return ((filter_[bit / 64] >> (bit % 64)) & 1u) && ouis_.count(oui) != 0;
    }

  private:
    // Fibonacci hashing: the top 8 bits of the product mix all 24 bits of the OUI.
    static unsigned filterBit(std::uint32_t oui) {
        return static_cast<unsigned>((std::uint64_t{oui} * 0x9e3779b97f4a7c15ULL) >> 56);
    }
    std::set<std::uint32_t> ouis_;
    std::array<std::uint64_t, 4> filter_{};  // 256 bits: one set per OUI in ouis_
};

}  // namespace rpinetboot
