// Raspberry Pi board serial numbers as the network boot uses them.
// See docs/protocol/dhcp.md, "Serial numbers and MAC prefixes".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpinetboot {

// The low 32 bits of the board serial: what option 97 carries and what names the TFTP prefix.
class Serial {
  public:
    constexpr explicit Serial(std::uint32_t value) : value_(value) {}

    // Accepts "bf9fed6f" and the /proc/cpuinfo form "10000000bf9fed6f" or "00000000bf9fed6f",
    // in any letter case. Anything else (other lengths, non-hex, other high words) is rejected.
    static std::optional<Serial> parse(std::string_view text);

    constexpr std::uint32_t value() const { return value_; }

    // Eight lowercase hex digits: the TFTP directory name and the canonical form everywhere.
    std::string str() const;

    constexpr bool operator==(const Serial& other) const { return value_ == other.value_; }
    constexpr bool operator!=(const Serial& other) const { return value_ != other.value_; }
    constexpr bool operator<(const Serial& other) const { return value_ < other.value_; }

  private:
    std::uint32_t value_;
};

}  // namespace rpinetboot
