// The reply a Pi needs: option 43 PXE vendor sub-options, option 60 and option 66
// (docs/protocol/dhcp.md, "The reply a Pi needs").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "rpinetboot/span.h"

namespace rpinetboot {

inline constexpr std::uint8_t kOptionVendorEncapsulated = 43;
inline constexpr std::uint8_t kOptionVendorClass = 60;
inline constexpr std::uint8_t kOptionTftpServerName = 66;
inline constexpr std::uint8_t kOptionParameterRequestList = 55;
inline constexpr std::uint8_t kOptionClientIdentifier = 97;

inline constexpr std::string_view kDefaultMenuText = "Raspberry Pi Boot";
// The Pi 3B ROM miscounts the menu text length; three trailing spaces fix it.
inline constexpr std::string_view kRomPadding = "   ";
inline constexpr std::string_view kReplyVendorClass = "PXEClient";
inline constexpr std::size_t kMaxMenuTextLength = 64;

// Returns an error message when `text` cannot be a menu text (empty, too long, not printable
// ASCII), otherwise nullopt.
std::optional<std::string> validateMenuText(std::string_view text);

// Sub-option 6 = 3, sub-option 10 = {0, "PXE"}, sub-option 9 = {type 0, text}, end.
// Precondition: validateMenuText(menuText) succeeded.
Bytes encodeOption43(std::string_view menuText, bool romPadding);

struct DecodedOption43 {
    std::map<std::uint8_t, Bytes> suboptions;  // the last one wins on duplicates
    std::optional<std::uint8_t> discoveryControl;
    std::optional<std::string> menuText;  // sub-option 9's text, as sent (padding included)
    bool hasEnd = false;
};

// Decodes a reply's option 43 for diagnosis (the probe). nullopt + *error when truncated.
std::optional<DecodedOption43> decodeOption43(ByteSpan data, std::string* error);

// Option 66: the TFTP server as dotted-quad text, no NUL (the Pi has no resolver).
std::string tftpServerText(std::uint32_t ipv4HostOrder);

}  // namespace rpinetboot
