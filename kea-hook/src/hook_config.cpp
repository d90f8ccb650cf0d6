#include "hook_config.h"

#include <sstream>
#include <string_view>

#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/oui.h"

namespace rpinetboot::kea {

using isc::data::ConstElementPtr;
using isc::data::Element;

namespace {

[[noreturn]] void fail(const std::string& name, const ConstElementPtr& value,
                       const std::string& why) {
    throw ConfigError("parameter '" + name + "' value " + (value ? value->str() : "null") + ": " +
                      why);
}

void expectType(const std::string& name, const ConstElementPtr& value, Element::types type) {
    if (value->getType() != type) {
        const std::string kind = Element::typeToName(type);
        fail(name, value, (kind.front() == 'i' ? "must be an " : "must be a ") + kind);
    }
}

std::string stringOf(const std::string& name, const ConstElementPtr& value) {
    expectType(name, value, Element::string);
    return value->stringValue();
}

std::uint32_t parseServer(const std::string& name, const ConstElementPtr& value) {
    const std::string text = stringOf(name, value);
    const auto addr = parseIpv4(text);
    // parseIpv4 accepts only the dotted quad; the Pi needs a unicast address it can reach.
    if (!addr || *addr == 0 || *addr == 0xffffffff || (*addr >> 28) == 0xe) {
        fail(name, value, "must be a unicast IPv4 address in dotted-quad form");
    }
    return *addr;
}

Serial parseSerial(const std::string& name, const ConstElementPtr& value) {
    const auto serial = Serial::parse(stringOf(name, value));
    if (!serial) fail(name, value, "must be a Pi serial: 8 hex digits, e.g. \"bf9fed6f\"");
    return *serial;
}

std::uint32_t integerIn(const std::string& name, const ConstElementPtr& value, std::uint32_t min,
                        std::uint32_t max) {
    expectType(name, value, Element::integer);
    const auto n = value->intValue();
    if (n < static_cast<std::int64_t>(min) || n > static_cast<std::int64_t>(max)) {
        fail(name, value,
             "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return static_cast<std::uint32_t>(n);
}

template <typename F>
void forEachListItem(const std::string& name, const ConstElementPtr& value, F each) {
    expectType(name, value, Element::list);
    const auto& items = value->listValue();
    for (std::size_t i = 0; i < items.size(); ++i) {
        each(name + "[" + std::to_string(i) + "]", ConstElementPtr(items[i]));
    }
}

IdentityTemplate parseTemplate(const std::string& name, const ConstElementPtr& value,
                               bool hostname) {
    std::string why;
    auto t = IdentityTemplate::parse(stringOf(name, value), &why);
    if (!t) fail(name, value, why);
    if (hostname) {
        if (auto bad = checkHostnameTemplate(*t)) fail(name, value, *bad);
    }
    return *t;
}

void parseAllowPair(HookConfig& cfg, const std::string& name, const ConstElementPtr& value) {
    expectType(name, value, Element::map);
    std::optional<Serial> serial;
    std::optional<MacAddress> mac;
    for (const auto& [key, item] : value->mapValue()) {
        const std::string item_name = name + "." + key;
        if (key == "serial") {
            serial = parseSerial(item_name, item);
        } else if (key == "mac") {
            mac = MacAddress::parse(stringOf(item_name, item));
            if (!mac) fail(item_name, item, "must be a MAC address such as \"dc:a6:32:01:36:c2\"");
        } else {
            fail(item_name, item, "unknown key (expected \"serial\", \"mac\")");
        }
    }
    if (!serial || !mac) fail(name, value, "needs a \"serial\" and a \"mac\"");
    if (!cfg.allow_pairs.emplace(*serial, *mac).second) {
        fail(name, value, "serial " + serial->str() + " appears twice in allow-pairs");
    }
}

void parseClient(HookConfig& cfg, const std::string& name, const ConstElementPtr& value) {
    expectType(name, value, Element::map);
    std::optional<Serial> serial;
    std::optional<std::uint32_t> server;
    IdentityOverride identity;
    for (const auto& [key, item] : value->mapValue()) {
        const std::string item_name = name + "." + key;
        if (key == "serial") {
            serial = parseSerial(item_name, item);
        } else if (key == "tftp-server") {
            server = parseServer(item_name, item);
        } else if (key == "hostname") {
            identity.hostname = parseTemplate(item_name, item, true);
        } else if (key == "root-path") {
            identity.root_path = parseTemplate(item_name, item, false);
        } else {
            fail(item_name, item,
                 "unknown key (expected \"serial\", \"tftp-server\", \"hostname\", "
                 "\"root-path\")");
        }
    }
    if (!serial) fail(name, value, "needs a \"serial\"");
    if (!server && !identity.hostname && !identity.root_path) {
        fail(name, value, "needs a \"tftp-server\", \"hostname\" or \"root-path\"");
    }
    if (cfg.client_tftp_servers.count(*serial) || cfg.identity.overrides.count(*serial)) {
        fail(name, value, "serial " + serial->str() + " appears twice in clients");
    }
    if (server) cfg.client_tftp_servers.emplace(*serial, *server);
    if (identity.hostname || identity.root_path) {
        cfg.identity.overrides.emplace(*serial, std::move(identity));
    }
}

}  // namespace

HookConfig HookConfig::parse(const ConstElementPtr& parameters) {
    HookConfig cfg;
    if (!parameters || parameters->getType() == Element::null) return cfg;
    if (parameters->getType() != Element::map) {
        fail("parameters", parameters, "must be a map");
    }
    for (const auto& [key, value] : parameters->mapValue()) {
        if (key == "tftp-server") {
            cfg.tftp_server = parseServer(key, value);
        } else if (key == "menu-text") {
            cfg.menu_text = stringOf(key, value);
            if (auto why = validateMenuText(cfg.menu_text)) fail(key, value, *why);
        } else if (key == "rom-padding") {
            const std::string mode = stringOf(key, value);
            if (mode == "auto") {
                cfg.rom_padding = RomPadding::Auto;
            } else if (mode == "always") {
                cfg.rom_padding = RomPadding::Always;
            } else if (mode == "never") {
                cfg.rom_padding = RomPadding::Never;
            } else {
                fail(key, value, "must be \"auto\", \"always\" or \"never\"");
            }
        } else if (key == "extra-ouis") {
            forEachListItem(key, value, [&cfg](const std::string& n, const ConstElementPtr& v) {
                const auto oui = parseOui(stringOf(n, v));
                if (!oui) fail(n, v, "must be an OUI such as \"dc:a6:32\"");
                cfg.classifier.ouis.add(*oui);
            });
        } else if (key == "require-oui") {
            expectType(key, value, Element::boolean);
            cfg.classifier.require_oui = value->boolValue();
        } else if (key == "allow-serials") {
            forEachListItem(key, value, [&cfg](const std::string& n, const ConstElementPtr& v) {
                cfg.allow_serials.insert(parseSerial(n, v));
            });
        } else if (key == "allow-macs") {
            forEachListItem(key, value, [&cfg](const std::string& n, const ConstElementPtr& v) {
                const auto mac = MacAddress::parse(stringOf(n, v));
                if (!mac) fail(n, v, "must be a MAC address such as \"dc:a6:32:01:36:c2\"");
                cfg.allow_macs.insert(*mac);
            });
        } else if (key == "allow-pairs") {
            forEachListItem(key, value, [&cfg](const std::string& n, const ConstElementPtr& v) {
                parseAllowPair(cfg, n, v);
            });
        } else if (key == "clients") {
            forEachListItem(key, value, [&cfg](const std::string& n, const ConstElementPtr& v) {
                parseClient(cfg, n, v);
            });
        } else if (key == "hold-rom-offers") {
            expectType(key, value, Element::boolean);
            cfg.hold_rom_offers = value->boolValue();
        } else if (key == "events") {
            std::string why;
            if (!parseSinkSpec(stringOf(key, value), cfg.events, why)) fail(key, value, why);
        } else if (key == "rom-hold-lifetime") {
            cfg.rom_hold_lifetime = integerIn(key, value, kMinRomHoldLifetime, kMaxRomHoldLifetime);
        } else if (key == "rom-hold-max-unconfirmed") {
            cfg.rom_hold_max_unconfirmed = integerIn(key, value, 1, kMaxMaxUnconfirmedHolds);
        } else if (key == "hostname-template") {
            cfg.identity.hostname = parseTemplate(key, value, true);
        } else if (key == "root-path-template") {
            cfg.identity.root_path = parseTemplate(key, value, false);
        } else if (key == "hostname-policy") {
            const std::string mode = stringOf(key, value);
            if (mode == "template") {
                cfg.identity.hostname_policy = HostnamePolicy::Template;
            } else if (mode == "client") {
                cfg.identity.hostname_policy = HostnamePolicy::Client;
            } else {
                fail(key, value, "must be \"template\" or \"client\"");
            }
        } else if (key == "root-path-policy") {
            const std::string mode = stringOf(key, value);
            if (mode == "requested") {
                cfg.identity.root_path_policy = RootPathPolicy::Requested;
            } else if (mode == "always") {
                cfg.identity.root_path_policy = RootPathPolicy::Always;
            } else {
                fail(key, value, "must be \"requested\" or \"always\"");
            }
        } else {
            fail(key, value,
                 "unknown parameter (expected tftp-server, menu-text, rom-padding, extra-ouis, "
                 "require-oui, allow-serials, allow-macs, clients, hold-rom-offers, "
                 "rom-hold-lifetime, "
                 "rom-hold-max-unconfirmed, events, hostname-template, root-path-template, "
                 "hostname-policy, root-path-policy, allow-pairs)");
        }
    }
    return cfg;
}

std::string HookConfig::summary() const {
    std::ostringstream out;
    out << "tftp-server=" << (tftp_server ? ipv4ToString(*tftp_server) : "option 54")
        << " menu-text=\"" << menu_text << "\" rom-padding="
        << (rom_padding == RomPadding::Auto     ? "auto"
            : rom_padding == RomPadding::Always ? "always"
                                                : "never")
        << " require-oui=" << (classifier.require_oui ? "true" : "false")
        << " allow-serials=" << allow_serials.size() << " allow-macs=" << allow_macs.size()
        << " allow-pairs=" << allow_pairs.size() << " clients=" << client_tftp_servers.size()
        << " hold-rom-offers=" << (hold_rom_offers ? "true" : "false")
        << " rom-hold-lifetime=" << rom_hold_lifetime
        << " rom-hold-max-unconfirmed=" << rom_hold_max_unconfirmed;
    out << " hostname-template=\"" << (identity.hostname ? identity.hostname->text() : "")
        << "\" root-path-template=\"" << (identity.root_path ? identity.root_path->text() : "")
        << "\" hostname-policy="
        << (identity.hostname_policy == HostnamePolicy::Template ? "template" : "client")
        << " root-path-policy="
        << (identity.root_path_policy == RootPathPolicy::Always ? "always" : "requested");
    return out.str();
}

}  // namespace rpinetboot::kea
