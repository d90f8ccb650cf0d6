#include "netboot_logic.h"

#include <dhcp/dhcp4.h>
#include <dhcp/option.h>
#include <dhcp/option4_addrlst.h>
#include <dhcp/option_custom.h>
#include <dhcp/option_int_array.h>
#include <dhcp/option_string.h>

#include <mutex>
#include <string_view>
#include <typeinfo>
#include <utility>

#include "rpinetboot/option43.h"
#include "rpinetboot/util/big_endian.h"

namespace rpinetboot::kea {

using isc::dhcp::Option;
using isc::dhcp::OptionPtr;
using isc::dhcp::Pkt4;

namespace {

// Kea turns option copying on for the packets it hands to callouts, so that a hook changing an
// option cannot change one shared with the configuration: every getOption() then clones the
// option. The helpers below only read, so they look options up without the clone.
class ReadOnlyLookup {
  public:
    explicit ReadOnlyLookup(Pkt4& pkt) : pkt_(pkt), copying_(pkt.isCopyRetrievedOptions()) {
        if (copying_) pkt_.setCopyRetrievedOptions(false);
    }
    ~ReadOnlyLookup() {
        if (copying_) pkt_.setCopyRetrievedOptions(true);
    }
    ReadOnlyLookup(const ReadOnlyLookup&) = delete;
    ReadOnlyLookup& operator=(const ReadOnlyLookup&) = delete;

