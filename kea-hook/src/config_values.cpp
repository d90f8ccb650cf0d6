#include "config_values.h"

#include "hook_config.h"
#include "rpinetboot/util/ipv4.h"

namespace rpinetboot::kea {

using isc::data::ConstElementPtr;
using isc::data::Element;

void failParameter(const std::string& name, const ConstElementPtr& value, const std::string& why) {
    throw ConfigError("parameter '" + name + "' value " + (value ? value->str() : "null") + ": " +
                      why);
}

void expectType(const std::string& name, const ConstElementPtr& value, Element::types type) {
    if (value->getType() != type) {
        const std::string kind = Element::typeToName(type);
        failParameter(name, value, (kind.front() == 'i' ? "must be an " : "must be a ") + kind);
    }
}

std::string stringOf(const std::string& name, const ConstElementPtr& value) {
    expectType(name, value, Element::string);
    return value->stringValue();
}

std::uint32_t unicastOf(const std::string& name, const ConstElementPtr& value) {
    const auto addr = parseIpv4(stringOf(name, value));
    // The Pi needs a unicast address it can reach, as dotted-quad text (it has no resolver:
    // raspberrypi/firmware#801).
    if (!addr || *addr == 0 || *addr == 0xffffffff || (*addr >> 28) == 0xe) {
        failParameter(name, value, "must be a unicast IPv4 address in dotted-quad form");
    }
    return *addr;
}

Serial serialOf(const std::string& name, const ConstElementPtr& value) {
    const auto serial = Serial::parse(stringOf(name, value));
    if (!serial) failParameter(name, value, "must be a Pi serial: 8 hex digits, e.g. \"bf9fed6f\"");
    return *serial;
}

std::uint32_t integerIn(const std::string& name, const ConstElementPtr& value, std::uint32_t min,
                        std::uint32_t max) {
    expectType(name, value, Element::integer);
    const auto n = value->intValue();
    if (n < static_cast<std::int64_t>(min) || n > static_cast<std::int64_t>(max)) {
        failParameter(
            name, value,
            "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return static_cast<std::uint32_t>(n);
}

}  // namespace rpinetboot::kea
