#include "rpinetboot/nfs/pi_export.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "rpinetboot/nfs/exports_parser.h"
#include "rpinetboot/util/decimal.h"

namespace rpinetboot::nfs {

namespace {

// Options a Pi root may carry. Left out on purpose: async (data loss on server crash),
// subtree_check (we always write no_subtree_check), refer/replicas/mountpoint/squash_* (not for a
// per-Pi root), fsid=0/root (would turn the Pi's root into the NFSv4 pseudo-root).
constexpr std::array<std::string_view, 17> kAllowedFlags = {"rw",          "ro",
                                                            "sync",        "no_subtree_check",
                                                            "root_squash", "no_root_squash",
                                                            "all_squash",  "no_all_squash",
                                                            "secure",      "insecure",
                                                            "crossmnt",    "nocrossmnt",
                                                            "hide",        "nohide",
                                                            "wdelay",      "no_wdelay",
                                                            "no_acl"};
constexpr std::array<std::string_view, 4> kAllowedValued = {
    "fsid=", "anonuid=", "anongid=", "sec="};

// A number as exports(5) options take it: digits only, at most ten of them.
std::optional<std::uint64_t> number(std::string_view s) {
    if (s.size() > 10) return std::nullopt;
    return parseDecimal(s, UINT64_MAX);
}

std::string checkValued(std::string_view opt) {
    auto eq = opt.find('=');
    auto name = opt.substr(0, eq + 1);
    auto value = opt.substr(eq + 1);
    if (name == "anonuid=" || name == "anongid=") {
        if (!number(value)) return "option " + std::string(opt) + ": needs a number";
    } else if (name == "fsid=") {
        // nfs-utils reads a number with strtoul(base 0), so "00" is the pseudo-root too, and a
        // UUID as exactly 32 hex digits with any other characters ignored (valid_uuid()).
        const auto n = number(value);
        if (value == "root" || n == 0u)
            return "option " + std::string(opt) +
                   ": a Pi root must not be the NFSv4 pseudo-root (fsid=0)";
        if (n) {
            if (*n > 0xffffffffULL)
                return "option " + std::string(opt) + ": the number is larger than 4294967295";
        } else {
            auto hex = std::count_if(value.begin(), value.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c));
            });
            bool onlyUuidChars = std::all_of(value.begin(), value.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) || c == '-' || c == ':';
            });
            if (hex != 32 || !onlyUuidChars)
                return "option " + std::string(opt) +
                       ": needs a decimal number or a UUID of exactly 32 hex digits";
        }
    } else if (name == "sec=") {
        std::string v(value);
        std::size_t start = 0;
        while (true) {
            auto colon = v.find(':', start);
            auto flavor = v.substr(start, colon == std::string::npos ? v.npos : colon - start);
            if (flavor != "sys" && flavor != "krb5" && flavor != "krb5i" && flavor != "krb5p")
                return "option " + std::string(opt) + ": unknown security flavor \"" + flavor +
                       "\"";
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
    }
    return "";
}

bool isSquash(std::string_view o) {
    return o == "root_squash" || o == "no_root_squash" || o == "all_squash";
}

}  // namespace

std::string PiExport::clientText() const {
    return client.prefix() == 0 ? "*" : client.str();
}

bool PiExport::operator==(const PiExport& o) const {
    return serial == o.serial && path == o.path && client == o.client && options == o.options &&
           nfsVersion == o.nfsVersion;
}

std::optional<ClientNet> parseClient(std::string_view text) {
    if (text == "*") return ClientNet::parse("0.0.0.0/0");
    return ClientNet::parse(text);
}

