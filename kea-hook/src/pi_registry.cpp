#include "pi_registry.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "rpinetboot/board_revision.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/util/decimal.h"
#include "rpinetboot/util/hex.h"
#include "user_context.h"

namespace rpinetboot::kea {

using isc::data::ConstElementPtr;
using isc::data::Element;
using isc::data::ElementPtr;

const char* phaseName(PiPhase phase) {
    return phase == PiPhase::Os ? "os" : "boot";
}

bool PiRecord::operator==(const PiRecord& o) const {
    return mac == o.mac && serial == o.serial && model == o.model &&
           boardRevision == o.boardRevision && address == o.address && phase == o.phase &&
           firstSeen == o.firstSeen && lastSeen == o.lastSeen && hostname == o.hostname &&
           rootPath == o.rootPath;
}

bool differsBeyondLastSeen(const PiRecord& a, const PiRecord& b) {
    return !(a.mac == b.mac && a.serial == b.serial && a.model == b.model &&
             a.boardRevision == b.boardRevision && a.address == b.address && a.phase == b.phase &&
             a.firstSeen == b.firstSeen && a.hostname == b.hostname && a.rootPath == b.rootPath);
}

bool recordWriteDue(const std::optional<PiRecord>& stored, const PiRecord& record) {
    return !stored || differsBeyondLastSeen(*stored, record);
}

namespace {

std::string hex32(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

// The string member `key` of `map`, or nullopt (absent or not a string).
std::optional<std::string> stringAt(const ConstElementPtr& map, const std::string& key) {
    const ConstElementPtr v = map->get(key);
    if (!v || v->getType() != Element::string) return std::nullopt;
    return v->stringValue();
}

std::optional<std::int64_t> integerAt(const ConstElementPtr& map, const std::string& key) {
    const ConstElementPtr v = map->get(key);
    if (!v || v->getType() != Element::integer) return std::nullopt;
    return v->intValue();
}

}  // namespace

ElementPtr toElement(const PiRecord& r) {
    ElementPtr m = Element::createMap();
    if (r.serial) m->set("serial", Element::create(r.serial->str()));
    m->set("mac", Element::create(r.mac.str()));
    m->set("model", Element::create(std::string(piModelName(r.model))));
    m->set("class", Element::create(std::string(className(r.model))));
    if (r.boardRevision) {
        m->set("board-revision", Element::create(hex32(r.boardRevision)));
        if (const auto decoded = decodeBoardRevision(r.boardRevision)) {
            m->set("board", Element::create(decoded->describe()));
        }
    }
    m->set("address", Element::create(ipv4ToString(r.address)));
    m->set("phase", Element::create(std::string(phaseName(r.phase))));
    m->set("first-seen", Element::create(static_cast<long long>(r.firstSeen)));
    m->set("last-seen", Element::create(static_cast<long long>(r.lastSeen)));
    if (!r.hostname.empty()) m->set("hostname", Element::create(r.hostname));
    if (!r.rootPath.empty()) m->set("root-path", Element::create(r.rootPath));
    return m;
}

std::optional<PiRecord> recordFromElement(const ConstElementPtr& e, std::string* error) {
    const auto fail = [error](const std::string& why) -> std::optional<PiRecord> {
        if (error) *error = why;
        return std::nullopt;
    };
    try {
        if (!e || e->getType() != Element::map) return fail("not a map");
        PiRecord r;
        const auto mac = stringAt(e, "mac");
        const auto parsedMac = mac ? MacAddress::parse(*mac) : std::nullopt;
        if (!parsedMac) return fail("no valid \"mac\"");
        r.mac = *parsedMac;
        if (e->contains("serial")) {
            const auto serial = stringAt(e, "serial");
            r.serial = serial ? Serial::parse(*serial) : std::nullopt;
            if (!r.serial) return fail("\"serial\" is not a Pi serial");
        }
        const auto model = stringAt(e, "model");
        const auto parsedModel = model ? parsePiModel(*model) : std::nullopt;
        if (!parsedModel) return fail("no valid \"model\"");
        r.model = *parsedModel;
        if (e->contains("board-revision")) {
            const auto rev = stringAt(e, "board-revision");
            unsigned v = 0;
            char tail = 0;
            if (!rev || std::sscanf(rev->c_str(), "0x%x%c", &v, &tail) != 1) {
                return fail("\"board-revision\" is not 0x and hex digits");
            }
            r.boardRevision = v;
        }
        const auto address = stringAt(e, "address");
        const auto parsedAddress = address ? parseIpv4(*address) : std::nullopt;
        if (!parsedAddress) return fail("no valid \"address\"");
        r.address = *parsedAddress;
        const auto phase = stringAt(e, "phase");
        if (phase == std::optional<std::string>("boot")) {
            r.phase = PiPhase::Boot;
        } else if (phase == std::optional<std::string>("os")) {
            r.phase = PiPhase::Os;
        } else {
            return fail("no valid \"phase\"");
        }
        const auto first = integerAt(e, "first-seen");
        const auto last = integerAt(e, "last-seen");
        if (!first || !last || *first < 0 || *last < *first) {
            return fail("\"first-seen\"/\"last-seen\" missing or out of order");
        }
        r.firstSeen = *first;
        r.lastSeen = *last;
        r.hostname = stringAt(e, "hostname").value_or("");
        r.rootPath = stringAt(e, "root-path").value_or("");
        return r;
    } catch (const std::exception& ex) {
        return fail(ex.what());
    }
}

namespace {

constexpr std::string_view kLeaseTextVersion = "2";
constexpr std::size_t kLeaseTextFields = 11;

std::optional<std::uint32_t> parseHex8(std::string_view text) {
    if (text.size() != 8) return std::nullopt;
    std::uint32_t v = 0;
    for (const char c : text) {
        const auto d = hexDigit(c);
        if (!d) return std::nullopt;
        v = (v << 4) | *d;
    }
    return v;
}

}  // namespace

std::string toLeaseText(const PiRecord& r) {
    // Written per lease write of a Pi: the fields before the names go into a buffer, and the
    // text is made with one allocation (a string per field, as to_string and ipv4ToString make,
    // cost more than the rest of the record).
    static constexpr char kDigits[] = "0123456789abcdef";
    // Version, MAC, serial, model and phase names (a few characters each), board revision,
    // address, two 64-bit decimals and ten separators: well under its size.
    std::array<char, 192> head;
    char* p = head.data();
    const auto put = [&p](std::string_view name) { p = std::copy(name.begin(), name.end(), p); };
    const auto putDecimal = [&put](std::int64_t v) {  // what std::to_string writes
        char digits[24];
        put(std::string_view(
            digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, v).ptr -
                                             digits)));
    };
    const auto putHex8 = [&p](std::uint32_t v) {
        for (int shift = 28; shift >= 0; shift -= 4) *p++ = kDigits[(v >> shift) & 15];
    };
    put(kLeaseTextVersion);
    *p++ = ';';
    // The MAC as MacAddress::str() writes it.
    for (std::size_t i = 0; i < r.mac.bytes().size(); ++i) {
        if (i) *p++ = ':';
        *p++ = kDigits[r.mac.bytes()[i] >> 4];
        *p++ = kDigits[r.mac.bytes()[i] & 15];
    }
    *p++ = ';';
    if (r.serial) putHex8(r.serial->value());  // as Serial::str()
    *p++ = ';';
    put(piModelName(r.model));
    *p++ = ';';
    if (r.boardRevision) putHex8(r.boardRevision);
    *p++ = ';';
    p = writeIpv4(p, r.address);
    *p++ = ';';
    put(phaseName(r.phase));
    *p++ = ';';
    putDecimal(r.firstSeen);
    *p++ = ';';
    putDecimal(r.lastSeen);
    *p++ = ';';
    // A hostname with ';' cannot come from a template (identity_config.h): never written so.
    const bool hostname = r.hostname.find(';') == std::string::npos;
    std::string out;
    out.reserve(static_cast<std::size_t>(p - head.data()) + r.hostname.size() + 1 +
                r.rootPath.size());
    out.append(head.data(), p);
    if (hostname) out += r.hostname;
    out += ';';
    out += r.rootPath;
    return out;
}

