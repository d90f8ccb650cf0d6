#include "tftp_nodes_config.h"

#include <set>

#include "config_values.h"
#include "hook_config.h"
#include "rpinetboot/util/ipv4.h"

namespace rpinetboot::kea {

using isc::data::ConstElementPtr;
using isc::data::Element;

namespace {

TftpNode parseNode(const std::string& name, const ConstElementPtr& value) {
    if (value->getType() == Element::string) return TftpNode{unicastOf(name, value), false};
    if (value->getType() != Element::map) {
        failParameter(name, value, "must be an address string or a map {\"address\", \"drain\"}");
    }
    TftpNode node;
    bool hasAddress = false;
    for (const auto& [key, item] : value->mapValue()) {
        const std::string itemName = name + "." + key;
        if (key == "address") {
            node.address = unicastOf(itemName, item);
            hasAddress = true;
        } else if (key == "drain") {
            if (item->getType() != Element::boolean)
                failParameter(itemName, item, "must be a boolean");
            node.drain = item->boolValue();
        } else {
            failParameter(itemName, item, "unknown key (expected \"address\", \"drain\")");
        }
    }
    if (!hasAddress) failParameter(name, value, "needs an \"address\"");
    return node;
}

TftpNodeGroup parseGroup(const std::string& name, const ConstElementPtr& value) {
    if (value->getType() != Element::map) failParameter(name, value, "must be a map");
    TftpNodeGroup group;
    bool hasNodes = false;
    for (const auto& [key, item] : value->mapValue()) {
        const std::string itemName = name + "." + key;
        if (key == "subnet") {
            group.subnet = Ipv4Prefix::parse(stringOf(itemName, item));
            if (!group.subnet) {
                failParameter(itemName, item,
                              "must be an IPv4 prefix with zero host bits, e.g. "
                              "\"192.0.2.0/24\"");
            }
        } else if (key == "client-class") {
            group.clientClass = stringOf(itemName, item);
            if (group.clientClass->empty()) failParameter(itemName, item, "must not be empty");
        } else if (key == "serial-range") {
            if (item->getType() != Element::list || item->size() != 2) {
                failParameter(itemName, item, "must be a list of two serials [first, last]");
            }
            group.serialFirst = serialOf(itemName + "[0]", item->get(0));
            group.serialLast = serialOf(itemName + "[1]", item->get(1));
            if (*group.serialLast < *group.serialFirst) {
                failParameter(itemName, item, "the first serial is above the last");
            }
        } else if (key == "nodes") {
            if (item->getType() != Element::list || item->empty()) {
                failParameter(itemName, item, "must be a non-empty list of nodes");
            }
            hasNodes = true;
            std::set<std::uint32_t> seen;
            bool anyActive = false;
            for (std::size_t i = 0; i < item->size(); ++i) {
                const std::string nodeName = itemName + "[" + std::to_string(i) + "]";
                const TftpNode node = parseNode(nodeName, item->get(static_cast<int>(i)));
                if (!seen.insert(node.address).second) {
                    failParameter(
                        nodeName, item->get(static_cast<int>(i)),
                        "address " + ipv4ToString(node.address) + " appears twice in the group");
                }
                anyActive = anyActive || !node.drain;
                group.nodes.push_back(node);
            }
            if (!anyActive) {
                failParameter(
                    itemName, item,
                    "every node is drained: undrain one, or remove the group (its Pis then "
                    "fall through to the next group or to tftp-server)");
            }
        } else {
            failParameter(itemName, item,
                          "unknown key (expected \"subnet\", \"client-class\", \"serial-range\", "
                          "\"nodes\")");
        }
    }
    if (!hasNodes) failParameter(name, value, "needs \"nodes\"");
    return group;
}

}  // namespace

std::vector<TftpNodeGroup> parseTftpGroups(const std::string& name, const ConstElementPtr& value) {
    if (value->getType() != Element::list) failParameter(name, value, "must be a list of groups");
    std::vector<TftpNodeGroup> groups;
    for (std::size_t i = 0; i < value->size(); ++i) {
        groups.push_back(
            parseGroup(name + "[" + std::to_string(i) + "]", value->get(static_cast<int>(i))));
    }
    return groups;
}

std::string describeTftpGroups(const std::vector<TftpNodeGroup>& groups) {
    std::size_t nodes = 0;
    std::string drained;
    for (const auto& group : groups) {
        for (const auto& node : group.nodes) {
            ++nodes;
            if (node.drain) drained += (drained.empty() ? "" : " ") + ipv4ToString(node.address);
        }
    }
    const auto count = [](std::size_t n, const char* what) {
        return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
    };
    return count(groups.size(), "group") + ", " + count(nodes, "node") +
           (drained.empty() ? std::string() : ", drained: " + drained);
}

}  // namespace rpinetboot::kea
