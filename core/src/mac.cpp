#include "rpinetboot/mac.h"

#include "hex.h"

namespace rpinetboot {

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
    Bytes bytes{};
    std::size_t pos = 0;
    const bool separated = text.size() == 17;
    if (!separated && text.size() != 12) return std::nullopt;
    const char sep = separated ? text[2] : '\0';
    if (separated && sep != ':' && sep != '-') return std::nullopt;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (separated && i > 0) {
            if (text[pos] != sep) return std::nullopt;
            ++pos;
        }
        auto hi = hexDigit(text[pos]);
        auto lo = hexDigit(text[pos + 1]);
        if (!hi || !lo) return std::nullopt;
        bytes[i] = static_cast<std::uint8_t>(*hi << 4 | *lo);
        pos += 2;
    }
    return MacAddress(bytes);
}

MacAddress MacAddress::fromOui(std::uint32_t oui, std::uint32_t low) {
    auto byte = [](std::uint32_t v, int shift) { return static_cast<std::uint8_t>(v >> shift); };
    return MacAddress(Bytes{byte(oui, 16), byte(oui, 8), byte(oui, 0), byte(low, 16), byte(low, 8),
                            byte(low, 0)});
}

namespace {
// What "%02x:%02x:..." printed, without snprintf's format parsing (several thousand
// instructions per call; MACs are formatted for logs and events on the Pi path).
std::string format(const MacAddress::Bytes& b, char sep) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(17, sep);
    for (std::size_t i = 0; i < b.size(); ++i) {
        out[3 * i] = kDigits[b[i] >> 4];
        out[3 * i + 1] = kDigits[b[i] & 15];
    }
    return out;
}
}  // namespace

std::string MacAddress::str() const {
    return format(bytes_, ':');
}
std::string MacAddress::dashed() const {
    return format(bytes_, '-');
}

}  // namespace rpinetboot
