#include "rpinetboot/classify.h"

namespace rpinetboot {

namespace {

// Which boot stage sent it. Option 97's FourCC is the strongest evidence, then the exact order of
// the request list (shape B appends 1 and 3, shape C puts them first), then option 97's form.
PiModel stageOf(const Classification& c, std::uint32_t xid) {
    if (c.option97 && c.option97->form == Option97Form::FourCC) {
        return c.option97->fourccModel == 5 ? PiModel::Pi5 : PiModel::Pi4;
    }
    switch (c.requestList) {
        case RequestListMatch::Rom12:
            return PiModel::Rom3;
        case RequestListMatch::Bootcode14:
            return PiModel::Bootcode;
        case RequestListMatch::Eeprom14:
            return PiModel::Pi4;  // DHCP_OPTION97=0 or custom magic
        case RequestListMatch::Unordered14:
        case RequestListMatch::None:
            break;
    }
    if (c.option97) {
        switch (c.option97->form) {
            case Option97Form::RomConstant:
                return PiModel::Rom3;
            case Option97Form::SerialRepeated:
                return PiModel::Bootcode;
            case Option97Form::CustomMagic:
                return PiModel::Pi4;
            case Option97Form::FourCC:
            case Option97Form::Unknown:
                break;
        }
    }
    // Shapes A and B use a constant xid; the EEPROM bootloader a random one.
    return xid == kRomXid ? PiModel::Bootcode : PiModel::Pi4;
}

}  // namespace

Classification classify(const DhcpRequestView& request, const ClassifierConfig& config,
                        bool explain) {
    Classification c;
    if (!request.vendorClass || *request.vendorClass != kPiVendorClass) {
        if (explain) c.reason = "vendor class is not the Pi's";
        return c;
    }
    if (request.option97) {
        std::string error;
        c.option97 = parseOption97(*request.option97, request.mac, &error);
        if (!c.option97) {
            c.malformed = true;
            c.reason = "malformed " + error;
            return c;
        }
    }
    if (request.requestList) c.requestList = matchRequestList(*request.requestList);
    c.ouiMatch = config.ouis.contains(request.mac);

    const bool listSignal = c.requestList != RequestListMatch::None;
    const bool fourccSignal = c.option97 && c.option97->form == Option97Form::FourCC;
    if (!listSignal && !fourccSignal && !c.ouiMatch) {
        if (explain) c.reason = "PXE vendor class without a Pi request list, option 97 or OUI";
        return c;
    }
    if (config.requireOui && !c.ouiMatch) {
        if (explain) c.reason = "Pi signature but the MAC OUI is not a Pi's (require-oui)";
        return c;
    }
    c.isPi = true;
    c.piClass = stageOf(c, request.xid);
    if (c.option97) c.serial = c.option97->serial;
    if (!explain) return c;
    c.reason = std::string("Pi netboot client (") + std::string(className(c.piClass)) +
               (listSignal ? ", request list" : "") + (fourccSignal ? ", option 97" : "") +
               (c.ouiMatch ? ", OUI" : "") + ")";
    return c;
}

}  // namespace rpinetboot
