// MAC OUIs assigned to Raspberry Pi boards. An OUI is a hint, never the classifier on its own,
// and the list is extensible because every published list has gone stale (ltsp/ltsp#498).
#pragma once

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
    void add(std::uint32_t oui) { ouis_.insert(oui); }
    bool contains(const MacAddress& mac) const { return ouis_.count(mac.oui()) != 0; }
    bool contains(std::uint32_t oui) const { return ouis_.count(oui) != 0; }

  private:
    std::set<std::uint32_t> ouis_;
};

}  // namespace rpinetboot