OptionsResult buildOptions(std::string_view userOptions) {
    OptionsResult r;
    std::vector<std::string> asked;
    for (char c : userOptions)
        if (c == ' ' || c == '\t' || c == '(' || c == ')' || c == '"' || c == '\n' || c == '#') {
            r.error = "options \"" + std::string(userOptions) +
                      "\": give a comma-separated list without spaces, parentheses or quotes";
            return r;
        }
    for (auto& o : splitOptions(userOptions)) {
        bool ok = std::find(kAllowedFlags.begin(), kAllowedFlags.end(), o) != kAllowedFlags.end();
        if (!ok)
            for (auto v : kAllowedValued)
                if (o.compare(0, v.size(), v) == 0 && o.size() > v.size()) {
                    if (auto err = checkValued(o); !err.empty()) {
                        r.error = err;
                        return r;
                    }
                    ok = true;
                }
        if (!ok) {
            r.error = "option \"" + o + "\" is not allowed for a Pi root (allowed: rw, ro, " +
                      "root_squash, no_root_squash, all_squash, secure, insecure, crossmnt, " +
                      "nohide, no_wdelay, no_acl, fsid=N, anonuid=N, anongid=N, sec=...)";
            if (o == "async") r.error = "option \"async\" is refused: Pi roots are always sync";
            if (o == "subtree_check")
                r.error = "option \"subtree_check\" is refused: Pi roots use no_subtree_check";
            return r;
        }
        if (std::find(asked.begin(), asked.end(), o) == asked.end()) asked.push_back(o);
    }
    auto has = [&](std::string_view o) {
        return std::find(asked.begin(), asked.end(), o) != asked.end();
    };
    if (has("rw") && has("ro")) {
        r.error = "options rw and ro contradict each other";
        return r;
    }
    int squashes = static_cast<int>(std::count_if(asked.begin(), asked.end(), isSquash));
    if (squashes > 1) {
        r.error = "give at most one of root_squash, no_root_squash, all_squash";
        return r;
    }
    r.options.push_back(has("ro") ? "ro" : "rw");
    r.options.push_back("sync");
    r.options.push_back("no_subtree_check");
    if (squashes == 0) r.options.push_back("no_root_squash");
    for (auto& o : asked)
        if (o != "rw" && o != "ro" && o != "sync" && o != "no_subtree_check")
            r.options.push_back(o);
    return r;
}

std::string checkPathSyntax(std::string_view path) {
    if (path.empty() || path.front() != '/')
        return "path \"" + std::string(path) + "\" is not absolute";
    if (path.size() > 1 && path.back() == '/')
        return "path \"" + std::string(path) + "\" has a trailing slash";
    if (path.size() > 1024) return "path is longer than 1024 characters";
    for (unsigned char c : path)
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            return "path \"" + std::string(path) +
                   "\" contains a control character, a double quote or a backslash";
    std::size_t start = 1;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        auto comp = path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
        if (comp.empty() || comp == "." || comp == "..")
            return "path \"" + std::string(path) + "\" has an empty, \".\" or \"..\" component";
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return "";
}

std::string validateRecord(const PiExport& record, bool force) {
    if (auto err = checkPathSyntax(record.path); !err.empty()) return err;
    if (record.path == "/") return "refusing to export / as a Pi root";
    if (record.nfsVersion != 3 && record.nfsVersion != 4)
        return "NFS version must be 3 or 4 (Debian 12 has no NFSv2)";
    bool rootSquashOff = std::find(record.options.begin(), record.options.end(),
                                   "no_root_squash") != record.options.end();
    if (rootSquashOff && !record.client.isHost() && !force) {
        return "client " + record.clientText() +
               " is not a single address: refusing no_root_squash for a wildcard or network " +
               "(every host in it could act as root on this Pi's root file system); give the " +
               "Pi's own address, a squash option, or --force";
    }
    return "";
}

std::string quoteExportPath(std::string_view path) {
    std::string out = "\"";
    for (unsigned char c : path) {
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '#') {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\%03o", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string exportsLine(const PiExport& record) {
    std::string opts;
    for (const auto& o : record.options) opts += (opts.empty() ? "" : ",") + o;
    return quoteExportPath(record.path) + " " + record.clientText() + "(" + opts + ")";
}

}  // namespace rpinetboot::nfs
