// Option 97 (client identifier) as the three Pi DISCOVER shapes send it (docs/protocol/dhcp.md).
// Always 17 bytes: a type byte 0 and sixteen bytes whose layout depends on the boot stage.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "rpinetboot/mac.h"
#include "rpinetboot/serial.h"
#include "rpinetboot/span.h"

namespace rpinetboot {

inline constexpr std::size_t kOption97Length = 17;

enum class Option97Form {
    RomConstant,     // shape A: sixteen 0x44 bytes, no serial
    SerialRepeated,  // shape B (and EEPROM with DHCP_OPTION97=0): le32(serial) four times
    FourCC,       // shape C: magic "RPi4"/"RPi5" (either byte order) + revision + MAC tail + serial
    CustomMagic,  // shape C layout with an admin-chosen DHCP_OPTION97 magic, recognised by
                  // its MAC tail matching the packet's chaddr
    Unknown,      // a well-formed 17-byte identifier of some other client (e.g. a PXE UUID)
};

struct Option97 {
    Option97Form form = Option97Form::Unknown;
    std::optional<Serial> serial;  // SerialRepeated, FourCC, CustomMagic
    // FourCC and CustomMagic only:
    std::array<std::uint8_t, 4> magic{};    // as on the wire
    int fourccModel = 0;                    // 4 or 5 (FourCC only)
    std::uint32_t boardRevision = 0;        // le32 of bytes 5..8
    std::array<std::uint8_t, 4> macTail{};  // MAC bytes 2..5 as sent
    bool macTailZero = false;               // early Pi 4 firmware (rpi-eeprom#103)
    bool macTailMatches = false;            // equals chaddr bytes 2..5
};

// Parses option 97. Returns nullopt and sets *error when the option is malformed (wrong length,
// non-zero type byte). `chaddr` is used to validate the MAC tail of the shape-C form.
std::optional<Option97> parseOption97(ByteSpan data, const MacAddress& chaddr, std::string* error);

// Encoders: used by the probe and the tests to emulate Pis.
Bytes encodeOption97Rom();
Bytes encodeOption97Serial(Serial serial);
// `model` is 4 or 5; `wireOrderRpi` true sends "RPi4" (EEPROMs up to 2022-01), false "4iPR".
Bytes encodeOption97FourCC(int model, bool wireOrderRpi, std::uint32_t boardRevision,
                           const MacAddress& mac, Serial serial);

}  // namespace rpinetboot
