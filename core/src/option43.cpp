#include "rpinetboot/option43.h"

#include "rpinetboot/dhcp_packet.h"

namespace rpinetboot {

namespace {
constexpr std::uint8_t kSubDiscoveryControl = 6;
constexpr std::uint8_t kSubMenuPrompt = 10;
constexpr std::uint8_t kSubBootMenu = 9;
constexpr std::uint8_t kSubEnd = 0xff;
constexpr std::uint8_t kSubPad = 0;
}  // namespace

std::optional<std::string> validateMenuText(std::string_view text) {
    if (text.empty()) return std::string("menu text is empty");
    if (text.size() > kMaxMenuTextLength) {
        return "menu text is " + std::to_string(text.size()) + " characters, at most " +
               std::to_string(kMaxMenuTextLength) + " allowed";
    }
    for (char c : text) {
        if (c < 0x20 || c > 0x7e) return std::string("menu text has a non-printable character");
    }
    return std::nullopt;
}

Bytes encodeOption43(std::string_view menuText, bool romPadding) {
    std::string text(menuText);
    if (romPadding) text += kRomPadding;
    Bytes out = {kSubDiscoveryControl, 1, 3, kSubMenuPrompt, 4, 0, 'P', 'X', 'E'};
    out.push_back(kSubBootMenu);
    out.push_back(static_cast<std::uint8_t>(3 + text.size()));
    out.push_back(0);  // boot server type 0x0000
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(text.size()));
    out.insert(out.end(), text.begin(), text.end());
    out.push_back(kSubEnd);
    return out;
}

std::optional<DecodedOption43> decodeOption43(ByteSpan data, std::string* error) {
    DecodedOption43 out;
    std::size_t i = 0;
    while (i < data.size()) {
        const std::uint8_t code = data[i];
        if (code == kSubEnd) {
            out.hasEnd = true;
            break;
        }
        if (code == kSubPad) {
            ++i;
            continue;
        }
        if (i + 1 >= data.size() || i + 2 + data[i + 1] > data.size()) {
            if (error) *error = "option 43 sub-option " + std::to_string(code) + " is truncated";
            return std::nullopt;
        }
        const std::size_t len = data[i + 1];
        Bytes value(data.begin() + i + 2, data.begin() + i + 2 + len);
        if (code == kSubDiscoveryControl && len == 1) out.discoveryControl = value[0];
        if (code == kSubBootMenu && len >= 3 && static_cast<std::size_t>(value[2]) + 3 <= len) {
            out.menuText = std::string(value.begin() + 3, value.begin() + 3 + value[2]);
        }
        out.suboptions[code] = std::move(value);
        i += 2 + len;
    }
    return out;
}

std::string tftpServerText(std::uint32_t ipv4HostOrder) {
    return ipv4ToString(ipv4HostOrder);
}

}  // namespace rpinetboot
