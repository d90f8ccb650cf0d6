// JSON rendering of a boot event (RFC 8259): strings escaped by hand so that the core needs no
// JSON library and any byte string, a bootloader's line included, gives valid output. Written
// into room reserved for the worst case (event_format.h); plain text is checked and copied eight
// bytes at a time.
#include <cstring>

#include "event_format.h"
#include "rpinetboot/boot_event.h"

namespace rpinetboot {
namespace {

using detail::putLiteral;
using detail::putRaw;
using detail::putU64;

// Length of the valid UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0.
std::size_t utf8Length(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (b(1) < lo || b(1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if (b(k) < 0x80 || b(k) > 0xbf) return 0;
    }
    return n;
}

// Printable ASCII other than '"' and '\\': copied as it is. A table: one load per byte.
struct PlainBytes {
    bool is[256] = {};
    constexpr PlainBytes() {
        for (int c = 0x20; c < 0x7f; ++c) is[c] = c != '"' && c != '\\';
    }
};
constexpr PlainBytes kPlain;

// Whether any of the eight bytes of `w` is not plain: below 0x20, 0x7f or above, '"' or '\\'
// (the word-at-a-time tests of https://graphics.stanford.edu/~seander/bithacks.html,
// "Determine if a word has a byte less than n" and "... has a zero byte").
bool anyNotPlain(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    const auto hasZero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
    const std::uint64_t below20 = (w - kOnes * 0x20) & ~w & kHigh;
    return ((below20 | (w & kHigh) | hasZero(w ^ (kOnes * '"')) | hasZero(w ^ (kOnes * '\\')) |
             hasZero(w ^ (kOnes * 0x7f))) != 0);
}

constexpr char kHex[] = "0123456789abcdef";

// `s` escaped, without the quotes; at most 6 bytes out per byte in ("\u00XX", "\ufffd").
char* putEscaped(char* p, std::string_view s) {
    const char* in = s.data();
    const char* const end = in + s.size();
    while (in < end) {
        if (end - in >= 8) {
            std::uint64_t w;
            std::memcpy(&w, in, 8);
            if (!anyNotPlain(w)) {
                std::memcpy(p, in, 8);
                p += 8;
                in += 8;
                continue;
            }
        }
        const auto c = static_cast<unsigned char>(*in);
        if (kPlain.is[c]) {
            *p++ = static_cast<char>(c);
            ++in;
            continue;
        }
        if (c >= 0x80) {
            const std::size_t at = static_cast<std::size_t>(in - s.data());
            const std::size_t n = utf8Length(s, at);
            if (n == 0) {
                p = putLiteral(p, "\\ufffd");
                ++in;
            } else {
                p = putRaw(p, s.substr(at, n));
                in += n;
            }
            continue;
        }
        *p++ = '\\';
        switch (c) {
            case '"':
                *p++ = '"';
                break;
            case '\\':
                *p++ = '\\';
                break;
            case '\n':
                *p++ = 'n';
                break;
            case '\r':
                *p++ = 'r';
                break;
            case '\t':
                *p++ = 't';
                break;
            default:  // the other control characters and DEL
                p = putLiteral(p, "u00");
                *p++ = kHex[c >> 4];
                *p++ = kHex[c & 15];
        }
        ++in;
    }
    return p;
}

char* putString(char* p, std::string_view s) {
    *p++ = '"';
    p = putEscaped(p, s);
    *p++ = '"';
    return p;
}

// `,"name":` — `key` is one of this file's own literals with the comma and quotes in it.
template <std::size_t N>
char* putOptional(char* p, const char (&key)[N], std::string_view value) {
    if (value.empty()) return p;
    p = putLiteral(p, key);
    return putString(p, value);
}

// Keys, numbers and fixed words of one line, with room to spare: what is not a field's text.
constexpr std::size_t kLineFixed = 512 + detail::kSummaryFixed;

}  // namespace

void appendJson(std::string& out, const BootEvent& e) {
    // Each string byte is at most 6 bytes escaped, and most strings appear twice (their field
    // and the message).
    const std::size_t room = kLineFixed + 12 * detail::stringBytes(e);
    detail::appendBounded(out, room, [&e](char* p) {
        p = putLiteral(p, "{\"timestamp_us\":");
        p = putU64(p, e.timestampUs);
        p = putLiteral(p, ",\"step\":");
        p = putString(p, stepName(e.step));
        p = putOptional(p, ",\"source\":", e.source);
        p = putOptional(p, ",\"serial\":", e.serial);
        p = putOptional(p, ",\"mac\":", e.mac);
        p = putOptional(p, ",\"address\":", e.address);
        p = putOptional(p, ",\"model\":", e.model);
        p = putOptional(p, ",\"file\":", e.file);
        if (e.bytes) {
            p = putLiteral(p, ",\"bytes\":");
            p = putU64(p, *e.bytes);
        }
        if (e.durationUs) {
            p = putLiteral(p, ",\"duration_us\":");
            p = putU64(p, *e.durationUs);
        }
        p = putOptional(p, ",\"outcome\":", outcomeName(e.outcome));
        p = putOptional(p, ",\"error\":", e.error);
        p = putOptional(p, ",\"text\":", e.text);
        p = putOptional(p, ",\"phase\":", e.phase);
        p = putLiteral(p, ",\"message\":\"");
        p = detail::putSummary(p, e, putEscaped);
        return putLiteral(p, "\"}");
    });
}

std::string toJson(const BootEvent& e) {
    std::string out;
    appendJson(out, e);
    return out;
}

}  // namespace rpinetboot
