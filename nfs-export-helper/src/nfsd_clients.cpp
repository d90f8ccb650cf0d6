#include "rpinetboot/nfs/nfsd_clients.h"

#include <algorithm>
#include <charconv>
#include <iterator>

#include "rpinetboot/nfs/client_net.h"

namespace rpinetboot::nfs {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
}

// The next line of `text` (without its newline), advancing `text`.
std::string_view nextLine(std::string_view& text) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return line;
}

std::string shown(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return s.size() > 60 ? out + "..." : out;
}

// "%pISpc" of an IPv4 socket address: "192.0.2.10:876"; an IPv6 one is "[2001:db8::1]:876".
bool parseAddress(std::string_view value, std::string& out, std::string& error) {
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') {
        error = "address is not quoted: " + shown(value);
        return false;
    }
    value = value.substr(1, value.size() - 2);
    if (!value.empty() && value.front() == '[') {
        error = "address " + shown(value) + " is IPv6; Pi roots are exported to IPv4 clients";
        return false;
    }
    const auto colon = value.rfind(':');
    std::string_view host = colon == std::string_view::npos ? value : value.substr(0, colon);
    auto net = ClientNet::parse(host);
    if (!net || !net->isHost()) {
        error = "address " + shown(value) + " is not IPv4 ADDRESS:PORT";
        return false;
    }
    out = std::string(host);
    return true;
}

template <typename T>
bool number(std::string_view s, T& out, int base = 10) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    return ec == std::errc() && end == s.data() + s.size();
}

// `superblock: "MAJ:MIN:INO"` inside a states line.
bool parseSuperblock(std::string_view line, NfsdState& st) {
    constexpr std::string_view kKey = "superblock: \"";
    const auto at = line.find(kKey);
    if (at == std::string_view::npos) return false;
    line.remove_prefix(at + kKey.size());
    const auto close = line.find('"');
    if (close == std::string_view::npos) return false;
    std::string_view sb = line.substr(0, close);
    const auto c1 = sb.find(':');
    const auto c2 = c1 == std::string_view::npos ? c1 : sb.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return false;
    return number(sb.substr(0, c1), st.major, 16) &&
           number(sb.substr(c1 + 1, c2 - c1 - 1), st.minor, 16) &&
           number(sb.substr(c2 + 1), st.inode);
}

}  // namespace

bool parseNfsdClientInfo(std::string_view text, NfsdClientInfo& out, std::string& error) {
    out = NfsdClientInfo{};
    if (text.size() > kMaxInfoBytes) {
        error = "info is " + std::to_string(text.size()) + " bytes, more than the " +
                std::to_string(kMaxInfoBytes) + " an nfsd client's info can be";
        return false;
    }
    bool haveAddress = false, haveMinor = false;
    std::size_t lineNo = 0;
    while (!text.empty()) {
        ++lineNo;
        std::string_view line = trim(nextLine(text));
        if (line.empty()) continue;
        const auto colon = line.find(": ");
        if (colon == std::string_view::npos || colon == 0) {
            error = "line " + std::to_string(lineNo) + " is not \"key: value\": " + shown(line);
            return false;
        }
        const std::string_view key = line.substr(0, colon);
        const std::string_view value = trim(line.substr(colon + 2));
        if (key == "clientid") {
            out.clientId = std::string(value);
        } else if (key == "address") {
            if (!parseAddress(value, out.address, error)) return false;
            haveAddress = true;
        } else if (key == "status") {
            out.status = std::string(value);
        } else if (key == "minor version") {
            if (!number(value, out.minorVersion) || out.minorVersion < 0 || out.minorVersion > 2) {
                error = "minor version " + shown(value) + " is not 0, 1 or 2";
                return false;
            }
            haveMinor = true;
        }
    }
    if (!haveAddress)
        error = "no address line";
    else if (!haveMinor)
        error = "no minor version line";
    return haveAddress && haveMinor;
}

bool parseNfsdStates(std::string_view text, std::vector<NfsdState>& out, std::string& error) {
    out.clear();
    if (text.size() > kMaxStatesBytes) {
        error = "states is " + std::to_string(text.size()) + " bytes, more than the " +
                std::to_string(kMaxStatesBytes) + " read";
        return false;
    }
    std::size_t lineNo = 0;
    while (!text.empty()) {
        ++lineNo;
        std::string_view line = trim(nextLine(text));
        if (line.empty()) continue;
        constexpr std::string_view kType = "{ type: ";
        const auto brace = line.find(kType);
        NfsdState st;
        if (line.substr(0, 2) != "- " || brace == std::string_view::npos || line.back() != '}' ||
            !parseSuperblock(line, st)) {
            error =
                "states line " + std::to_string(lineNo) +
                " is not \"- STATEID: { type: T, ... superblock: \\\"MAJ:MIN:INO\\\" ... }\": " +
                shown(line);
            out.clear();
            return false;
        }
        std::string_view type = line.substr(brace + kType.size());
        type = type.substr(0, type.find(','));
        st.type = std::string(trim(type));
        out.push_back(std::move(st));
    }
    return true;
}

const PiExport* exportForClient(const std::vector<PiExport>& records, std::string_view address) {
    const auto client = ClientNet::parse(address);
    if (!client || !client->isHost()) return nullptr;
    const PiExport* network = nullptr;
    std::size_t networks = 0;
    for (const auto& r : records) {
        if (r.client.isHost()) {
            if (r.client == *client) return &r;
        } else if (r.client.prefix() > 0 && r.client.contains(*client)) {
            // A world export ("*") names no Pi; a network names one only when it is the only one.
            network = &r;
            ++networks;
        }
    }
    return networks == 1 ? network : nullptr;
}

bool statesOnDevice(const std::vector<NfsdState>& states, unsigned major, unsigned minor) {
    return std::any_of(states.begin(), states.end(),
                       [&](const NfsdState& s) { return s.major == major && s.minor == minor; });
}

std::string nfsVersionText(int minorVersion) {
    return "vers=4." + std::to_string(minorVersion);
}

bool SeenClients::contains(const std::string& key) const {
    return std::binary_search(keys_.begin(), keys_.end(), key);
}

bool SeenClients::insert(const std::string& key) {
    const auto at = std::lower_bound(keys_.begin(), keys_.end(), key);
    if (at != keys_.end() && *at == key) return true;
    if (keys_.size() >= capacity_) return false;
    keys_.insert(at, key);
    return true;
}

void SeenClients::retain(const std::vector<std::string>& present) {
    std::vector<std::string> kept;
    kept.reserve(std::min(keys_.size(), present.size()));
    std::set_intersection(keys_.begin(), keys_.end(), present.begin(), present.end(),
                          std::back_inserter(kept));
    keys_.swap(kept);
}

}  // namespace rpinetboot::nfs
