// JSON rendering of a boot event (RFC 8259): strings escaped by hand so that the core needs no
// JSON library and any byte string, a bootloader's line included, gives valid output.
#include <charconv>
#include <cstdio>

#include "rpinetboot/boot_event.h"

namespace rpinetboot {
namespace {

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
bool plain(unsigned char c) {
    return kPlain.is[c];
}

void appendString(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        // Runs of plain bytes (nearly all of an event: names, hex, addresses) in one append.
        std::size_t run = i;
        while (run < s.size() && plain(static_cast<unsigned char>(s[run]))) ++run;
        if (run > i) {
            out.append(s.data() + i, run - i);
            i = run;
            continue;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const std::size_t n = utf8Length(s, i);
            if (n == 0) {
                out += "\\ufffd";
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
}

// `name`: one of this file's own key literals, plain ASCII: written as it is.
void key(std::string& out, const char* name) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += name;
    out += "\":";
}

void field(std::string& out, const char* name, std::string_view value) {
    key(out, name);
    appendString(out, value);
}

void number(std::string& out, const char* name, std::uint64_t value) {
    key(out, name);
    char digits[20];  // 2^64 has 20
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

std::string toJson(const BootEvent& e) {
    std::string out;
    out.reserve(320);  // a DHCP or TFTP event's line is some 250 bytes
    out += '{';
    number(out, "timestamp_us", e.timestampUs);
    field(out, "step", stepName(e.step));
    auto optional = [&out](const char* name, const std::string& value) {
        if (!value.empty()) field(out, name, value);
    };
    optional("source", e.source);
    optional("serial", e.serial);
    optional("mac", e.mac);
    optional("address", e.address);
    optional("model", e.model);
    optional("file", e.file);
    if (e.bytes) number(out, "bytes", *e.bytes);
    if (e.durationUs) number(out, "duration_us", *e.durationUs);
    if (e.outcome != Outcome::None) field(out, "outcome", outcomeName(e.outcome));
    optional("error", e.error);
    optional("text", e.text);
    optional("phase", e.phase);
    field(out, "message", summary(e));
    out += '}';
    return out;
}

}  // namespace rpinetboot
