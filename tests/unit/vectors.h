// Byte vectors from docs/protocol/dhcp.md, each with the public source that page
// names.
#pragma once

#include <cstdint>
#include <string>

#include "rpinetboot/span.h"

namespace vectors {

using rpinetboot::Bytes;

// docs/protocol/dhcp.md: Pi 4 serial bf9fed6f, MAC e4:5f:01:98:e0:82, option 97 as dnsmasq logged
// it in a published Pi 4 netboot write-up.
inline const Bytes kPi4Option97 = {0x00, 0x34, 0x69, 0x50, 0x52, 0x15, 0x31, 0xd0, 0x00,
                                   0x01, 0x98, 0xe0, 0x82, 0x6f, 0xed, 0x9f, 0xbf};
inline constexpr const char* kPi4Mac = "e4:5f:01:98:e0:82";
inline constexpr std::uint32_t kPi4Serial = 0xbf9fed6f;
inline constexpr std::uint32_t kPi4Revision = 0x00d03115;

inline Bytes text(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

// docs/protocol/dhcp.md: dnsmasq's pxe-service=0,"Raspberry Pi Boot" (a published dnsmasq log).
inline Bytes option43Unpadded() {
    Bytes b = {0x06, 0x01, 0x03, 0x0a, 0x04, 0x00, 0x50, 0x58, 0x45, 0x09, 0x14, 0x00, 0x00, 0x11};
    Bytes t = text("Raspberry Pi Boot");
    b.insert(b.end(), t.begin(), t.end());
    b.push_back(0xff);
    return b;
}

// docs/protocol/dhcp.md: the Pi 3B ROM form, three trailing spaces, sub-option 9 length 23
// ([boot-net] "Known problems").
inline Bytes option43Padded() {
    Bytes b = {0x06, 0x01, 0x03, 0x0a, 0x04, 0x00, 0x50, 0x58, 0x45, 0x09, 23, 0x00, 0x00, 20};
    Bytes t = text("Raspberry Pi Boot   ");
    b.insert(b.end(), t.begin(), t.end());
    b.push_back(0xff);
    return b;
}

// docs/protocol/dhcp.md, "Option 55".
inline const Bytes kList55A = {0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82,
                               0x83, 0x84, 0x85, 0x86, 0x87, 0x42};
inline const Bytes kList55B = {0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82, 0x83,
                               0x84, 0x85, 0x86, 0x87, 0x42, 0x01, 0x03};
inline const Bytes kList55C = {0x01, 0x03, 0x2b, 0x3c, 0x42, 0x43, 0x80,
                               0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87};

}  // namespace vectors
