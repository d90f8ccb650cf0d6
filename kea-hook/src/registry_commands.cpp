#include "registry_commands.h"

#include <cc/command_interpreter.h>

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "rpinetboot/util/ipv4.h"

namespace rpinetboot::kea {

using isc::config::createAnswer;
using isc::data::ConstElementPtr;
using isc::data::Element;
using isc::data::ElementPtr;

// Kea's result codes (cc/command_interpreter.h): success, error, empty.
namespace {
constexpr int kSuccess = isc::config::CONTROL_RESULT_SUCCESS;
constexpr int kError = isc::config::CONTROL_RESULT_ERROR;
constexpr int kEmpty = isc::config::CONTROL_RESULT_EMPTY;

// The record to answer of the index's and the lease store's. The lease store's unless the
// index's is newer: the index runs ahead of the store only in the names this server sent last
// (they reach the lease at its next write), so on a tie those come from the index. Seconds
// resolve last-seen: a record another server wrote within the same second is also a tie.
std::optional<PiRecord> newer(std::optional<PiRecord> indexed, std::optional<PiRecord> stored) {
    if (!stored) return indexed;
    if (!indexed || indexed->lastSeen < stored->lastSeen) return stored;
    if (indexed->lastSeen > stored->lastSeen) return indexed;
    if (indexed->address == stored->address && indexed->phase == stored->phase) {
        if (!indexed->hostname.empty()) stored->hostname = indexed->hostname;
        if (!indexed->rootPath.empty()) stored->rootPath = indexed->rootPath;
    }
    return stored;
}

// Every Pi of the index and of `stored`, by MAC.
std::vector<PiRecord> allRecords(const PiRegistry& registry, const PiRegistry* stored) {
    if (!stored) return registry.all();
    std::map<MacAddress, PiRecord> merged;
    for (auto& r : stored->all()) merged.emplace(r.mac, std::move(r));
    for (auto& r : registry.all()) {
        const auto it = merged.find(r.mac);
        if (it == merged.end()) {
            merged.emplace(r.mac, std::move(r));
        } else {
            it->second = *newer(std::move(r), it->second);
        }
    }
    std::vector<PiRecord> out;
    out.reserve(merged.size());
    for (auto& [mac, r] : merged) out.push_back(std::move(r));
    return out;
}

}  // namespace

ConstElementPtr listAnswer(const PiRegistry& registry, const PiRegistry* stored) {
    ElementPtr pis = Element::createList();
    const auto records = allRecords(registry, stored);
    for (const auto& r : records) pis->add(toElement(r));
    ElementPtr args = Element::createMap();
    args->set("pis", pis);
    args->set("count", Element::create(static_cast<long long>(records.size())));
    const std::string text =
        std::to_string(records.size()) + (records.size() == 1 ? " Pi" : " Pis");
    return createAnswer(records.empty() ? kEmpty : kSuccess, text, args);
}

ConstElementPtr getAnswer(const PiRegistry& registry, const ConstElementPtr& arguments,
                          const PiRegistry* stored) {
    const std::string usage =
        "arguments must be a map with exactly one of \"serial\", \"mac\", \"address\"";
    if (!arguments || arguments->getType() != Element::map || arguments->size() != 1) {
        return createAnswer(kError, usage);
    }
    const auto& [key, value] = *arguments->mapValue().begin();
    if (value->getType() != Element::string) {
        return createAnswer(kError, "\"" + key + "\" must be a string");
    }
    const std::string text = value->stringValue();
    std::optional<PiRecord> found;
    if (key == "serial") {
        const auto serial = Serial::parse(text);
        if (!serial) return createAnswer(kError, "\"" + text + "\" is not a Pi serial");
        found =
            newer(registry.bySerial(*serial), stored ? stored->bySerial(*serial) : std::nullopt);
    } else if (key == "mac") {
        const auto mac = MacAddress::parse(text);
        if (!mac) return createAnswer(kError, "\"" + text + "\" is not a MAC address");
        found = newer(registry.byMac(*mac), stored ? stored->byMac(*mac) : std::nullopt);
    } else if (key == "address") {
        const auto address = parseIpv4(text);
        if (!address) return createAnswer(kError, "\"" + text + "\" is not an IPv4 address");
        found = newer(registry.byAddress(*address),
                      stored ? stored->byAddress(*address) : std::nullopt);
    } else {
        return createAnswer(kError, usage);
    }
    if (!found) return createAnswer(kEmpty, "no Pi with " + key + " " + text);
    return createAnswer(kSuccess, "Pi " + found->mac.str(), toElement(*found));
}

}  // namespace rpinetboot::kea