std::optional<PiRecord> recordFromLeaseText(std::string_view text, std::string* error) {
    const auto fail = [error](const char* why) -> std::optional<PiRecord> {
        if (error) *error = why;
        return std::nullopt;
    };
    std::array<std::string_view, kLeaseTextFields> f;
    std::size_t n = 0;
    std::size_t start = 0;
    // The last field (the root path) is the rest of the text, ';' included.
    while (n + 1 < kLeaseTextFields) {
        const std::size_t end = text.find(';', start);
        if (end == std::string_view::npos) break;
        f[n++] = text.substr(start, end - start);
        start = end + 1;
    }
    if (n + 1 != kLeaseTextFields) return fail("not a record: too few ';'-separated fields");
    f[n] = text.substr(start);
    if (f[0] != kLeaseTextVersion) return fail("not a record of format version 2");
    PiRecord r;
    const auto mac = MacAddress::parse(f[1]);
    if (!mac) return fail("no valid MAC");
    r.mac = *mac;
    if (!f[2].empty()) {
        r.serial = Serial::parse(f[2]);
        if (!r.serial) return fail("the serial is not a Pi serial");
    }
    const auto model = parsePiModel(f[3]);
    if (!model) return fail("no valid model");
    r.model = *model;
    if (!f[4].empty()) {
        const auto rev = parseHex8(f[4]);
        if (!rev) return fail("the board revision is not 8 hex digits");
        r.boardRevision = *rev;
    }
    const auto address = parseIpv4(f[5]);
    if (!address) return fail("no valid address");
    r.address = *address;
    if (f[6] == "boot") {
        r.phase = PiPhase::Boot;
    } else if (f[6] == "os") {
        r.phase = PiPhase::Os;
    } else {
        return fail("no valid phase");
    }
    constexpr auto kMaxTime = static_cast<std::uint64_t>(INT64_MAX);
    const auto first = parseDecimal(f[7], kMaxTime);
    const auto last = parseDecimal(f[8], kMaxTime);
    if (!first || !last || *last < *first)
        return fail("first-seen/last-seen missing or out of order");
    r.firstSeen = static_cast<std::int64_t>(*first);
    r.lastSeen = static_cast<std::int64_t>(*last);
    r.hostname = std::string(f[9]);
    r.rootPath = std::string(f[10]);
    return r;
}

