#include "rpinetboot/serial.h"

#include <cstdio>

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
    // By hand, not snprintf("%08x"): rpi-tftpd names the serial in every transfer's boot event.
    static constexpr char kHex[] = "0123456789abcdef";
    char buf[8];
    std::uint32_t v = value_;
    for (int i = 7; i >= 0; --i, v >>= 4) buf[i] = kHex[v & 15];
    return std::string(buf, sizeof buf);
}

}  // namespace rpinetboot
