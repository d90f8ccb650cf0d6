#include "rpinetboot/discover.h"

#include "hex.h"
#include "rpinetboot/classify.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/option97.h"
#include "rpinetboot/request_list.h"
#include "rpinetboot/util/big_endian.h"

namespace rpinetboot {

namespace {

constexpr std::uint8_t kMessageType = 53, kRequestedIp = 50, kServerId = 54, kClientArch = 93,
                       kClientNdi = 94, kEnd = 255;

void putOption(Bytes& out, std::uint8_t code, ByteSpan value) {
    out.push_back(code);
    out.push_back(static_cast<std::uint8_t>(value.size()));
    out.insert(out.end(), value.begin(), value.end());
}

Bytes bootpHeader(const PiIdentity& pi) {
    const bool romXid = shapeOf(pi.model) != DiscoverShape::C;
    Bytes out = {1, 1, 6, 0};  // BOOTREQUEST, Ethernet, hlen 6, hops 0
    appendBe32(out, romXid ? kRomXid : pi.xid);
    out.resize(kBootpFixedLength - 16 - 64 - 128, 0);  // secs, flags 0, all addresses 0
    out.insert(out.end(), pi.mac.bytes().begin(), pi.mac.bytes().end());
    out.resize(kBootpFixedLength, 0);  // chaddr padding, sname, file
    appendBe32(out, kDhcpMagicCookie);
    return out;
}

// Options 55, 93, 94, 97, 60 and end, in the order every shape sends them.
void putPiOptions(Bytes& out, const PiIdentity& pi) {
    putOption(out, kOptionParameterRequestList, requestListOf(facts(pi.model).requestList));
    const std::uint8_t arch[] = {0x00, 0x00};       // x86 BIOS, as the Pi sends it
    const std::uint8_t ndi[] = {0x01, 0x02, 0x01};  // UNDI 2.1
    putOption(out, kClientArch, arch);
    putOption(out, kClientNdi, ndi);
    Bytes id;
    switch (shapeOf(pi.model)) {
        case DiscoverShape::A:
            id = encodeOption97Rom();
            break;
        case DiscoverShape::B:
            id = encodeOption97Serial(pi.serial);
            break;
        case DiscoverShape::C:
            id = encodeOption97FourCC(pi.model == PiModel::Pi5 ? 5 : 4, pi.fourccWireOrderRpi,
                                      pi.boardRevision, pi.mac, pi.serial);
            break;
    }
    putOption(out, kOptionClientIdentifier, id);
    Bytes vendor(kPiVendorClass.begin(), kPiVendorClass.end());
    putOption(out, kOptionVendorClass, vendor);
    out.push_back(kEnd);
}

}  // namespace

Bytes buildDiscover(const PiIdentity& pi) {
    Bytes out = bootpHeader(pi);
    const std::uint8_t discover[] = {1};
    putOption(out, kMessageType, discover);
    putPiOptions(out, pi);
    return out;
}

Bytes buildRequest(const PiIdentity& pi, std::uint32_t requestedIp, std::uint32_t serverId) {
    Bytes out = bootpHeader(pi);
    const std::uint8_t request[] = {3};
    putOption(out, kMessageType, request);
    Bytes ip, server;
    appendBe32(ip, requestedIp);
    appendBe32(server, serverId);
    putOption(out, kRequestedIp, ip);
    putOption(out, kServerId, server);
    putPiOptions(out, pi);
    return out;
}

}  // namespace rpinetboot
