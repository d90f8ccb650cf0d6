// Formatting of boot events into a caller's buffer, shared by the JSON line and the journal entry.
// A writer gets room for the worst case first (an upper bound from the fields' sizes), then writes
// through a pointer: no allocation per field, no stream, no locale, no temporary string. Events
// are rendered thousands of times a second on the writer threads (README.md, "Boot events and
// bootloader logs").
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "rpinetboot/boot_event.h"

namespace rpinetboot::detail {

inline char* putRaw(char* p, std::string_view s) {
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

template <std::size_t N>
inline char* putLiteral(char* p, const char (&s)[N]) {
    std::memcpy(p, s, N - 1);
    return p + N - 1;
}

// Decimal, at most 20 digits (2^64).
inline char* putU64(char* p, std::uint64_t v) {
    return std::to_chars(p, p + 20, v).ptr;
}

// The bytes the strings of `e` hold: what their copies (raw or escaped) are bounded by.
inline std::size_t stringBytes(const BootEvent& e) {
    return e.source.size() + e.serial.size() + e.mac.size() + e.address.size() + e.model.size() +
           e.file.size() + e.error.size() + e.text.size() + e.phase.size();
}

// Room that is always enough for the summary's fixed parts: the step name, two numbers and
// their units, the outcome, separators and brackets.
constexpr std::size_t kSummaryFixed = 96;

// The one-line summary (boot_event.h, summary()): the step, then each non-empty part after a
// space. `put(p, text)` copies one part's text (raw for the journal, escaped for JSON); every
// part is put whole and the separators are ASCII, so escaping part by part is escaping the line.
template <typename Put>
char* putSummary(char* p, const BootEvent& e, Put put) {
    p = put(p, stepName(e.step));
    const auto part = [&](std::string_view text) {
        if (text.empty()) return;
        *p++ = ' ';
        p = put(p, text);
    };
    part(e.serial);
    part(e.mac);
    part(e.address);
    part(e.file);
    if (e.bytes) {
        *p++ = ' ';
        p = putU64(p, *e.bytes);
        p = putLiteral(p, " bytes");
    }
    if (e.durationUs) {
        *p++ = ' ';
        p = putU64(p, *e.durationUs / 1000);
        p = putLiteral(p, " ms");
    }
    part(outcomeName(e.outcome));
    if (!e.error.empty()) {
        p = putLiteral(p, " (");
        p = put(p, e.error);
        *p++ = ')';
    }
    if (!e.text.empty()) {
        p = putLiteral(p, " | ");
        p = put(p, e.text);
    }
    return p;
}

// Grows `out` by `room` bytes, lets `write(char*)` fill part of them and return its end, then
// cuts `out` to what was written.
template <typename Write>
void appendBounded(std::string& out, std::size_t room, Write write) {
    const std::size_t start = out.size();
    out.resize(start + room);
    char* const begin = &out[0];
    char* const end = write(begin + start);
    out.resize(static_cast<std::size_t>(end - begin));
}

}  // namespace rpinetboot::detail
