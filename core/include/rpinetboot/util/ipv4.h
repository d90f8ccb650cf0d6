// IPv4 addresses as text, in host byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpinetboot {

// Exactly four dotted decimal parts 0-255, without leading zeros ("010" could mean octal to some
// readers, so it is refused, as inet_pton(3) does). Anything else: nullopt.
std::optional<std::uint32_t> parseIpv4(std::string_view text);

// "192.0.2.1" for a host-order address.
std::string ipv4ToString(std::uint32_t hostOrder);
// The same text written at `out` (room for kMaxIpv4Text characters, no terminator); returns
// the end. For text built per packet or per lease write: no string made.
inline constexpr std::size_t kMaxIpv4Text = 15;
char* writeIpv4(char* out, std::uint32_t hostOrder);

}  // namespace rpinetboot
