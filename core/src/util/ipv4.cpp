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

std::string ipv4ToString(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 255) + "." +
           std::to_string(a >> 8 & 255) + "." + std::to_string(a & 255);
}

}  // namespace rpinetboot
