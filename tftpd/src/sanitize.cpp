#include "sanitize.h"

namespace rpinetboot::tftpd {

std::string sanitize(std::string_view text, std::size_t maxInput) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    const std::size_t n = text.size() < maxInput ? text.size() : maxInput;
    out.reserve(n + 8);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    if (text.size() > n) out += "...";
    return out;
}

}  // namespace rpinetboot::tftpd
