// Hex text of bytes, both ways: the one encoder and decoder for packets written as hex (test
// clients, benchmark templates, the probe's reports).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rpinetboot/span.h"

namespace rpinetboot {

inline std::optional<std::uint8_t> hexDigit(char c) {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    return std::nullopt;
}

// Two lower-case digits per byte, no separators.
inline std::string toHex(ByteSpan bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::uint8_t b : bytes) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

// An even number of hex digits (either case, no separators or prefix); anything else: nullopt.
inline std::optional<Bytes> fromHex(std::string_view text) {
    if (text.size() % 2) return std::nullopt;
    Bytes out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const auto hi = hexDigit(text[i]);
        const auto lo = hexDigit(text[i + 1]);
        if (!hi || !lo) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(*hi << 4 | *lo));
    }
    return out;
}

}  // namespace rpinetboot
