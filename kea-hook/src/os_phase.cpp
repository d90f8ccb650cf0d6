#include "os_phase.h"

#include <dhcp/dhcp4.h>
#include <dhcp/option_string.h>

#include <algorithm>

namespace rpinetboot::kea {

using isc::dhcp::Pkt4;

void OsPhase::classify(Pkt4& query, const PiRecord& known) const {
    query.addClass(std::string(kClassAll));
    query.addClass(kClassOs);
    query.addClass(std::string(className(known.model)));
}

PiRecord OsPhase::bootRecord(const PiDecision& d, std::uint32_t address,
                             const std::optional<PiRecord>& previous, std::int64_t now) {
    PiRecord r;
    r.mac = d.mac;
    r.serial = d.serial;
    r.model = d.piClass;
    r.boardRevision = d.boardRevision;
    // A later stage of the same boot (bootcode.bin after the ROM) sends no revision: keep it.
    if (!r.boardRevision && previous && previous->serial == d.serial) {
        r.boardRevision = previous->boardRevision;
    }
    r.address = address;
    r.phase = PiPhase::Boot;
    r.firstSeen = previous ? previous->firstSeen : now;
    r.lastSeen = now;
    if (previous) {
        r.hostname = previous->hostname;
        r.rootPath = previous->rootPath;
    }
    return r;
}

IdentityValues OsPhase::valuesOf(const PiRecord& r, Pkt4* response) const {
    IdentityValues v;
    v.serial = r.serial;
    v.mac = r.mac;
    v.model = r.model;
    v.address = r.address;
    v.tftpServer = logic_.tftpServerAddress(r.serial, response);
    return v;
}

PiRecord OsPhase::osRecord(const PiRecord& known, std::uint32_t address, std::int64_t now) const {
    PiRecord r = known;
    r.address = address;
    r.phase = PiPhase::Os;
    r.lastSeen = now;
    const auto& identity = logic_.config().identity;
    const IdentityValues v = valuesOf(r, nullptr);
    if (auto h = identity.hostnameFor(v)) r.hostname = *h;
    if (auto p = identity.rootPathFor(v)) r.rootPath = *p;
    return r;
}

namespace {

void replaceText(Pkt4& pkt, std::uint16_t code, const std::string& text) {
    while (pkt.delOption(code)) {
    }
    pkt.addOption(
        isc::dhcp::OptionPtr(new isc::dhcp::OptionString(isc::dhcp::Option::V4, code, text)));
}

bool requested(Pkt4& query, std::uint8_t code) {
    const auto list = optionPayload(query, isc::dhcp::DHO_DHCP_PARAMETER_REQUEST_LIST);
    return list && std::find(list->begin(), list->end(), code) != list->end();
}

}  // namespace

OsSendResult OsPhase::onSend(const PiRecord& r, Pkt4& query, Pkt4& response) const {
    OsSendResult out;
    const auto type = response.getType();
    if (type != isc::dhcp::DHCPOFFER && type != isc::dhcp::DHCPACK) return out;
    const auto& identity = logic_.config().identity;
    PiRecord at = r;
    if (!response.getYiaddr().isV4Zero()) at.address = response.getYiaddr().toUint32();
    const IdentityValues v = valuesOf(at, &response);
    const bool clientNamed = static_cast<bool>(optionPayload(query, isc::dhcp::DHO_HOST_NAME));
    if (identity.hostnamePolicy == HostnamePolicy::Template || !clientNamed) {
        if (auto h = identity.hostnameFor(v)) {
            replaceText(response, isc::dhcp::DHO_HOST_NAME, *h);
            out.hostname = std::move(h);
        }
    }
    if (identity.rootPathPolicy == RootPathPolicy::Always ||
        requested(query, isc::dhcp::DHO_ROOT_PATH)) {
        if (auto p = identity.rootPathFor(v)) {
            replaceText(response, isc::dhcp::DHO_ROOT_PATH, *p);
            out.rootPath = std::move(p);
        }
    }
    return out;
}

}  // namespace rpinetboot::kea