const std::string& recordContextKey() {
    static const std::string key = kRegistryContextKey;
    return key;
}

ElementPtr contextWithRecord(const ConstElementPtr& context, const PiRecord& record) {
    return contextWith(context, {{&recordContextKey(), Element::create(toLeaseText(record))}});
}

std::optional<PiRecord> recordInContext(const ConstElementPtr& context, std::string* error) {
    if (!context || context->getType() != Element::map) return std::nullopt;
    const ConstElementPtr mine = context->get(kRegistryContextKey);
    if (!mine) return std::nullopt;
    if (mine->getType() == Element::string) return recordFromLeaseText(mine->stringValue(), error);
    // The map versions before the lease text wrote (leases from before an upgrade).
    return recordFromElement(mine, error);
}

std::optional<PiRecord> PiRegistry::byMac(const MacAddress& mac) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = byMac_.find(mac);
    if (it == byMac_.end()) return std::nullopt;
    return it->second;
}

std::optional<PiRecord> PiRegistry::bySerial(Serial serial) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    const PiRecord* best = nullptr;
    for (const auto& [mac, r] : byMac_) {
        if (r.serial == serial && (!best || r.lastSeen > best->lastSeen)) best = &r;
    }
    return best ? std::optional<PiRecord>(*best) : std::nullopt;
}

std::optional<PiRecord> PiRegistry::byAddress(std::uint32_t address) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [mac, r] : byMac_) {
        if (r.address == address) return r;
    }
    return std::nullopt;
}

std::vector<PiRecord> PiRegistry::all() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::vector<PiRecord> out;
    out.reserve(byMac_.size());
    for (const auto& [mac, r] : byMac_) out.push_back(r);
    return out;
}

std::size_t PiRegistry::size() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return byMac_.size();
}

bool PiRegistry::put(const PiRecord& record) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = byMac_.find(record.mac);
    if (it != byMac_.end()) {
        it->second = record;
        return true;
    }
    if (byMac_.size() >= max_) return false;
    byMac_.emplace(record.mac, record);
    const std::size_t bit = filterBit(record.mac);
    filter_[bit / 64].fetch_or(std::uint64_t{1} << (bit % 64), std::memory_order_release);
    return true;
}

bool PiRegistry::remove(const MacAddress& mac, std::uint32_t address) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = byMac_.find(mac);
    if (it == byMac_.end() || it->second.address != address) return false;
    byMac_.erase(it);
    return true;
}

void PiRegistry::clear() {
    const std::lock_guard<std::mutex> lock(mutex_);
    byMac_.clear();
    for (auto& word : filter_) word.store(0, std::memory_order_release);
    loaded_ = false;
}

bool PiRegistry::loaded() const {
    return loaded_.load(std::memory_order_acquire);
}

void PiRegistry::setLoaded(bool loaded) {
    loaded_.store(loaded, std::memory_order_release);
}

bool LeaseMisses::recent(const MacAddress& mac, std::int64_t now) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = expiry_.find(mac);
    if (it == expiry_.end()) return false;
    if (now < it->second && it->second - now <= ttl_) return true;  // a clock set back: expired
    expiry_.erase(it);
    return false;
}

void LeaseMisses::add(const MacAddress& mac, std::int64_t now) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (max_ == 0) return;
    if (expiry_.size() >= max_ && expiry_.find(mac) == expiry_.end()) {
        // Full: the entry that ends first goes (a linear scan, only when full).
        auto oldest = expiry_.begin();
        for (auto it = expiry_.begin(); it != expiry_.end(); ++it) {
            if (it->second < oldest->second) oldest = it;
        }
        expiry_.erase(oldest);
    }
    expiry_[mac] = now + ttl_;
}

void LeaseMisses::forget(const MacAddress& mac) {
    const std::lock_guard<std::mutex> lock(mutex_);
    expiry_.erase(mac);
}

void LeaseMisses::clear() {
    const std::lock_guard<std::mutex> lock(mutex_);
    expiry_.clear();
}

std::size_t LeaseMisses::size() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return expiry_.size();
}

}  // namespace rpinetboot::kea
