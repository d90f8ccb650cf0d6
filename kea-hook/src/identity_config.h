// The OS phase's identity: the hostname (option 12) and NFS root path (option 17) the hook sends
// a Pi's Linux, from templates in the hook parameters, and the policies around them
// (docs/kea.md, "Identity"). Parsed at load(), so a wrong template refuses the configuration.
#pragma once

#include <cc/data.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/mac.h"
#include "rpinetboot/pi_model.h"
#include "rpinetboot/serial.h"

namespace rpinetboot::kea {

// What the placeholders stand for, for one Pi.
struct IdentityValues {
    std::optional<Serial> serial;
    MacAddress mac;
    PiModel model = PiModel::Pi4;
    std::uint32_t address = 0;                // host order
    std::optional<std::uint32_t> tftpServer;  // host order
};

// A text with placeholders {serial} {mac} {model} {address} {tftp-server}. {serial} of a Pi
// that sends none (the Pi 3B boot ROM) is its MAC in the dash form, as {mac} always is
// ("dc-a6-32-01-36-c2": valid in a hostname, and the Pi 4/5 TFTP_PREFIX=2 directory name).
class IdentityTemplate {
  public:
    // nullopt and *why for an unknown placeholder or an unbalanced brace.
    static std::optional<IdentityTemplate> parse(const std::string& text, std::string* why);

    // nullopt when the template uses {tftp-server} and there is none.
    std::optional<std::string> expand(const IdentityValues& values) const;
    const std::string& text() const { return text_; }

  private:
    enum class Field { Literal, Serial, Mac, Model, Address, TftpServer };
    struct Part {
        Field field;
        std::string literal;
    };
    std::string text_;
    std::vector<Part> parts_;
};

// hostname-policy: whose name wins when the client sends one (option 12).
enum class HostnamePolicy {
    Template,  // "template": the template's name replaces the client's (default)
    Client,    // "client": a name the client sends is left as Kea answers it
};
// root-path-policy: which OS-phase clients get option 17.
enum class RootPathPolicy {
    Requested,  // "requested": those listing 17 in option 55 (kernel ip=dhcp, klibc) (default)
    Always,     // "always": every OS-phase reply
};

struct IdentityOverride {
    std::optional<IdentityTemplate> hostname, rootPath;
};

struct IdentityConfig {
    std::optional<IdentityTemplate> hostname, rootPath;
    HostnamePolicy hostnamePolicy = HostnamePolicy::Template;
    RootPathPolicy rootPathPolicy = RootPathPolicy::Requested;
    std::map<Serial, IdentityOverride> overrides;  // clients[].hostname / clients[].root-path
    // keep-pi-leases-on-release: a Pi's DHCPRELEASE leaves its lease (release_keep.h).
    bool keepPiLeasesOnRelease = true;

    // The hostname / root path for a Pi: its serial's override, else the template; nullopt when
    // neither is set (or it expands to nothing usable: empty or over option's 255 bytes).
    std::optional<std::string> hostnameFor(const IdentityValues& values) const;
    std::optional<std::string> rootPathFor(const IdentityValues& values) const;
};

// Checks a hostname template's literal text (letters, digits, '-' and '.', RFC 1123 section
// 2.1); nullopt when fine, else why not.
std::optional<std::string> checkHostnameTemplate(const IdentityTemplate& t);

}  // namespace rpinetboot::kea
