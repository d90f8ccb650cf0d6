#include "netboot_logic.h"

#include <dhcp/dhcp4.h>
#include <dhcp/option.h>
#include <dhcp/option4_addrlst.h>
#include <dhcp/option_custom.h>
#include <dhcp/option_int.h>
#include <dhcp/option_int_array.h>
#include <dhcp/option_string.h>

#include <cstdint>
#include <iterator>
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
// option. The helpers below only read, so they look options up in place (Pkt::options_ is a
// public member, dhcp/pkt.h): the first of a code, as getOption gives it; no clone, no shared_ptr
// copy, no switch of the copying flag.
const Option* storedOption(const Pkt4& pkt, std::uint16_t code) {
    const auto it = pkt.options_.find(code);
    return it == pkt.options_.end() ? nullptr : it->second.get();
}

// How an option viewOf reads in place stores its payload. Exact types only: a subclass may pack
// something else than what it stores. These pack their header, then exactly getData() (raw,
// string), getValues() (uint8 array) or their fields' buffers (record), then their sub-options.
enum class StoredAs { Data, Uint8Array, Record, Other };

StoredAs storedAs(const Option& option) {
    const std::type_info& type = typeid(option);
    static const std::type_info* const kTypes[] = {
        &typeid(Option), &typeid(isc::dhcp::OptionString), &typeid(isc::dhcp::OptionUint8Array),
        &typeid(isc::dhcp::OptionCustom)};
    static constexpr StoredAs kAs[] = {StoredAs::Data, StoredAs::Data, StoredAs::Uint8Array,
                                       StoredAs::Record};
    // Kea's option classes have one type_info each (in libkea-dhcp++), so their name pointers
    // match; type_info's own compare (a string compare per mismatch) only when none does.
    for (std::size_t i = 0; i < std::size(kTypes); ++i) {
        if (type.name() == kTypes[i]->name()) return kAs[i];
    }
    for (std::size_t i = 0; i < std::size(kTypes); ++i) {
        if (type == *kTypes[i]) return kAs[i];
    }
    return StoredAs::Other;
}

// The payload of one option as optionView gives it (see there).
ByteSpan viewOf(const Option& option, OptionScratch& scratch) {
    const StoredAs as = option.getOptions().empty() ? storedAs(option) : StoredAs::Other;
    if (as == StoredAs::Data) return ByteSpan(option.getData());
    if (as == StoredAs::Uint8Array) {
        return ByteSpan(static_cast<const isc::dhcp::OptionUint8Array&>(option).getValues());
    }
    if (as == StoredAs::Record) {
        // A record option (e.g. option 97, uuid-guid: a type byte and 16 bytes) packs its fields'
        // buffers back to back (OptionCustom::pack): joined here without packing the option,
        // which toBinary does through a buffer of its own on every Pi query.
        const auto& record = static_cast<const isc::dhcp::OptionCustom&>(option);
        const std::uint32_t fields = record.getDataFieldsNum();
        if (fields == 1) return ByteSpan(record.readBinary(0));
        std::size_t at = 0;
        for (std::uint32_t i = 0; i < fields && at != SIZE_MAX; ++i) {
            const auto& field = record.readBinary(i);
            if (field.size() > scratch.inlineBytes.size() - at) {
                at = SIZE_MAX;  // longer than any option the classifier reads: packed below
            } else {
                std::copy(field.begin(), field.end(), scratch.inlineBytes.data() + at);
                at += field.size();
            }
        }
        if (at != SIZE_MAX) return ByteSpan(scratch.inlineBytes.data(), at);
    }
    scratch.heap = option.toBinary(false);
    return ByteSpan(scratch.heap);
}

}  // namespace

