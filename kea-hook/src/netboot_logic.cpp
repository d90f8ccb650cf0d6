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
    const ReadOnlyLookup no_clone(pkt);
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
            std::uint8_t* out = scratch.inline_bytes.data();
            if (size > scratch.inline_bytes.size()) {
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
    const ReadOnlyLookup no_clone(response);
    const OptionPtr opt = response.getOption(isc::dhcp::DHO_DHCP_SERVER_IDENTIFIER);
    if (!opt) return std::nullopt;
    const Option& option = *opt;
    if (typeid(option) == typeid(isc::dhcp::Option4AddrLst) && option.getOptions().empty()) {
        const auto addresses = static_cast<const isc::dhcp::Option4AddrLst&>(option).getAddresses();
        if (addresses.size() == 1 && addresses.front().isV4()) return addresses.front().toUint32();
        return std::nullopt;
    }
    OptionScratch scratch;
    const auto server_id = optionView(response, isc::dhcp::DHO_DHCP_SERVER_IDENTIFIER, scratch);
    if (server_id && server_id->size() == 4) return readBe32(server_id->data());
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
      option43_plain_(encodeOption43(config_.menu_text, false)),
      option43_padded_(encodeOption43(config_.menu_text, true)),
      option43_plain_opt_(rawOption(isc::dhcp::DHO_VENDOR_ENCAPSULATED_OPTIONS, option43_plain_)),
      option43_padded_opt_(rawOption(isc::dhcp::DHO_VENDOR_ENCAPSULATED_OPTIONS, option43_padded_)),
      option60_(textOption(isc::dhcp::DHO_VENDOR_CLASS_IDENTIFIER, std::string(kReplyVendorClass))),
      tftp_nodes_(config_.tftp_groups),
      class_all_(kClassAll),
      class_rom3_(className(PiModel::Rom3)),
      class_bootcode_(className(PiModel::Bootcode)),
      class_pi4_(className(PiModel::Pi4)),
      class_pi5_(className(PiModel::Pi5)) {
    if (config_.tftp_server) {
        default_tftp_server_ = TftpServer{
            *config_.tftp_server,
            textOption(isc::dhcp::DHO_TFTP_SERVER_NAME, tftpServerText(*config_.tftp_server))};
    }
    for (const auto& [serial, server] : config_.client_tftp_servers) {
        client_tftp_servers_.emplace(serial,
                                     TftpServer{server, textOption(isc::dhcp::DHO_TFTP_SERVER_NAME,
                                                                   tftpServerText(server))});
    }
    for (const auto& group : config_.tftp_groups) {
        for (const auto& node : group.nodes) {
            tftp_node_options66_.emplace(node.address, textOption(isc::dhcp::DHO_TFTP_SERVER_NAME,
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
    OptionScratch vendor_buf, list_buf, option97_buf;
    const auto vendor = optionView(query, isc::dhcp::DHO_VENDOR_CLASS_IDENTIFIER, vendor_buf);
    const std::string_view vendor_text =
        vendor ? std::string_view(reinterpret_cast<const char*>(vendor->data()), vendor->size())
               : std::string_view();
    if (!vendor || vendor_text != kPiVendorClass) return result;  // NotPxe: says it all
    // One switch of Kea's option copying for the look-ups below (each would switch it again).
    const ReadOnlyLookup no_clone(query);
    const bool explain = explain_fn();
    result.explained = explain;
    DhcpRequestView view;
    view.vendor_class = vendor_text;
    const auto request_list =
        optionView(query, isc::dhcp::DHO_DHCP_PARAMETER_REQUEST_LIST, list_buf);
    // Option 97 is RFC 4578's client machine identifier (Kea: uuid-guid), not option 61.
    const auto option97 = optionView(query, isc::dhcp::DHO_UUID_GUID, option97_buf);
    view.request_list = request_list;
    view.option97 = option97;
    view.mac = macOf(query);
    view.xid = query.getTransid();

    PiDecision& d = result.decision;
    d.mac = view.mac;
    if (request_list && request_list->empty()) {
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
    if (!c.is_pi) {
        result.outcome = ReceiveOutcome::NotPi;
        return result;
    }
    d.pi_class = c.pi_class;
    d.serial = c.serial;
    if (c.option97) d.board_revision = c.option97->board_revision;
    if (!allowed(d)) {
        result.outcome = ReceiveOutcome::NotAllowed;
        return result;
    }
    d.is_pi = true;
    result.outcome = ReceiveOutcome::Pi;
    query.addClass(class_all_);
    query.addClass(classOf(c.pi_class));
    return result;
}

const std::string& NetbootLogic::classOf(PiModel cls) const {
    switch (cls) {
        case PiModel::Rom3:
            return class_rom3_;
        case PiModel::Bootcode:
            return class_bootcode_;
        case PiModel::Pi4:
            return class_pi4_;
        case PiModel::Pi5:
            return class_pi5_;
    }
    return class_pi4_;
}

bool NetbootLogic::allowed(const PiDecision& d) const {
    if (config_.allow_serials.empty() && config_.allow_macs.empty() &&
        config_.allow_pairs.empty()) {
        return true;
    }
    // A paired serial is answered from its own MAC only, whatever the other lists say.
    if (d.serial) {
        const auto pair = config_.allow_pairs.find(*d.serial);
        if (pair != config_.allow_pairs.end()) return pair->second == d.mac;
    }
    if (d.serial && config_.allow_serials.count(*d.serial)) return true;
    return config_.allow_macs.count(d.mac) != 0;
}

std::string NetbootLogic::refusal(const PiDecision& d) const {
    if (d.serial) {
        const auto pair = config_.allow_pairs.find(*d.serial);
        if (pair != config_.allow_pairs.end() && pair->second != d.mac) {
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
    if (!config_.allow_serials.empty() || !config_.allow_pairs.empty()) {
        const char* lists = config_.allow_pairs.empty()     ? "allow-serials"
                            : config_.allow_serials.empty() ? "allow-pairs"
                                                            : "allow-serials or allow-pairs";
        add(d.serial ? "serial " + d.serial->str() + " not in " + lists
                     : std::string("no serial (the Pi 3B ROM sends none) for ") + lists);
    }
    if (!config_.allow_macs.empty()) add("MAC " + d.mac.str() + " not in allow-macs");
    return why.empty() ? std::string("not allowed") : why;
}

bool NetbootLogic::padded(PiModel cls) const {
    switch (config_.rom_padding) {
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
    return padded(cls) ? option43_padded_ : option43_plain_;
}

std::optional<NetbootLogic::TftpServer> NetbootLogic::tftpServerFor(const PiDecision& d,
                                                                    Pkt4& response,
                                                                    Pkt4& query) const {
    if (d.serial) {
        auto it = client_tftp_servers_.find(*d.serial);
        if (it != client_tftp_servers_.end()) return it->second;
    }
    if (!tftp_nodes_.empty()) {
        TftpNodeQuery q{d.serial, d.mac, response.getYiaddr().toUint32(),
                        [&query](const std::string& name) { return query.inClass(name); }};
        if (const auto choice = tftp_nodes_.select(q)) {
            return TftpServer{choice->address, tftp_node_options66_.at(choice->address)};
        }
    }
    if (default_tftp_server_) return default_tftp_server_;
    if (const auto address = serverIdentifier(response)) {
        return TftpServer{*address, serverOption66(*address)};
    }
    return std::nullopt;
}

std::optional<std::uint32_t> NetbootLogic::tftpServerAddress(const std::optional<Serial>& serial,
                                                             Pkt4* response) const {
    if (serial) {
        const auto it = config_.client_tftp_servers.find(*serial);
        if (it != config_.client_tftp_servers.end()) return it->second;
    }
    if (config_.tftp_server) return config_.tftp_server;
    if (!response) return std::nullopt;
    return serverIdentifier(*response);
}

isc::dhcp::OptionPtr NetbootLogic::serverOption66(std::uint32_t address) const {
    {
        const std::lock_guard<std::mutex> lock(server_option66_mutex_);
        const auto it = server_option66_.find(address);
        if (it != server_option66_.end()) return it->second;
    }
    OptionPtr opt = textOption(isc::dhcp::DHO_TFTP_SERVER_NAME, tftpServerText(address));
    const std::lock_guard<std::mutex> lock(server_option66_mutex_);
    if (server_option66_.size() < kMaxServerOptions66) server_option66_.emplace(address, opt);
    return opt;
}

SendResult NetbootLogic::onSend(const PiDecision& d, Pkt4& response, Pkt4* query) const {
    SendResult result;
    if (!d.is_pi) return result;
    const auto type = response.getType();
    if (type != isc::dhcp::DHCPOFFER && type != isc::dhcp::DHCPACK) return result;

    const bool pad = padded(d.pi_class);
    result.option43 = pad ? &option43_padded_ : &option43_plain_;
    replaceOption(response, pad ? option43_padded_opt_ : option43_plain_opt_);
    replaceOption(response, option60_);
    if (const auto server = tftpServerFor(d, response, query ? *query : response)) {
        result.tftp_server = server->address;
        replaceOption(response, server->option66);
    }
    result.patched = true;
    return result;
}

bool NetbootLogic::needsRomHold(const PiDecision& d, const Pkt4& response) const {
    return d.is_pi && !sendsRequest(d.pi_class) && config_.hold_rom_offers &&
           response.getType() == isc::dhcp::DHCPOFFER && !response.getYiaddr().isV4Zero();
}

}  // namespace rpinetboot::kea
