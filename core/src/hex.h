// Small internal helpers for hex numbers and little-endian fields (hex bytes: util/hex.h,
// big-endian: util/big_endian.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "rpinetboot/util/hex.h"

namespace rpinetboot::detail {

// Parses exactly text.size() hex digits (at most 8) into a number.
inline std::optional<std::uint32_t> parseHex32(std::string_view text) {
    if (text.empty() || text.size() > 8) return std::nullopt;
    std::uint32_t value = 0;
    for (char c : text) {
        auto d = hexDigit(c);
        if (!d) return std::nullopt;
        value = (value << 4) | *d;
    }
    return value;
}

inline std::uint32_t le32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

template <typename Out>
void putLe32(Out& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace rpinetboot::detail
