#include "rpinetboot/nfs/ganesha_config.h"
#include "rpinetboot/util/decimal.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace rpinetboot::nfs {

namespace {

constexpr std::string_view kMarker = "# rpi-netboot serial=";
constexpr std::string_view kLinePrefix = "# rpi-netboot export: ";

// The text with '#' comments blanked out (quotes respected), so scans never see commented ids.
std::string stripComments(std::string_view text) {
    std::string out;
    bool quoted = false, comment = false;
    for (char c : text) {
        if (c == '\n') comment = false;
        if (comment) continue;
        if (c == '"') quoted = !quoted;
        if (c == '#' && !quoted) {
            comment = true;
            continue;
        }
        out += c;
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::set<int> scanExportIds(std::string_view text) {
    std::set<int> ids;
    std::string t = lower(stripComments(text));
    std::size_t pos = 0;
    while ((pos = t.find("export_id", pos)) != std::string::npos) {
        std::size_t i = pos + 9;
        pos = i;
        if (pos > 9 &&
            (std::isalnum(static_cast<unsigned char>(t[pos - 10])) || t[pos - 10] == '_'))
            continue;
        while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
        if (i >= t.size() || t[i] != '=') continue;
        ++i;
        while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
        long v = 0;
        std::size_t digits = 0;
        while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])) && digits < 6) {
            v = v * 10 + (t[i++] - '0');
            ++digits;
        }
        if (digits) ids.insert(static_cast<int>(v));
    }
    return ids;
}

std::vector<std::string> scanIncludes(std::string_view text) {
    std::vector<std::string> out;
    std::istringstream in{stripComments(text)};
    std::string line;
    while (std::getline(in, line)) {
        auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || lower(line.substr(first, 8)) != "%include") continue;
        std::string rest = line.substr(first + 8);
        auto b = rest.find_first_not_of(" \t");
        if (b == std::string::npos) continue;
        rest = rest.substr(b);
        if (!rest.empty() && rest.front() == '"') {
            auto e = rest.find('"', 1);
            if (e != std::string::npos) out.push_back(rest.substr(1, e - 1));
        } else {
            out.push_back(rest.substr(0, rest.find_first_of(" \t\r")));
        }
    }
    return out;
}

int allocateExportId(const std::set<int>& used) {
    int id = 100;
    while (used.count(id)) ++id;
    return id;
}

std::string renderGaneshaBlock(const GaneshaEntry& entry, const GaneshaOptions& options) {
    const auto& r = entry.record;
    auto has = [&](std::string_view o) {
        return std::find(r.options.begin(), r.options.end(), o) != r.options.end();
    };
    std::string squash = has("all_squash")    ? "All_Squash"
                         : has("root_squash") ? "Root_Squash"
                                              : "No_Root_Squash";
    std::string client = "    CLIENT {\n        Clients = " +
                         (r.client.prefix() == 0 ? std::string("*") : r.client.str()) +
                         ";\n        Access_Type = " + (has("ro") ? "RO" : "RW") +
                         ";\n        Squash = " + squash + ";\n";
    std::string anonuid = optionValue(r.options, "anonuid");
    std::string anongid = optionValue(r.options, "anongid");
    if (!anonuid.empty()) client += "        Anonymous_Uid = " + anonuid + ";\n";
    if (!anongid.empty()) client += "        Anonymous_Gid = " + anongid + ";\n";
    if (has("secure")) client += "        PrivilegedPort = true;\n";
    client += "    }\n";
    std::string sec = optionValue(r.options, "sec");
    for (auto& c : sec)
        if (c == ':') c = ',';
    std::string out = "EXPORT {\n    Export_Id = " + std::to_string(entry.exportId) +
                      ";\n    Path = \"" + r.path + "\";\n    Pseudo = \"" + r.path +
                      "\";\n    Protocols = 3, 4;\n    Transports = TCP;\n" +
                      "    Access_Type = None;\n    SecType = " + (sec.empty() ? "sys" : sec) +
                      ";\n    FSAL {\n        Name = " + options.fsal + ";\n    }\n" + client;
    if (!options.verifyClient.empty())
        out += "    CLIENT {\n        Clients = " + options.verifyClient +
               ";\n        Access_Type = MDONLY_RO;\n        Squash = All_Squash;\n    }\n";
    return out + "}\n";
}

