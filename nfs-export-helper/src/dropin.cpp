#include "rpinetboot/nfs/dropin.h"

#include <algorithm>
#include <sstream>

namespace rpinetboot::nfs {

namespace {
constexpr std::string_view kMarker = "# rpi-netboot serial=";

std::vector<std::string_view> splitLines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}
}  // namespace

std::string renderDropin(const std::vector<PiExport>& records) {
    auto sorted = records;
    std::sort(sorted.begin(), sorted.end(),
              [](const PiExport& a, const PiExport& b) { return a.serial < b.serial; });
    std::string out =
        "# Managed by rpi-nfs-exports: one Raspberry Pi root per entry. Do not edit by hand;\n"
        "# use `rpi-nfs-exports add|remove`. Each export line follows its marker comment.\n";
    for (const auto& r : sorted) {
        out +=
            std::string(kMarker) + r.serial.str() + " vers=" + std::to_string(r.nfsVersion) + "\n";
        out += exportsLine(r) + "\n";
    }
    return out;
}

Dropin parseDropin(std::string_view text, const std::string& fileName) {
    Dropin d;
    auto lines = splitLines(text);
    auto problem = [&](int line, std::string msg) {
        d.problems.push_back({fileName, line, std::move(msg), true});
    };
    for (std::size_t i = 0; i < lines.size(); ++i) {
        auto line = lines[i];
        int lineNo = static_cast<int>(i) + 1;
        auto first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos) continue;
        if (line.substr(0, kMarker.size()) != kMarker) {
            if (line[first] == '#') continue;  // our header, or a comment: harmless
            problem(lineNo, "export line without a marker comment (edited by hand?)");
            continue;
        }
        // "# rpi-netboot serial=bf9fed6f vers=3"
        std::istringstream fields{std::string(line.substr(kMarker.size()))};
        std::string serialText, versText, extra;
        fields >> serialText >> versText >> extra;
        auto serial = Serial::parse(serialText);
        if (!serial || serial->str() != serialText || versText.substr(0, 5) != "vers=" ||
            (versText != "vers=3" && versText != "vers=4") || !extra.empty()) {
            problem(lineNo, "malformed marker \"" + std::string(line) + "\"");
            continue;
        }
        if (i + 1 >= lines.size()) {
            problem(lineNo, "marker for " + serialText + " has no export line after it");
            continue;
        }
        ++i;
        auto parsed = parseExports(lines[i], fileName);
        for (auto& diag : parsed.diagnostics) {
            diag.line = lineNo + 1;
            if (diag.error) d.problems.push_back(diag);
        }
        if (parsed.entries.size() != 1 || parsed.entries[0].clients.size() != 1 ||
            !parsed.entries[0].clients[0].ownOptions) {
            problem(lineNo + 1, "export line for " + serialText + " is not in the form we write");
            continue;
        }
        const auto& e = parsed.entries[0];
        auto client = parseClient(e.clients[0].host);
        if (!client) {
            problem(lineNo + 1, "client \"" + e.clients[0].host + "\" of " + serialText +
                                    " is not an address, CIDR or *");
            continue;
        }
        PiExport r;
        r.serial = *serial;
        r.path = e.path;
        r.client = *client;
        r.options = e.clients[0].options;
        r.nfsVersion = versText == "vers=4" ? 4 : 3;
        if (exportsLine(r) != lines[i]) {
            problem(lineNo + 1, "export line for " + serialText +
                                    " differs from what we would write (edited by hand?)");
            continue;
        }
        auto dup = std::find_if(d.records.begin(), d.records.end(),
                                [&](const PiExport& x) { return x.serial == r.serial; });
        if (dup != d.records.end()) {
            problem(lineNo, "serial " + serialText + " appears twice");
            continue;
        }
        d.records.push_back(std::move(r));
    }
    std::sort(d.records.begin(), d.records.end(),
              [](const PiExport& a, const PiExport& b) { return a.serial < b.serial; });
    return d;
}

bool upsertRecord(std::vector<PiExport>& records, const PiExport& record) {
    auto it = std::find_if(records.begin(), records.end(),
                           [&](const PiExport& r) { return r.serial == record.serial; });
    if (it != records.end()) {
        if (*it == record) return false;
        *it = record;
        return true;
    }
    records.push_back(record);
    std::sort(records.begin(), records.end(),
              [](const PiExport& a, const PiExport& b) { return a.serial < b.serial; });
    return true;
}

bool removeRecord(std::vector<PiExport>& records, const Serial& serial) {
    auto it = std::find_if(records.begin(), records.end(),
                           [&](const PiExport& r) { return r.serial == serial; });
    if (it == records.end()) return false;
    records.erase(it);
    return true;
}

}  // namespace rpinetboot::nfs