std::uint8_t messageType(const Pkt4& pkt) {
    // Kea parses option 53 as OptionInt<uint8_t>; its getType() finds it through a
    // dynamic_pointer_cast (some 190 instructions): the exact type is tested instead, and
    // anything else is left to getType().
    if (const Option* opt = storedOption(pkt, isc::dhcp::DHO_DHCP_MESSAGE_TYPE)) {
        const std::type_info& type = typeid(*opt);
        const std::type_info& uint8 = typeid(isc::dhcp::OptionUint8);
        if (type.name() == uint8.name() || type == uint8) {
            return static_cast<const isc::dhcp::OptionUint8&>(*opt).getValue();
        }
    }
    return pkt.getType();
}

std::optional<Bytes> optionPayload(Pkt4& pkt, std::uint16_t code) {
    const Option* opt = storedOption(pkt, code);
    if (!opt) return std::nullopt;
    // toBinary packs typed options (option 55 is a uint8 array whose getData() is empty).
    return opt->toBinary(false);
}

std::optional<ByteSpan> optionView(Pkt4& pkt, std::uint16_t code, OptionScratch& scratch) {
    const Option* option = storedOption(pkt, code);
    if (!option) return std::nullopt;
    return viewOf(*option, scratch);
}

namespace {

// The reply's server identifier (option 54), host order. Kea puts it in as an ipv4-address
// option (Option4AddrLst): read as one, without packing it; other forms through optionView.
std::optional<std::uint32_t> serverIdentifier(Pkt4& response) {
    const Option* opt = storedOption(response, isc::dhcp::DHO_DHCP_SERVER_IDENTIFIER);
    if (!opt) return std::nullopt;
    const Option& option = *opt;
    if (typeid(option) == typeid(isc::dhcp::Option4AddrLst) && option.getOptions().empty()) {
        const auto addresses = static_cast<const isc::dhcp::Option4AddrLst&>(option).getAddresses();
        if (addresses.size() == 1 && addresses.front().isV4()) return addresses.front().toUint32();
        return std::nullopt;
    }
    OptionScratch scratch;
    const ByteSpan serverId = viewOf(option, scratch);
    if (serverId.size() == 4) return readBe32(serverId.data());
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
    // One pass over the query's options (Kea keeps them ordered by code), read in place: this
    // runs for every query that has an option 60.
    const Option* vendorOpt = nullptr;
    const Option* listOpt = nullptr;
    const Option* option97Opt = nullptr;
    const auto& options = query.options_;
    for (auto it = options.lower_bound(isc::dhcp::DHO_DHCP_PARAMETER_REQUEST_LIST);
         it != options.end() && it->first <= isc::dhcp::DHO_UUID_GUID; ++it) {
        const Option** slot = it->first == isc::dhcp::DHO_VENDOR_CLASS_IDENTIFIER       ? &vendorOpt
                              : it->first == isc::dhcp::DHO_DHCP_PARAMETER_REQUEST_LIST ? &listOpt
                              : it->first == isc::dhcp::DHO_UUID_GUID ? &option97Opt
                                                                      : nullptr;
        if (slot && !*slot) *slot = it->second.get();  // the first of a code, as getOption's
    }
    OptionScratch vendorBuf, listBuf, option97Buf;
    if (!vendorOpt) return result;  // NotPxe: says it all
    const ByteSpan vendor = viewOf(*vendorOpt, vendorBuf);
    const std::string_view vendorText(reinterpret_cast<const char*>(vendor.data()), vendor.size());
    if (vendorText != kPiVendorClass) return result;
    const bool explain = explain_fn();
    result.explained = explain;
    DhcpRequestView view;
    view.vendorClass = vendorText;
    std::optional<ByteSpan> requestList, option97;
    if (listOpt) requestList = viewOf(*listOpt, listBuf);
    // Option 97 is RFC 4578's client machine identifier (Kea: uuid-guid), not option 61.
    if (option97Opt) option97 = viewOf(*option97Opt, option97Buf);
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
    const auto type = messageType(response);
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
           messageType(response) == isc::dhcp::DHCPOFFER && !response.getYiaddr().isV4Zero();
}

}  // namespace rpinetboot::kea
