#include "rpinetboot/nfs/mount_log.h"

#include <nlohmann/json.hpp>

#include "rpinetboot/nfs/client_net.h"

namespace rpinetboot::nfs {
namespace {

constexpr std::string_view kAuthenticated = "authenticated mount request from ";
constexpr std::string_view kRefused = "refused mount request from ";

// "PATH (REAL)" with the rest of the line after it; paths hold no " (" in practice, and a path
// that does is still split at its last " (" before the closing bracket.
bool splitPaths(std::string_view text, MountRequest& out, std::string_view& rest) {
    const auto close = text.find(')', text.rfind(" ("));
    const auto open = text.rfind(" (", close);
    if (open == std::string_view::npos || close == std::string_view::npos || open == 0)
        return false;
    out.path = std::string(text.substr(0, open));
    out.realPath = std::string(text.substr(open + 2, close - open - 2));
    rest = text.substr(close + 1);
    return !out.path.empty() && out.path.front() == '/';
}

std::optional<MountRequest> parseText(std::string_view line) {
    MountRequest r;
    std::string_view text;
    if (auto at = line.find(kAuthenticated); at != std::string_view::npos) {
        text = line.substr(at + kAuthenticated.size());
    } else if (at = line.find(kRefused); at != std::string_view::npos) {
        text = line.substr(at + kRefused.size());
        r.refused = true;
    } else {
        return std::nullopt;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    const auto space = text.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    std::string_view client = text.substr(0, space);
    // "192.0.2.10:850" when authenticated, the bare address when refused.
    if (auto colon = client.find(':'); colon != std::string_view::npos) {
        client = client.substr(0, colon);
    }
    if (!ClientNet::parse(client)) return std::nullopt;
    r.address = std::string(client);
    text.remove_prefix(space + 1);
    if (text.substr(0, 4) != "for ") return std::nullopt;
    text.remove_prefix(4);
    std::string_view rest;
    if (!splitPaths(text, r, rest)) return std::nullopt;
    if (r.refused && rest.substr(0, 2) == ": ") r.reason = std::string(rest.substr(2));
    return r;
}

bool under(const std::string& path, const std::string& dir) {
    return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                           (dir.back() == '/' || path[dir.size()] == '/'));
}

}  // namespace

std::optional<MountRequest> parseMountLog(std::string_view line) {
    if (!line.empty() && line.front() == '{') {
        const auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
        if (!j.is_object()) return std::nullopt;
        auto message = j.find("MESSAGE");
        if (message == j.end() || !message->is_string()) return std::nullopt;
        auto r = parseText(message->get<std::string>());
        if (!r) return r;
        auto ts = j.find("__REALTIME_TIMESTAMP");
        if (ts != j.end() && ts->is_string()) {
            try {
                r->timestampUs = std::stoull(ts->get<std::string>());
            } catch (const std::exception&) {
                r->timestampUs.reset();
            }
        }
        return r;
    }
    return parseText(line);
}

const PiExport* exportForMount(const std::vector<PiExport>& records, const MountRequest& request) {
    for (const auto& r : records) {
        if (under(request.path, r.path) || under(request.realPath, r.path)) return &r;
    }
    return nullptr;
}

}  // namespace rpinetboot::nfs
