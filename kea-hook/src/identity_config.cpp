#include "identity_config.h"

#include <cctype>

#include "rpinetboot/util/ipv4.h"

namespace rpinetboot::kea {

std::optional<IdentityTemplate> IdentityTemplate::parse(const std::string& text, std::string* why) {
    IdentityTemplate t;
    t.text_ = text;
    std::string literal;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '}') {
            if (why) *why = "unbalanced '}' at offset " + std::to_string(i);
            return std::nullopt;
        }
        if (c != '{') {
            literal += c;
            continue;
        }
        const auto end = text.find('}', i);
        if (end == std::string::npos) {
            if (why) *why = "unbalanced '{' at offset " + std::to_string(i);
            return std::nullopt;
        }
        const std::string name = text.substr(i + 1, end - i - 1);
        Field field;
        if (name == "serial") {
            field = Field::Serial;
        } else if (name == "mac") {
            field = Field::Mac;
        } else if (name == "model") {
            field = Field::Model;
        } else if (name == "address") {
            field = Field::Address;
        } else if (name == "tftp-server") {
            field = Field::TftpServer;
        } else {
            if (why) {
                *why = "unknown placeholder {" + name +
                       "} (expected {serial}, {mac}, {model}, {address}, {tftp-server})";
            }
            return std::nullopt;
        }
        if (!literal.empty()) t.parts_.push_back({Field::Literal, std::move(literal)});
        literal.clear();
        t.parts_.push_back({field, {}});
        i = end;
    }
    if (!literal.empty()) t.parts_.push_back({Field::Literal, std::move(literal)});
    return t;
}

std::optional<std::string> IdentityTemplate::expand(const IdentityValues& v) const {
    std::string out;
    for (const Part& p : parts_) {
        switch (p.field) {
            case Field::Literal:
                out += p.literal;
                break;
            case Field::Serial:
                out += v.serial ? v.serial->str() : v.mac.dashed();
                break;
            case Field::Mac:
                out += v.mac.dashed();
                break;
            case Field::Model:
                out += std::string(piModelName(v.model));
                break;
            case Field::Address:
                out += ipv4ToString(v.address);
                break;
            case Field::TftpServer:
                if (!v.tftpServer) return std::nullopt;
                out += ipv4ToString(*v.tftpServer);
                break;
        }
    }
    return out;
}

namespace {

// Options 12 and 17 carry at most 255 bytes (RFC 2132 sections 3.14 and 3.19: length >= 1).
std::optional<std::string> usable(std::optional<std::string> s) {
    if (!s || s->empty() || s->size() > 255) return std::nullopt;
    return s;
}

}  // namespace

std::optional<std::string> IdentityConfig::hostnameFor(const IdentityValues& v) const {
    if (v.serial) {
        const auto it = overrides.find(*v.serial);
        if (it != overrides.end() && it->second.hostname)
            return usable(it->second.hostname->expand(v));
    }
    return hostname ? usable(hostname->expand(v)) : std::nullopt;
}

std::optional<std::string> IdentityConfig::rootPathFor(const IdentityValues& v) const {
    if (v.serial) {
        const auto it = overrides.find(*v.serial);
        if (it != overrides.end() && it->second.rootPath) {
            return usable(it->second.rootPath->expand(v));
        }
    }
    return rootPath ? usable(rootPath->expand(v)) : std::nullopt;
}

std::optional<std::string> checkHostnameTemplate(const IdentityTemplate& t) {
    // Placeholders expand to hex digits, dashes, dots and letters only; the literal text must
    // keep the name valid too.
    std::string literal;
    int depth = 0;
    for (const char c : t.text()) {
        if (c == '{') depth = 1;
        if (!depth) literal += c;
        if (c == '}') depth = 0;
    }
    for (const char c : literal) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
            return std::string("'") + c +
                   "' cannot appear in a hostname (letters, digits, '-' and '.' only)";
        }
    }
    if (t.text().empty()) return std::string("must not be empty");
    return std::nullopt;
}

}  // namespace rpinetboot::kea
