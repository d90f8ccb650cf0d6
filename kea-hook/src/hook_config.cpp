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
        const std::string itemName = name + "." + key;
        if (key == "serial") {
            serial = serialOf(itemName, item);
        } else if (key == "mac") {
            mac = MacAddress::parse(stringOf(itemName, item));
            if (!mac)
                failParameter(itemName, item,
                              "must be a MAC address such as \"dc:a6:32:01:36:c2\"");
        } else {
            failParameter(itemName, item, "unknown key (expected \"serial\", \"mac\")");
        }
    }
    if (!serial || !mac) failParameter(name, value, "needs a \"serial\" and a \"mac\"");
    if (!cfg.allowPairs.emplace(*serial, *mac).second) {
        failParameter(name, value, "serial " + serial->str() + " appears twice in allow-pairs");
    }
}

void parseClient(HookConfig& cfg, const std::string& name, const ConstElementPtr& value) {
    expectType(name, value, Element::map);
    std::optional<Serial> serial;
    std::optional<std::uint32_t> server;
    IdentityOverride identity;
    for (const auto& [key, item] : value->mapValue()) {
        const std::string itemName = name + "." + key;
        if (key == "serial") {
            serial = serialOf(itemName, item);
        } else if (key == "tftp-server") {
            server = unicastOf(itemName, item);
        } else if (key == "hostname") {
            identity.hostname = parseTemplate(itemName, item, true);
        } else if (key == "root-path") {
            identity.rootPath = parseTemplate(itemName, item, false);
        } else {
            failParameter(itemName, item,
                          "unknown key (expected \"serial\", \"tftp-server\", \"hostname\", "
                          "\"root-path\")");
        }
    }
    if (!serial) failParameter(name, value, "needs a \"serial\"");
    if (!server && !identity.hostname && !identity.rootPath) {
        failParameter(name, value, "needs a \"tftp-server\", \"hostname\" or \"root-path\"");
    }
    if (cfg.clientTftpServers.count(*serial) || cfg.identity.overrides.count(*serial)) {
        failParameter(name, value, "serial " + serial->str() + " appears twice in clients");
    }
    if (server) cfg.clientTftpServers.emplace(*serial, *server);
    if (identity.hostname || identity.rootPath) {
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
            cfg.tftpServer = unicastOf(key, value);
        } else if (key == "menu-text") {
            cfg.menuText = stringOf(key, value);
            if (auto why = validateMenuText(cfg.menuText)) failParameter(key, value, *why);
        } else if (key == "rom-padding") {
            const std::string mode = stringOf(key, value);
            if (mode == "auto") {
                cfg.romPadding = RomPadding::Auto;
            } else if (mode == "always") {
                cfg.romPadding = RomPadding::Always;
            } else if (mode == "never") {
                cfg.romPadding = RomPadding::Never;
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
            cfg.classifier.requireOui = value->boolValue();
        } else if (key == "allow-serials") {
            forEachListItem(key, value, [&cfg](const std::string& n, const ConstElementPtr& v) {
                cfg.allowSerials.insert(serialOf(n, v));
            });
        } else if (key == "allow-macs") {
            forEachListItem(key, value, [&cfg](const std::string& n, const ConstElementPtr& v) {
                const auto mac = MacAddress::parse(stringOf(n, v));
                if (!mac)
                    failParameter(n, v, "must be a MAC address such as \"dc:a6:32:01:36:c2\"");
                cfg.allowMacs.insert(*mac);
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
            cfg.holdRomOffers = value->boolValue();
        } else if (key == "events") {
            std::string why;
            if (!parseSinkSpec(stringOf(key, value), cfg.events, why))
                failParameter(key, value, why);
        } else if (key == "rom-hold-lifetime") {
            cfg.romHoldLifetime = integerIn(key, value, kMinRomHoldLifetime, kMaxRomHoldLifetime);
        } else if (key == "rom-hold-max-unconfirmed") {
            cfg.romHoldMaxUnconfirmed = integerIn(key, value, 1, kMaxMaxUnconfirmedHolds);
        } else if (key == "tftp-groups") {
            cfg.tftpGroups = parseTftpGroups(key, value);
        } else if (key == "hostname-template") {
            cfg.identity.hostname = parseTemplate(key, value, true);
        } else if (key == "root-path-template") {
            cfg.identity.rootPath = parseTemplate(key, value, false);
        } else if (key == "hostname-policy") {
            const std::string mode = stringOf(key, value);
            if (mode == "template") {
                cfg.identity.hostnamePolicy = HostnamePolicy::Template;
            } else if (mode == "client") {
                cfg.identity.hostnamePolicy = HostnamePolicy::Client;
            } else {
                failParameter(key, value, "must be \"template\" or \"client\"");
            }
        } else if (key == "root-path-policy") {
            const std::string mode = stringOf(key, value);
            if (mode == "requested") {
                cfg.identity.rootPathPolicy = RootPathPolicy::Requested;
            } else if (mode == "always") {
                cfg.identity.rootPathPolicy = RootPathPolicy::Always;
            } else {
                failParameter(key, value, "must be \"requested\" or \"always\"");
            }
        } else if (key == "keep-pi-leases-on-release") {
            expectType(key, value, Element::boolean);
            cfg.identity.keepPiLeasesOnRelease = value->boolValue();
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
    out << "tftp-server=" << (tftpServer ? ipv4ToString(*tftpServer) : "option 54")
        << " menu-text=\"" << menuText << "\" rom-padding="
        << (romPadding == RomPadding::Auto     ? "auto"
            : romPadding == RomPadding::Always ? "always"
                                               : "never")
        << " require-oui=" << (classifier.requireOui ? "true" : "false")
        << " allow-serials=" << allowSerials.size() << " allow-macs=" << allowMacs.size()
        << " allow-pairs=" << allowPairs.size() << " clients=" << clientTftpServers.size()
        << " hold-rom-offers=" << (holdRomOffers ? "true" : "false")
        << " rom-hold-lifetime=" << romHoldLifetime
        << " rom-hold-max-unconfirmed=" << romHoldMaxUnconfirmed;
    if (!tftpGroups.empty()) out << " tftp-groups=" << describeTftpGroups(tftpGroups);
    out << " hostname-template=\"" << (identity.hostname ? identity.hostname->text() : "")
        << "\" root-path-template=\"" << (identity.rootPath ? identity.rootPath->text() : "")
        << "\" hostname-policy="
        << (identity.hostnamePolicy == HostnamePolicy::Template ? "template" : "client")
        << " root-path-policy="
        << (identity.rootPathPolicy == RootPathPolicy::Always ? "always" : "requested")
        << " keep-pi-leases-on-release=" << (identity.keepPiLeasesOnRelease ? "true" : "false");
    return out.str();
}

}  // namespace rpinetboot::kea
