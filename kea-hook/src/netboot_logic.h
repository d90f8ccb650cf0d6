// What the hook does to packets, free of callout glue so unit tests can drive it with Pkt4
// objects built in memory: classify a query (pkt4_receive) and put the Pi's netboot options into
// the reply (pkt4_send). Immutable after construction but for a mutex-guarded cache of option 66,
// hence safe with Kea's multi-threading.
#pragma once

#include <dhcp/pkt4.h>

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "hook_config.h"
#include "rpinetboot/classify.h"
#include "rpinetboot/span.h"
#include "tftp_nodes.h"

namespace rpinetboot::kea {

// What pkt4_receive decided about one query; carried to pkt4_send in the callout context.
struct PiDecision {
    bool isPi = false;  // classified and allowed: classes added, replies patched
    PiModel piClass = PiModel::Pi4;
    std::optional<Serial> serial;
    MacAddress mac;
    std::uint32_t boardRevision = 0;  // option 97 of Pi 4/5 (shape C); 0 otherwise
};

enum class ReceiveOutcome {
    NotPxe,      // no Pi vendor class: not looked at further
    NotPi,       // Pi vendor class but no Pi signal (x86 PXE) or require-oui failed
    Malformed,   // Pi vendor class with a malformed option 97 or 55
    NotAllowed,  // a Pi, but allow-serials/allow-macs/allow-pairs do not list it
    Pi,          // a Pi: classes added
};

struct ReceiveResult {
    ReceiveOutcome outcome = ReceiveOutcome::NotPxe;
    PiDecision decision;
    std::string reason;      // for the log (empty for NotPxe: the outcome says it all)
    bool explained = false;  // the reason was asked for (explain was true)
};

struct SendResult {
    bool patched = false;                     // options 43/60/66 written
    const Bytes* option43 = nullptr;          // what was written, owned by the NetbootLogic
    std::optional<std::uint32_t> tftpServer;  // option 66 written, host order
};

class NetbootLogic {
  public:
    explicit NetbootLogic(HookConfig config);

    const HookConfig& config() const { return config_; }

    // pkt4_receive. For a Pi: adds RPI_NETBOOT and its stage class. Nothing else in the query
    // changes: Kea sees what the Pi sent. With `explain` false, ReceiveResult::reason is set only
    // for a malformed query (the callout logs the other reasons at debug level only).
    ReceiveResult onReceive(isc::dhcp::Pkt4& query, bool explain = true) const;
    // The same, asking `explain` only once the query carries the Pi's vendor class: most queries
    // are not PXE at all, and asking Kea's logger its level costs more than ruling them out.
    ReceiveResult onReceive(isc::dhcp::Pkt4& query, bool (*explain)()) const;

    // Whether onReceive tagged this query as a Pi (RPI_NETBOOT): pkt4_send's first, cheap test,
    // so that a non-Pi reply costs one class lookup and no callout context.
    bool taggedPi(isc::dhcp::Pkt4& query) const { return query.inClass(classAll_); }

    // pkt4_send. Writes options 43, 60 and 66 into an OFFER or ACK for a Pi decision, replacing
    // any Kea put there; touches nothing otherwise. tftp-groups' client-class selectors test the
    // query's classes (the response's when no query is given).
    SendResult onSend(const PiDecision& decision, isc::dhcp::Pkt4& response,
                      isc::dhcp::Pkt4* query = nullptr) const;

    // Whether this reply's address must be held in the lease database (a ROM3 OFFER).
    bool needsRomHold(const PiDecision& decision, const isc::dhcp::Pkt4& response) const;

    // Option 43 for a Pi stage, per rom-padding.
    Bytes option43For(PiModel cls) const;

    // The TFTP server a Pi is sent (option 66): its serial's clients[] entry, else tftp-server,
    // else (with `response`) the reply's option 54. The {tftp-server} of the identity templates.
    std::optional<std::uint32_t> tftpServerAddress(const std::optional<Serial>& serial,
                                                   isc::dhcp::Pkt4* response) const;

    // Why allow-serials / allow-macs / allow-pairs refuse a Pi onReceive found NotAllowed, for
    // its boot event: "not allowed: serial 1a2b3c04 not in allow-serials". Built only on demand.
    std::string refusal(const PiDecision& decision) const;

  private:
    bool allowed(const PiDecision& decision) const;
    bool padded(PiModel cls) const;
    struct TftpServer {
        std::uint32_t address;  // host order
        isc::dhcp::OptionPtr option66;
    };
    // A per-serial override, else a tftp-groups node, else tftp-server, else the reply's own
    // option 54.
    std::optional<TftpServer> tftpServerFor(const PiDecision& decision, isc::dhcp::Pkt4& response,
                                            isc::dhcp::Pkt4& query) const;
    // Option 66 naming a reply's own server (no tftp-server configured): built once per server
    // address and shared, like the options above. A server has few addresses; past the bound
    // (never reached in practice) it is built per reply instead.
    isc::dhcp::OptionPtr serverOption66(std::uint32_t address) const;
    static constexpr std::size_t kMaxServerOptions66 = 64;
    mutable std::mutex serverOption66Mutex_;
    mutable std::map<std::uint32_t, isc::dhcp::OptionPtr> serverOption66_;

    HookConfig config_;
    // The replies' options are the same for every Pi of a kind: built once here and shared by
    // every reply, as Kea shares its configured option-data (options are only read after this).
    Bytes option43Plain_, option43Padded_;
    isc::dhcp::OptionPtr option43PlainOpt_, option43PaddedOpt_, option60_;
    std::optional<TftpServer> defaultTftpServer_;
    std::map<Serial, TftpServer> clientTftpServers_;
    TftpNodeSelector tftpNodes_;
    std::map<std::uint32_t, isc::dhcp::OptionPtr> tftpNodeOptions66_;  // one per node address
    // Kea's addClass takes a std::string: made once, not per packet.
    std::string classAll_;
    std::string classRom3_, classBootcode_, classPi4_, classPi5_;
    const std::string& classOf(PiModel cls) const;
};

// The packet's DHCP message type (option 53), as Pkt4::getType() gives it, without its cast.
std::uint8_t messageType(const isc::dhcp::Pkt4& pkt);

// An option's payload as sent on the wire (Kea may hold it as a typed option). Read-only: the
// option is looked up without the clone Kea makes for callouts (the packet is left as it was).
std::optional<Bytes> optionPayload(isc::dhcp::Pkt4& pkt, std::uint16_t code);

// Room for an option payload that has to be assembled: inline up to 64 bytes (every option the
// classifier reads is shorter), on the heap beyond.
struct OptionScratch {
    std::array<std::uint8_t, 64> inlineBytes;  // not zeroed: written before it is read
    Bytes heap;
};

// The same bytes, borrowed from the option where its storage holds exactly what it packs
// (raw, string and uint8-array options without sub-options); joined from a record option's
// fields, or packed, into `scratch` otherwise. Valid while the packet's option and `scratch` live.
std::optional<ByteSpan> optionView(isc::dhcp::Pkt4& pkt, std::uint16_t code,
                                   OptionScratch& scratch);

}  // namespace rpinetboot::kea
