#include "rpinetboot/util/ipv4.h"

#include "rpinetboot/util/decimal.h"

namespace rpinetboot {

std::optional<std::uint32_t> parseIpv4(std::string_view text) {
    std::uint32_t addr = 0;
    for (int part = 0; part < 4; ++part) {
        const auto dot = text.find('.');
        if ((part < 3) != (dot != std::string_view::npos)) return std::nullopt;
        const auto piece = text.substr(0, dot);
        if (piece.size() > 3 || (piece.size() > 1 && piece[0] == '0')) return std::nullopt;
        const auto v = parseDecimal(piece, 255);
        if (!v) return std::nullopt;
        addr = addr << 8 | static_cast<std::uint32_t>(*v);
        text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    }
    return addr;
}

char* writeIpv4(char* out, std::uint32_t a) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        const unsigned part = a >> shift & 255;
        // Decimal without leading zeros, as parseIpv4 requires.
        if (part >= 100) *out++ = static_cast<char>('0' + part / 100);
        if (part >= 10) *out++ = static_cast<char>('0' + part / 10 % 10);
        *out++ = static_cast<char>('0' + part % 10);
        if (shift) *out++ = '.';
    }
    return out;
}

std::string ipv4ToString(std::uint32_t a) {
    char text[kMaxIpv4Text];
    return std::string(text, writeIpv4(text, a));
}

}  // namespace rpinetboot
