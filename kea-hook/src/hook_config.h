// The hook's parameters (hooks-libraries[].parameters in kea-dhcp4.conf), parsed and validated.
// Every error names the parameter and the offending value, because Kea prints it verbatim when it
// refuses the configuration.
#pragma once

#include <cc/data.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "identity_config.h"
#include "rpinetboot/classify.h"
#include "rpinetboot/event_sink.h"
#include "rpinetboot/mac.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/serial.h"
#include "tftp_nodes.h"

namespace rpinetboot::kea {

enum class RomPadding { Auto, Always, Never };

// rom-hold-lifetime: how long an unconfirmed ROM hold lasts. The Pi 3B ROM tries DHCP five times,
// 5 s apart, then TFTPs bootcode.bin, which asks DHCP again (Raspberry Pi blog "Pi 3 booting
// part II: Ethernet", 2016; raspberrypi/documentation boot-net.adoc, "Network booting"). Each
// retry renews the hold, so it must outlast one retry gap plus the bootcode.bin transfer, which
// the ROM itself allows as long as its whole DHCP phase: 2 x 25 s, rounded up to a minute. A
// Pi that comes back at its next stage is confirmed and gets the OFFER's own lease time.
inline constexpr std::uint32_t kDefaultRomHoldLifetime = 60;
inline constexpr std::uint32_t kMinRomHoldLifetime = 10;  // two ROM retry gaps
inline constexpr std::uint32_t kMaxRomHoldLifetime = 86400;
// rom-hold-max-unconfirmed: unconfirmed holds per subnet. Above the number of Pi 3Bs that power
// on within the same minute, below what the pool must keep free for other clients.
inline constexpr std::uint32_t kDefaultMaxUnconfirmedHolds = 64;
inline constexpr std::uint32_t kMaxMaxUnconfirmedHolds = 1000000;

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct HookConfig {
    std::optional<std::uint32_t> tftpServer;  // host order; unset = the reply's option 54
    std::string menuText{kDefaultMenuText};
    RomPadding romPadding = RomPadding::Auto;
    ClassifierConfig classifier;  // built-in OUIs + extra-ouis, require-oui
    std::set<Serial> allowSerials;
    std::set<MacAddress> allowMacs;
    // allow-pairs: a serial answered only from its MAC (a device that sends a listed serial from
    // another MAC is refused); docs/kea.md, "Identity".
    std::map<Serial, MacAddress> allowPairs;
    std::map<Serial, std::uint32_t> clientTftpServers;  // clients[].tftp-server by serial
    bool holdRomOffers = true;
    std::uint32_t romHoldLifetime = kDefaultRomHoldLifetime;            // seconds
    std::uint32_t romHoldMaxUnconfirmed = kDefaultMaxUnconfirmedHolds;  // per subnet
    // events: where DISCOVER/OFFER/REQUEST/ACK boot events of Pis go (README.md, "Boot events
    // and bootloader logs"); the sink itself is opened by load().
    SinkSpec events{SinkSpec::Kind::None, {}};
    // tftp-groups: several rpi-tftpd nodes, chosen per subnet, class or serial range and spread
    // by serial (tftp_nodes.h). Empty: option 66 as before (clients, tftp-server, option 54).
    std::vector<TftpNodeGroup> tftpGroups;
    // hostname-template, root-path-template, hostname-policy, root-path-policy and the clients[]
    // hostname / root-path overrides: what the OS phase is sent (identity_config.h).
    IdentityConfig identity;

    // Parses `parameters` (null or a map). Throws ConfigError on any unknown key or bad value.
    static HookConfig parse(const isc::data::ConstElementPtr& parameters);

    // One line for the log: the effective settings.
    std::string summary() const;
};

}  // namespace rpinetboot::kea
