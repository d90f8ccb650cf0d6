#include "fleet.h"

#include <algorithm>
#include <array>
#include <ctime>

namespace rpinetboot::cli {

using nlohmann::json;

const char* fleetUsage() {
    return "Usage: rpi-netboot [--socket PATH] [--json] list\n"
           "       rpi-netboot [--socket PATH] [--json] get serial|mac|address VALUE\n"
           "Print the Raspberry Pis the rpi-netboot Kea hook knows (serial, MAC, model, board,\n"
           "address, phase, hostname, root path, last seen), asking kea-dhcp4 over its control\n"
           "socket.\n"
           "\n"
           "  --socket PATH  Kea's control socket (default /run/kea/kea4-ctrl-socket)\n"
           "  --json         print the records as JSON instead of a table\n"
           "  -h, --help     print this help\n"
           "  --version      print the version\n"
           "\n"
           "Exit status: 0 found, 3 no such Pi (or none known), 1 error, 2 bad usage.\n";
}

std::optional<FleetOptions> parseFleetArgs(const std::vector<std::string>& args,
                                           std::string* error) {
    FleetOptions o;
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help" || a == "--version") {
            o.command = a == "--version" ? "version" : "";
            return o;
        }
        if (a == "--json") {
            o.json = true;
        } else if (a == "--socket") {
            if (i + 1 >= args.size()) {
                *error = "--socket needs a path";
                return std::nullopt;
            }
            o.socket = args[++i];
        } else if (a.rfind("--socket=", 0) == 0) {
            o.socket = a.substr(9);
        } else if (!a.empty() && a[0] == '-') {
            *error = "unknown option " + a;
            return std::nullopt;
        } else {
            rest.push_back(a);
        }
    }
    if (rest.empty()) {
        *error = "a command is needed: list or get";
        return std::nullopt;
    }
    o.command = rest[0];
    if (o.command == "list" && rest.size() == 1) return o;
    if (o.command == "get" && rest.size() == 3 &&
        (rest[1] == "serial" || rest[1] == "mac" || rest[1] == "address")) {
        o.key = rest[1];
        o.value = rest[2];
        return o;
    }
    *error = o.command == "get" ? "usage: get serial|mac|address VALUE"
                                : "unknown command \"" + o.command + "\" (list or get)";
    return std::nullopt;
}

json fleetCommand(const FleetOptions& o) {
    if (o.command == "list") return {{"command", "rpi-netboot-list"}};
    return {{"command", "rpi-netboot-get"}, {"arguments", {{o.key, o.value}}}};
}

namespace {

std::string field(const json& r, const char* key) {
    const auto it = r.find(key);
    if (it == r.end() || it->is_null()) return "-";
    if (it->is_string()) return it->get<std::string>();
    return it->dump();
}

std::string timeOf(const json& r, const char* key) {
    const auto it = r.find(key);
    if (it == r.end() || !it->is_number_integer()) return "-";
    const std::time_t t = it->get<std::int64_t>();
    std::tm tm{};
    char buf[32];
    if (!gmtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        return "-";
    }
    return buf;
}

constexpr std::array<const char*, 9> kColumns = {
    "SERIAL", "MAC", "MODEL", "BOARD", "ADDRESS", "PHASE", "HOSTNAME", "ROOT PATH", "LAST SEEN"};

std::array<std::string, 9> rowOf(const json& r) {
    return {field(r, "serial"),   field(r, "mac"),       field(r, "model"),
            field(r, "board"),    field(r, "address"),   field(r, "phase"),
            field(r, "hostname"), field(r, "root-path"), timeOf(r, "last-seen")};
}

}  // namespace

std::string fleetTable(const json& pis) {
    std::vector<std::array<std::string, 9>> rows;
    std::array<std::string, 9> head;
    for (std::size_t i = 0; i < kColumns.size(); ++i) head[i] = kColumns[i];
    rows.push_back(head);
    if (pis.is_array()) {
        for (const auto& r : pis) {
            if (r.is_object()) rows.push_back(rowOf(r));
        }
    }
    std::array<std::size_t, 9> width{};
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

int printFleetAnswer(const json& answer, const FleetOptions& o, std::string* out) {
    const int result = answer.value("result", 1);
    const std::string text = answer.contains("text") && answer["text"].is_string()
                                 ? answer["text"].get<std::string>()
                                 : std::string();
    const json args = answer.contains("arguments") ? answer["arguments"] : json();
    if (result != 0 && result != 3) {
        *out = "rpi-netboot: Kea answered: " + (text.empty() ? answer.dump() : text) + "\n";
        return 1;
    }
    if (o.command == "list") {
        const json pis = args.is_object() && args.contains("pis") ? args["pis"] : json::array();
        *out = o.json ? pis.dump(2) + "\n" : fleetTable(pis);
        return result == 3 ? 3 : 0;
    }
    if (result == 3) {
        *out = o.json ? std::string("null\n") : text + "\n";
        return 3;
    }
    *out = o.json ? args.dump(2) + "\n" : fleetTable(json::array({args}));
    return 0;
}

}  // namespace rpinetboot::cli
