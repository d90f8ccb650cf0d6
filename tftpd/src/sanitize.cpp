#include "sanitize.h"

namespace rpinetboot::tftpd {

std::string sanitize(std::string_view text, std::size_t maxInput) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    const std::size_t n = text.size() < maxInput ? text.size() : maxInput;
    out.reserve(n + 8);
    const auto plain = [](unsigned char c) {
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    };
    for (std::size_t i = 0; i < n;) {
        // Runs of plain bytes (a whole ordinary file name) in one append: every transfer's boot
        // event sanitizes its file name on the event loop.
        std::size_t run = i;
        while (run < n && plain(static_cast<unsigned char>(text[run]))) ++run;
        out.append(text.data() + i, run - i);
        if (run == n) break;
        const auto c = static_cast<unsigned char>(text[run]);
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 0xf];
        i = run + 1;
    }
    if (text.size() > n) out += "...";
    return out;
}

}  // namespace rpinetboot::tftpd
