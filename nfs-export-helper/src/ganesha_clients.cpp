#include "rpinetboot/nfs/ganesha_clients.h"

#include <algorithm>
#include <array>

#include "rpinetboot/nfs/client_net.h"

namespace rpinetboot::nfs {
namespace {

std::string shown(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return s.size() > 60 ? out + "..." : out;
}

// Seconds after which a time is taken for garbage: the year 9999, far below int64 microseconds.
constexpr std::uint64_t kMaxSeconds = 253402300799u;

}  // namespace

bool ganeshaClientAddress(std::string_view text, std::string& out, std::string& error) {
    // An IPv4 client of an AF_INET6 socket is printed in its IPv4-mapped form (RFC 4291,
    // section 2.5.5.2); inet_ntop writes the prefix in lower case.
    constexpr std::string_view kMapped = "::ffff:";
    std::string_view host = text;
    if (host.size() > kMapped.size() && host.substr(0, kMapped.size()) == kMapped)
        host.remove_prefix(kMapped.size());
    const auto net = host.find_first_not_of("0123456789.") == std::string_view::npos
                         ? ClientNet::parse(host)
                         : std::nullopt;
    if (!net || !net->isHost()) {
        error = "client address \"" + shown(text) + "\" is not an IPv4 address";
        return false;
    }
    out = std::string(host);
    return true;
}

std::string ganeshaNfsVersions(const std::vector<GaneshaProtocol>& protocols) {
    // server_stats_summary's names for the NFS programs, in version order.
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kVersions{{
        {"NFSv3", "vers=3"},
        {"NFSv40", "vers=4.0"},
        {"NFSv41", "vers=4.1"},
        {"NFSv42", "vers=4.2"},
    }};
    std::string text;
    for (const auto& version : kVersions) {
        // A structured binding cannot be captured in C++17 (clang refuses it): name the member.
        const std::string_view name = version.first;
        const bool used =
            std::any_of(protocols.begin(), protocols.end(),
                        [&](const GaneshaProtocol& p) { return p.used && p.name == name; });
        if (!used) continue;
        if (!text.empty()) text += ' ';
        text += version.second;
    }
    return text;
}

void GaneshaClientsTracker::update(const GaneshaClientList& reply,
                                   const std::function<bool(std::vector<PiExport>&)>& load,
                                   std::vector<GaneshaMount>& mounts,
                                   std::vector<std::string>& warnings) {
    if (reply.truncated && !truncatedReported_)
        warnings.push_back("nfs-ganesha lists more than " + std::to_string(kMaxGaneshaClients) +
                           " clients; only the first are looked at");
    truncatedReported_ = reply.truncated;

    std::vector<std::string> present;
    present.reserve(std::min(reply.clients.size(), kMaxGaneshaClients));
    for (const auto& c : reply.clients) {
        if (present.size() >= kMaxGaneshaClients) break;
        present.push_back(c.address);
    }
    std::sort(present.begin(), present.end());
    present.erase(std::unique(present.begin(), present.end()), present.end());
    seen_.retain(present);
    warned_.retain(present);

    auto warnOnce = [&](const std::string& key, std::string message) {
        if (warned_.contains(key)) return;
        warned_.insert(key);
        warnings.push_back(std::move(message));
    };
    auto remember = [&](const std::string& key) {
        if (!seen_.insert(key) && !fullReported_) {
            warnings.push_back("more than " + std::to_string(kMaxGaneshaClients) +
                               " nfs-ganesha clients to remember");
            fullReported_ = true;
        }
    };

    std::vector<PiExport> records;
    bool loaded = false;
    std::size_t looked = 0;
    std::string address, error;
    for (const auto& c : reply.clients) {
        if (++looked > kMaxGaneshaClients) break;
        if (seen_.contains(c.address)) continue;
        // Until the client sends an NFS request (the MOUNT call comes first with NFSv3) nothing
        // shows that it mounted: look again next time.
        const std::string text = ganeshaNfsVersions(c.protocols);
        if (text.empty()) continue;
        if (!ganeshaClientAddress(c.address, address, error)) {
            warnOnce(c.address, "nfs-ganesha " + error + "; no event");
            remember(c.address);
            continue;
        }
        if (c.lastSeconds > kMaxSeconds || c.lastNanoseconds >= 1000000000u) {
            warnOnce(c.address, "nfs-ganesha client " + address + ": its time " +
                                    std::to_string(c.lastSeconds) + "." +
                                    std::to_string(c.lastNanoseconds) + " is not a time; no event");
            remember(c.address);
            continue;
        }
        if (!loaded) {
            if (!load(records)) return;  // reported by the caller; tried again next time
            loaded = true;
        }
        const PiExport* record = exportForClient(records, address);
        if (!record) {
            warnOnce(c.address, "nfs-ganesha client " + address +
                                    " is not a Pi this tool exports a root to; no event");
            remember(c.address);
            continue;
        }
        GaneshaMount m;
        m.record = *record;
        m.address = address;
        m.text = text;
        m.timestampUs =
            static_cast<std::int64_t>(c.lastSeconds * 1000000u + c.lastNanoseconds / 1000u);
        mounts.push_back(std::move(m));
        remember(c.address);
    }
}

}  // namespace rpinetboot::nfs
