// Ethernet MAC addresses and the forms the Pi boot uses for them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpinetboot {

class MacAddress {
  public:
    using Bytes = std::array<std::uint8_t, 6>;

    constexpr MacAddress() : bytes_{} {}
    constexpr explicit MacAddress(const Bytes& bytes) : bytes_(bytes) {}

    // Accepts six hex pairs separated by ':' or '-' (any case), or twelve bare hex digits.
    static std::optional<MacAddress> parse(std::string_view text);
    // The address with the 24-bit `oui` and the low 24 bits of `low`.
    static MacAddress fromOui(std::uint32_t oui, std::uint32_t low);

    const Bytes& bytes() const { return bytes_; }

    // The 24-bit organisationally unique identifier, e.g. 0xdca632.
    std::uint32_t oui() const {
        return static_cast<std::uint32_t>(bytes_[0]) << 16 |
               static_cast<std::uint32_t>(bytes_[1]) << 8 | bytes_[2];
    }

    // "dc:a6:32:01:36:c2"
    std::string str() const;
    // "dc-a6-32-01-36-c2": the TFTP_PREFIX=2 directory name (docs/protocol/dhcp.md).
    std::string dashed() const;

    bool operator==(const MacAddress& other) const { return bytes_ == other.bytes_; }
    bool operator!=(const MacAddress& other) const { return bytes_ != other.bytes_; }
    bool operator<(const MacAddress& other) const { return bytes_ < other.bytes_; }

  private:
    Bytes bytes_;
};

}  // namespace rpinetboot