  private:
    Pkt4& pkt_;
    bool copying_;
};

OptionPtr readOption(Pkt4& pkt, std::uint16_t code) {
    const ReadOnlyLookup noClone(pkt);
    return pkt.getOption(code);
}

}  // namespace

std::optional<Bytes> optionPayload(Pkt4& pkt, std::uint16_t code) {
    OptionPtr opt = readOption(pkt, code);
    if (!opt) return std::nullopt;
    // toBinary packs typed options (option 55 is a uint8 array whose getData() is empty).
    return opt->toBinary(false);
}

std::optional<ByteSpan> optionView(Pkt4& pkt, std::uint16_t code, OptionScratch& scratch) {
    const OptionPtr opt = readOption(pkt, code);
    if (!opt) return std::nullopt;
    // Exact types only: a subclass may pack something else than what it stores. These pack
    // their header, then exactly getData() (raw, string), getValues() (uint8 array) or their
    // fields' buffers (record), then their sub-options.
    const Option& option = *opt;
    if (option.getOptions().empty()) {
        const std::type_info& type = typeid(option);
        if (type == typeid(Option) || type == typeid(isc::dhcp::OptionString)) {
            return ByteSpan(option.getData());
        }
        if (type == typeid(isc::dhcp::OptionUint8Array)) {
            return ByteSpan(static_cast<const isc::dhcp::OptionUint8Array&>(option).getValues());
        }
        // A record option (e.g. option 97, uuid-guid: a type byte and 16 bytes) packs its fields'
        // buffers back to back (OptionCustom::pack): joined here without packing the option,
        // which toBinary does through a buffer of its own on every Pi query.
        if (type == typeid(isc::dhcp::OptionCustom)) {
            const auto& custom = static_cast<const isc::dhcp::OptionCustom&>(option);
            const std::uint32_t fields = custom.getDataFieldsNum();
            if (fields == 1) return ByteSpan(custom.readBinary(0));
            std::size_t size = 0;
            for (std::uint32_t i = 0; i < fields; ++i) size += custom.readBinary(i).size();
            std::uint8_t* out = scratch.inlineBytes.data();
            if (size > scratch.inlineBytes.size()) {
                scratch.heap.resize(size);
                out = scratch.heap.data();
            }
            std::size_t at = 0;
            for (std::uint32_t i = 0; i < fields; ++i) {
                const auto& field = custom.readBinary(i);
                std::copy(field.begin(), field.end(), out + at);
                at += field.size();
            }
            return ByteSpan(out, size);
        }
    }
    scratch.heap = opt->toBinary(false);
    return ByteSpan(scratch.heap);
}

namespace {

// The reply's server identifier (option 54), host order. Kea puts it in as an ipv4-address
// option (Option4AddrLst): read as one, without packing it; other forms through optionView.
std::optional<std::uint32_t> serverIdentifier(Pkt4& response) {
    const ReadOnlyLookup noClone(response);
    const OptionPtr opt = response.getOption(isc::dhcp::DHO_DHCP_SERVER_IDENTIFIER);
    if (!opt) return std::nullopt;
    const Option& option = *opt;
    if (typeid(option) == typeid(isc::dhcp::Option4AddrLst) && option.getOptions().empty()) {
        const auto addresses = static_cast<const isc::dhcp::Option4AddrLst&>(option).getAddresses();
        if (addresses.size() == 1 && addresses.front().isV4()) return addresses.front().toUint32();
        return std::nullopt;
    }
    OptionScratch scratch;
    const auto serverId = optionView(response, isc::dhcp::DHO_DHCP_SERVER_IDENTIFIER, scratch);
    if (serverId && serverId->size() == 4) return readBe32(serverId->data());
    return std::nullopt;
}

OptionPtr rawOption(std::uint16_t code, const Bytes& payload) {
    return OptionPtr(new Option(Option::V4, code, payload.begin(), payload.end()));
}

OptionPtr textOption(std::uint16_t code, const std::string& text) {
    return OptionPtr(new isc::dhcp::OptionString(Option::V4, code, text));
}

}  // namespace

NetbootLogic::NetbootLogic(HookConfig config)
    : config_(std::move(config)),
      option43Plain_(encodeOption43(config_.menuText, false)),
      option43Padded_(encodeOption43(config_.menuText, true)),
      option43PlainOpt_(rawOption(isc::dhcp::DHO_VENDOR_ENCAPSULATED_OPTIONS, option43Plain_)),
      option43PaddedOpt_(rawOption(isc::dhcp::DHO_VENDOR_ENCAPSULATED_OPTIONS, option43Padded_)),
      option60_(textOption(isc::dhcp::DHO_VENDOR_CLASS_IDENTIFIER, std::string(kReplyVendorClass))),
      tftpNodes_(config_.tftpGroups),
      classAll_(kClassAll),
      classRom3_(className(PiModel::Rom3)),
      classBootcode_(className(PiModel::Bootcode)),
      classPi4_(className(PiModel::Pi4)),
      classPi5_(className(PiModel::Pi5)) {
    if (config_.tftpServer) {
        defaultTftpServer_ = TftpServer{
            *config_.tftpServer,
            textOption(isc::dhcp::DHO_TFTP_SERVER_NAME, tftpServerText(*config_.tftpServer))};
    }
    for (const auto& [serial, server] : config_.clientTftpServers) {
        clientTftpServers_.emplace(serial,
                                   TftpServer{server, textOption(isc::dhcp::DHO_TFTP_SERVER_NAME,
                                                                 tftpServerText(server))});
    }
    for (const auto& group : config_.tftpGroups) {
        for (const auto& node : group.nodes) {
            tftpNodeOptions66_.emplace(node.address, textOption(isc::dhcp::DHO_TFTP_SERVER_NAME,
                                                                tftpServerText(node.address)));
        }
    }
}

namespace {

MacAddress macOf(const Pkt4& pkt) {
    MacAddress::Bytes bytes{};
    const auto hw = pkt.getHWAddr();
    if (hw && hw->hwaddr_.size() == bytes.size()) {
        std::copy(hw->hwaddr_.begin(), hw->hwaddr_.end(), bytes.begin());
    }
    return MacAddress(bytes);
}

void replaceOption(Pkt4& pkt, const OptionPtr& opt) {
    // addOption throws when the code is present; a config may even have put it there twice.
    while (pkt.delOption(opt->getType())) {
    }
    pkt.addOption(opt);
}

}  // namespace

ReceiveResult NetbootLogic::onReceive(Pkt4& query, bool explain) const {
    return onReceive(
        query, explain ? +[] { return true; } : +[] { return false; });
}

ReceiveResult NetbootLogic::onReceive(Pkt4& query, bool (*explain_fn)()) const {
    ReceiveResult result;
    // Views into the query's options where Kea's storage allows it: this runs for every query.
    OptionScratch vendorBuf, listBuf, option97Buf;
    const auto vendor = optionView(query, isc::dhcp::DHO_VENDOR_CLASS_IDENTIFIER, vendorBuf);
    const std::string_view vendorText =
        vendor ? std::string_view(reinterpret_cast<const char*>(vendor->data()), vendor->size())
               : std::string_view();
    if (!vendor || vendorText != kPiVendorClass) return result;  // NotPxe: says it all
    // One switch of Kea's option copying for the look-ups below (each would switch it again).
    const ReadOnlyLookup noClone(query);
    const bool explain = explain_fn();
    result.explained = explain;
    DhcpRequestView view;
    view.vendorClass = vendorText;
    const auto requestList = optionView(query, isc::dhcp::DHO_DHCP_PARAMETER_REQUEST_LIST, listBuf);
    // Option 97 is RFC 4578's client machine identifier (Kea: uuid-guid), not option 61.
    const auto option97 = optionView(query, isc::dhcp::DHO_UUID_GUID, option97Buf);
    view.requestList = requestList;
    view.option97 = option97;
    view.mac = macOf(query);
    view.xid = query.getTransid();

    PiDecision& d = result.decision;
    d.mac = view.mac;
    if (requestList && requestList->empty()) {
        result.outcome = ReceiveOutcome::Malformed;
        result.reason = "empty option 55";
        return result;
    }
    Classification c = classify(view, config_.classifier, explain);
    result.reason = std::move(c.reason);
    if (c.malformed) {
        result.outcome = ReceiveOutcome::Malformed;
        return result;
    }
    if (!c.isPi) {
        result.outcome = ReceiveOutcome::NotPi;
        return result;
    }
    d.piClass = c.piClass;
    d.serial = c.serial;
    if (c.option97) d.boardRevision = c.option97->boardRevision;
    if (!allowed(d)) {
        result.outcome = ReceiveOutcome::NotAllowed;
        return result;
    }
    d.isPi = true;
    result.outcome = ReceiveOutcome::Pi;
    query.addClass(classAll_);
    query.addClass(classOf(c.piClass));
    return result;
}

const std::string& NetbootLogic::classOf(PiModel cls) const {
    switch (cls) {
        case PiModel::Rom3:
            return classRom3_;
        case PiModel::Bootcode:
            return classBootcode_;
        case PiModel::Pi4:
            return classPi4_;
        case PiModel::Pi5:
            return classPi5_;
    }
    return classPi4_;
}

bool NetbootLogic::allowed(const PiDecision& d) const {
    if (config_.allowSerials.empty() && config_.allowMacs.empty() && config_.allowPairs.empty()) {
        return true;
    }
    // A paired serial is answered from its own MAC only, whatever the other lists say.
    if (d.serial) {
        const auto pair = config_.allowPairs.find(*d.serial);
        if (pair != config_.allowPairs.end()) return pair->second == d.mac;
    }
    if (d.serial && config_.allowSerials.count(*d.serial)) return true;
    return config_.allowMacs.count(d.mac) != 0;
}

std::string NetbootLogic::refusal(const PiDecision& d) const {
    if (d.serial) {
        const auto pair = config_.allowPairs.find(*d.serial);
        if (pair != config_.allowPairs.end() && pair->second != d.mac) {
            return "not allowed: serial " + d.serial->str() + " is paired with MAC " +
                   pair->second.str() + " in allow-pairs, not " + d.mac.str();
        }
    }
    // Each list that is set and does not name the Pi; a Pi with no serial (the Pi 3B ROM) can
    // only be listed by MAC.
    std::string why;
    const auto add = [&why](const std::string& part) {
        why += why.empty() ? "not allowed: " : ", ";
        why += part;
    };
    if (!config_.allowSerials.empty() || !config_.allowPairs.empty()) {
        const char* lists = config_.allowPairs.empty()     ? "allow-serials"
                            : config_.allowSerials.empty() ? "allow-pairs"
                                                           : "allow-serials or allow-pairs";
        add(d.serial ? "serial " + d.serial->str() + " not in " + lists
                     : std::string("no serial (the Pi 3B ROM sends none) for ") + lists);
    }
    if (!config_.allowMacs.empty()) add("MAC " + d.mac.str() + " not in allow-macs");
    return why.empty() ? std::string("not allowed") : why;
}

bool NetbootLogic::padded(PiModel cls) const {
    switch (config_.romPadding) {
        case RomPadding::Auto:
            return cls == PiModel::Rom3;  // only the Pi 3B ROM miscounts the text length
        case RomPadding::Always:
            return true;
        case RomPadding::Never:
            return false;
    }
    return false;
}

Bytes NetbootLogic::option43For(PiModel cls) const {
    return padded(cls) ? option43Padded_ : option43Plain_;
}

std::optional<NetbootLogic::TftpServer> NetbootLogic::tftpServerFor(const PiDecision& d,
                                                                    Pkt4& response,
                                                                    Pkt4& query) const {
    if (d.serial) {
        auto it = clientTftpServers_.find(*d.serial);
        if (it != clientTftpServers_.end()) return it->second;
    }
    if (!tftpNodes_.empty()) {
        TftpNodeQuery q{d.serial, d.mac, response.getYiaddr().toUint32(),
                        [&query](const std::string& name) { return query.inClass(name); }};
        if (const auto choice = tftpNodes_.select(q)) {
            return TftpServer{choice->address, tftpNodeOptions66_.at(choice->address)};
        }
    }
    if (defaultTftpServer_) return defaultTftpServer_;
    if (const auto address = serverIdentifier(response)) {
        return TftpServer{*address, serverOption66(*address)};
    }
    return std::nullopt;
}

std::optional<std::uint32_t> NetbootLogic::tftpServerAddress(const std::optional<Serial>& serial,
                                                             Pkt4* response) const {
    if (serial) {
        const auto it = config_.clientTftpServers.find(*serial);
        if (it != config_.clientTftpServers.end()) return it->second;
    }
    if (config_.tftpServer) return config_.tftpServer;
    if (!response) return std::nullopt;
    return serverIdentifier(*response);
}

isc::dhcp::OptionPtr NetbootLogic::serverOption66(std::uint32_t address) const {
    {
        const std::lock_guard<std::mutex> lock(serverOption66Mutex_);
        const auto it = serverOption66_.find(address);
        if (it != serverOption66_.end()) return it->second;
    }
    OptionPtr opt = textOption(isc::dhcp::DHO_TFTP_SERVER_NAME, tftpServerText(address));
    const std::lock_guard<std::mutex> lock(serverOption66Mutex_);
    if (serverOption66_.size() < kMaxServerOptions66) serverOption66_.emplace(address, opt);
    return opt;
}

SendResult NetbootLogic::onSend(const PiDecision& d, Pkt4& response, Pkt4* query) const {
    SendResult result;
    if (!d.isPi) return result;
    const auto type = response.getType();
    if (type != isc::dhcp::DHCPOFFER && type != isc::dhcp::DHCPACK) return result;

    const bool pad = padded(d.piClass);
    result.option43 = pad ? &option43Padded_ : &option43Plain_;
    replaceOption(response, pad ? option43PaddedOpt_ : option43PlainOpt_);
    replaceOption(response, option60_);
    if (const auto server = tftpServerFor(d, response, query ? *query : response)) {
        result.tftpServer = server->address;
        replaceOption(response, server->option66);
    }
    result.patched = true;
    return result;
}

bool NetbootLogic::needsRomHold(const PiDecision& d, const Pkt4& response) const {
    return d.isPi && !sendsRequest(d.piClass) && config_.holdRomOffers &&
           response.getType() == isc::dhcp::DHCPOFFER && !response.getYiaddr().isV4Zero();
}

}  // namespace rpinetboot::kea