std::string renderGaneshaInclude(const std::vector<GaneshaEntry>& entries,
                                 const GaneshaOptions& options) {
    auto sorted = entries;
    std::sort(sorted.begin(), sorted.end(), [](const GaneshaEntry& a, const GaneshaEntry& b) {
        return a.record.serial < b.record.serial;
    });
    std::string out =
        "# Managed by rpi-nfs-exports (--backend ganesha): one Raspberry Pi root per EXPORT.\n"
        "# Do not edit by hand; use `rpi-nfs-exports --backend ganesha add|remove`.\n";
    for (const auto& e : sorted) {
        out += std::string(kMarker) + e.record.serial.str() +
               " vers=" + std::to_string(e.record.nfsVersion) +
               " export_id=" + std::to_string(e.exportId) + "\n";
        out += std::string(kLinePrefix) + exportsLine(e.record) + "\n";
        out += renderGaneshaBlock(e, options);
    }
    return out;
}

GaneshaFile parseGaneshaInclude(std::string_view text, const std::string& fileName,
                                const GaneshaOptions& options) {
    GaneshaFile f;
    auto problem = [&](int line, std::string msg) {
        f.problems.push_back({fileName, line, std::move(msg), true});
    };
    // Split into lines, remembering where each starts.
    std::vector<std::string> lines;
    {
        std::istringstream in{std::string(text)};
        std::string l;
        while (std::getline(in, l)) lines.push_back(l);
    }
    std::size_t i = 0;
    while (i < lines.size()) {
        const auto& line = lines[i];
        int lineNo = static_cast<int>(i) + 1;
        if (line.compare(0, kMarker.size(), kMarker) != 0) {
            auto first = line.find_first_not_of(" \t");
            if (first != std::string::npos && line[first] != '#')
                problem(lineNo, "text outside a marked entry (edited by hand?)");
            ++i;
            continue;
        }
        std::istringstream fields{line.substr(kMarker.size())};
        std::string serialText, vers, idText, extra;
        fields >> serialText >> vers >> idText >> extra;
        auto serial = Serial::parse(serialText);
        int id = -1;
        if (idText.compare(0, 10, "export_id=") == 0 && idText.size() <= 16) {
            // At most six digits; the range is checked below.
            if (auto v = parseDecimal(std::string_view(idText).substr(10), UINT64_MAX))
                id = static_cast<int>(*v);
        }
        if (!serial || serial->str() != serialText || (vers != "vers=3" && vers != "vers=4") ||
            id < 1 || id > 65535 || !extra.empty() || i + 1 >= lines.size() ||
            lines[i + 1].compare(0, kLinePrefix.size(), kLinePrefix) != 0) {
            problem(lineNo, "malformed marker \"" + line + "\"");
            ++i;
            continue;
        }
        auto parsed = parseExports(lines[i + 1].substr(kLinePrefix.size()), fileName);
        GaneshaEntry e;
        e.exportId = id;
        e.record.serial = *serial;
        e.record.nfsVersion = vers == "vers=4" ? 4 : 3;
        bool ok = parsed.entries.size() == 1 && parsed.entries[0].clients.size() == 1;
        if (ok) {
            auto client = parseClient(parsed.entries[0].clients[0].host);
            ok = client.has_value();
            if (ok) {
                e.record.path = parsed.entries[0].path;
                e.record.client = *client;
                e.record.options = parsed.entries[0].clients[0].options;
            }
        }
        std::string block = ok ? renderGaneshaBlock(e, options) : "";
        std::size_t blockLines =
            static_cast<std::size_t>(std::count(block.begin(), block.end(), '\n'));
        std::string actual;
        for (std::size_t k = i + 2; k < lines.size() && k < i + 2 + blockLines; ++k)
            actual += lines[k] + "\n";
        if (!ok || actual != block) {
            problem(lineNo, "EXPORT block for " + serialText +
                                " differs from what we would write (edited by hand, or written "
                                "with other --ganesha options?)");
            i += 2;
            continue;
        }
        f.entries.push_back(std::move(e));
        i += 2 + blockLines;
    }
    return f;
}

}  // namespace rpinetboot::nfs
