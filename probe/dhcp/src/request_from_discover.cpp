#include "rpinetboot/probe/request_from_discover.h"

#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/util/big_endian.h"

namespace rpinetboot::probe {

std::optional<Bytes> requestFromDiscover(ByteSpan discover, std::uint32_t requestedIp,
                                         std::uint32_t serverId, std::string* error) {
    const auto parsed = parseDhcpPacket(discover, error);
    if (!parsed) return std::nullopt;
    if (parsed->messageType() != 1) {
        if (error) *error = "not a DHCPDISCOVER";
        return std::nullopt;
    }
    Bytes out(discover.begin(), discover.begin() + kBootpFixedLength + 4);
    auto putAddress = [&out](std::uint8_t code, std::uint32_t v) {
        out.insert(out.end(), {code, 4});
        appendBe32(out, v);
    };
    // Walk the options again to keep every byte (pads included) in place.
    std::size_t i = kBootpFixedLength + 4;
    while (i < discover.size()) {
        const std::uint8_t code = discover[i];
        if (code == 255) {  // end and any trailing padding
            out.insert(out.end(), discover.begin() + i, discover.end());
            return out;
        }
        if (code == 0) {
            out.push_back(0);
            ++i;
            continue;
        }
        const std::size_t len = discover[i + 1];
        if (code == 53) {
            out.insert(out.end(), {53, 1, 3});
            putAddress(50, requestedIp);
            putAddress(54, serverId);
        } else if (code != 50 && code != 54) {
            out.insert(out.end(), discover.begin() + i, discover.begin() + i + 2 + len);
        }
        i += 2 + len;
    }
    if (error) *error = "options not terminated";
    return std::nullopt;
}

}  // namespace rpinetboot::probe
