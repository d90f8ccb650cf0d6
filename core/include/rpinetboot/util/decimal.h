// Unsigned decimal text, the one parser for numbers in option values, command lines and files.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rpinetboot {

// Digits only (no sign, space or base prefix; leading zeros allowed), at most `max`. 20 digits
// can overflow 64 bits, so longer text is refused before any arithmetic. Anything else: nullopt.
inline std::optional<std::uint64_t> parseDecimal(std::string_view text, std::uint64_t max) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > max) return std::nullopt;
    return value;
}

}  // namespace rpinetboot
