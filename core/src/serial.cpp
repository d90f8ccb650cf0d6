#include "rpinetboot/serial.h"

#include "hex.h"

namespace rpinetboot {

std::optional<Serial> Serial::parse(std::string_view text) {
    if (text.size() == 16) {
        // /proc/cpuinfo prints 64 bits; only these high words are known (docs/protocol/dhcp.md).
        auto high = detail::parseHex32(text.substr(0, 8));
        if (!high || (*high != 0x10000000 && *high != 0)) return std::nullopt;
        text = text.substr(8);
    }
    if (text.size() != 8) return std::nullopt;
    auto value = detail::parseHex32(text);
    if (!value) return std::nullopt;
    return Serial(*value);
}

std::string Serial::str() const {
    // "%08x" without snprintf (see mac.cpp): eight lower-case digits, most significant first.
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(8, '0');
    for (int i = 0; i < 8; ++i) out[7 - i] = kDigits[(value_ >> (4 * i)) & 15];
    return out;
}

}  // namespace rpinetboot
