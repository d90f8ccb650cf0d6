#include "rpinetboot/oui.h"

#include <string>

#include "hex.h"

namespace rpinetboot {

const std::vector<std::uint32_t>& builtinPiOuis() {
    // docs/protocol/dhcp.md, "MAC OUIs": b8:27:eb is Pi 1-3, 2c:cf:67 is Pi 5.
    static const std::vector<std::uint32_t> ouis = {0xb827eb, 0xdca632, 0xe45f01, 0x28cdc1,
                                                    0xd83add, 0x2ccf67, 0x88a29e};
    return ouis;
}

std::optional<std::uint32_t> parseOui(std::string_view text) {
    std::string digits;
    if (text.size() == 8) {
        if (text[2] != text[5] || (text[2] != ':' && text[2] != '-')) return std::nullopt;
        digits = std::string(text.substr(0, 2)) + std::string(text.substr(3, 2)) +
                 std::string(text.substr(6, 2));
    } else if (text.size() == 6) {
        digits = std::string(text);
    } else {
        return std::nullopt;
    }
    return detail::parseHex32(digits);
}

OuiSet::OuiSet() {
    for (const std::uint32_t oui : builtinPiOuis()) add(oui);
}

}  // namespace rpinetboot
