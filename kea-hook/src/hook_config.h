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

#include "rpinetboot/classify.h"
#include "rpinetboot/mac.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/serial.h"

namespace rpinetboot::kea {

enum class RomPadding { Auto, Always, Never };

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct HookConfig {
    std::optional<std::uint32_t> tftp_server;  // host order; unset = the reply's option 54
    std::string menu_text{kDefaultMenuText};
    RomPadding rom_padding = RomPadding::Auto;
    ClassifierConfig classifier;  // built-in OUIs + extra-ouis, require-oui
    std::set<Serial> allow_serials;
    std::set<MacAddress> allow_macs;
    std::map<Serial, std::uint32_t> client_tftp_servers;  // clients[].tftp-server by serial
    bool hold_rom_offers = true;

    // Parses `parameters` (null or a map). Throws ConfigError on any unknown key or bad value.
    static HookConfig parse(const isc::data::ConstElementPtr& parameters);

    // One line for the log: the effective settings.
    std::string summary() const;
};

}  // namespace rpinetboot::kea
