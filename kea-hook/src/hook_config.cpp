#include "hook_config.h"

#include <sstream>
#include <string_view>

#include "config_values.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/oui.h"
#include "tftp_nodes_config.h"

namespace rpinetboot::kea {

using isc::data::ConstElementPtr;
using isc::data::Element;

namespace {

IdentityTemplate parseTemplate(const std::string& name, const ConstElementPtr& value,
                               bool hostname) {
    std::string why;
    auto t = IdentityTemplate::parse(stringOf(name, value), &why);
    if (!t) failParameter(name, value, why);
    if (hostname) {
        if (auto bad = checkHostnameTemplate(*t)) failParameter(name, value, *bad);
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
            serial = serialOf(item_name, item);
        } else if (key == "mac") {
            mac = MacAddress::parse(stringOf(item_name, item));
            if (!mac)
                failParameter(item_name, item,
                              "must be a MAC address such as \"dc:a6:32:01:36:c2\"");
        } else {
            failParameter(item_name, item, "unknown key (expected \"serial\", \"mac\")");
        }
    }
    if (!serial || !mac) failParameter(name, value, "needs a \"serial\" and a \"mac\"");
    if (!cfg.allow_pairs.emplace(*serial, *mac).second) {
        failParameter(name, value, "serial " + serial->str() + " appears twice in allow-pairs");
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
            serial = serialOf(item_name, item);
        } else if (key == "tftp-server") {
            server = unicastOf(item_name, item);
        } else if (key == "hostname") {
            identity.hostname = parseTemplate(item_name, item, true);
        } else if (key == "root-path") {
            identity.root_path = parseTemplate(item_name, item, false);
        } else {
            failParameter(item_name, item,
                          "unknown key (expected \"serial\", \"tftp-server\", \"hostname\", "
                          "\"root-path\")");
        }
    }
    if (!serial) failParameter(name, value, "needs a \"serial\"");
    if (!server && !identity.hostname && !identity.root_path) {
        failParameter(name, value, "needs a \"tftp-server\", \"hostname\" or \"root-path\"");
    }
    if (cfg.client_tftp_servers.count(*serial) || cfg.identity.overrides.count(*serial)) {
        failParameter(name, value, "serial " + serial->str() + " appears twice in clients");
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
        failParameter("parameters", parameters, "must be a map");
    }
    for (const auto& [key, value] : parameters->mapValue()) {
        if (key == "tftp-server") {
            cfg.tftp_server = unicastOf(key, value);
        } else if (key == "menu-text") {
            cfg.menu_text = stringOf(key, value);
            if (auto why = validateMenuText(cfg.menu_text)) failParameter(key, value, *why);
        } else if (key == "rom-padding") {
            const std::string mode = stringOf(key, value);
            if (mode == "auto") {
                cfg.rom_padding = RomPadding::Auto;
            } else if (mode == "always") {
                cfg.rom_padding = RomPadding::Always;
            } else if (mode == "never") {
                cfg.rom_padding = RomPadding::Never;
            } else {
                failParameter(key, value, "must be \"auto\", \"always\" or \"never\"");
            }
        } else if (key == "extra-ouis") {
            forEachListItem(key, value, [&cfg](const std::string& n, const ConstElementPtr& v) {
                const auto oui = parseOui(stringOf(n, v));
                if (!oui) failParameter(n, v, "must be an OUI such as \"dc:a6:32\"");
                cfg.classifier.ouis.add(*oui);
            });
        } else if (key == "require-oui") {
            expectType(key, value, Element::boolean);
            cfg.classifier.require_oui = value->boolValue();
        } else if (key == "allow-serials") {
            forEachListItem(key, value, [&cfg](const std::string& n, const ConstElementPtr& v) {
                cfg.allow_serials.insert(serialOf(n, v));
            });
        } else if (key == "allow-macs") {
            forEachListItem(key, value, [&cfg](const std::string& n, const ConstElementPtr& v) {
                const auto mac = MacAddress::parse(stringOf(n, v));
                if (!mac)
                    failParameter(n, v, "must be a MAC address such as \"dc:a6:32:01:36:c2\"");
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
            if (!parseSinkSpec(stringOf(key, value), cfg.events, why))
                failParameter(key, value, why);
        } else if (key == "rom-hold-lifetime") {
            cfg.rom_hold_lifetime = integerIn(key, value, kMinRomHoldLifetime, kMaxRomHoldLifetime);
        } else if (key == "rom-hold-max-unconfirmed") {
            cfg.rom_hold_max_unconfirmed = integerIn(key, value, 1, kMaxMaxUnconfirmedHolds);
        } else if (key == "tftp-groups") {
            cfg.tftp_groups = parseTftpGroups(key, value);
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
                failParameter(key, value, "must be \"template\" or \"client\"");
            }
        } else if (key == "root-path-policy") {
            const std::string mode = stringOf(key, value);
            if (mode == "requested") {
                cfg.identity.root_path_policy = RootPathPolicy::Requested;
            } else if (mode == "always") {
                cfg.identity.root_path_policy = RootPathPolicy::Always;
            } else {
                failParameter(key, value, "must be \"requested\" or \"always\"");
            }
        } else if (key == "keep-pi-leases-on-release") {
            expectType(key, value, Element::boolean);
            cfg.identity.keep_pi_leases_on_release = value->boolValue();
        } else {
            failParameter(
                key, value,
                "unknown parameter (expected tftp-server, menu-text, rom-padding, extra-ouis, "
                "require-oui, allow-serials, allow-macs, clients, hold-rom-offers, "
                "rom-hold-lifetime, "
                "rom-hold-max-unconfirmed, events, tftp-groups, hostname-template, "
                "root-path-template, hostname-policy, root-path-policy, allow-pairs, "
                "keep-pi-leases-on-release)");
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
    if (!tftp_groups.empty()) out << " tftp-groups=" << describeTftpGroups(tftp_groups);
    out << " hostname-template=\"" << (identity.hostname ? identity.hostname->text() : "")
        << "\" root-path-template=\"" << (identity.root_path ? identity.root_path->text() : "")
        << "\" hostname-policy="
        << (identity.hostname_policy == HostnamePolicy::Template ? "template" : "client")
        << " root-path-policy="
        << (identity.root_path_policy == RootPathPolicy::Always ? "always" : "requested")
        << " keep-pi-leases-on-release=" << (identity.keep_pi_leases_on_release ? "true" : "false");
    return out.str();
}

}  // namespace rpinetboot::kea
