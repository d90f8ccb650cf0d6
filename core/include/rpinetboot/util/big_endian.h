// Network byte order (big-endian) fields read from and appended to byte buffers: DHCP (RFC 2131),
// TFTP (RFC 1350), IPv4/UDP headers.
#pragma once

#include <cstdint>

namespace rpinetboot {

inline std::uint16_t readBe16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

inline std::uint32_t readBe32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
           std::uint32_t{p[3]};
}

// Overwrites two or four bytes in place (a checksum or header field filled in afterwards).
inline void writeBe16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v & 0xff);
}

inline void writeBe32(std::uint8_t* p, std::uint32_t v) {
    writeBe16(p, static_cast<std::uint16_t>(v >> 16));
    writeBe16(p + 2, static_cast<std::uint16_t>(v & 0xffff));
}

// Out: any container of bytes with push_back (std::vector<std::uint8_t>, std::string).
template <typename Out>
void appendBe16(Out& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

template <typename Out>
void appendBe32(Out& out, std::uint32_t v) {
    appendBe16(out, static_cast<std::uint16_t>(v >> 16));
    appendBe16(out, static_cast<std::uint16_t>(v & 0xffff));
}

}  // namespace rpinetboot
