// Reading one hook parameter value: the type and range checks every parameter parser shares, each
// failing with a ConfigError that names the parameter (with its index, e.g. "clients[1].serial")
// and the value, so Kea refuses the configuration with a message the admin can act on.
#pragma once

#include <cc/data.h>

#include <cstdint>
#include <string>

#include "rpinetboot/serial.h"

namespace rpinetboot::kea {

[[noreturn]] void failParameter(const std::string& name, const isc::data::ConstElementPtr& value,
                                const std::string& why);

void expectType(const std::string& name, const isc::data::ConstElementPtr& value,
                isc::data::Element::types type);

std::string stringOf(const std::string& name, const isc::data::ConstElementPtr& value);

// A unicast IPv4 address in dotted-quad text, host order.
std::uint32_t unicastOf(const std::string& name, const isc::data::ConstElementPtr& value);

Serial serialOf(const std::string& name, const isc::data::ConstElementPtr& value);

std::uint32_t integerIn(const std::string& name, const isc::data::ConstElementPtr& value,
                        std::uint32_t min, std::uint32_t max);

// Calls each(name "[i]", item) for every item of a list value.
template <typename F>
void forEachListItem(const std::string& name, const isc::data::ConstElementPtr& value, F each) {
    expectType(name, value, isc::data::Element::list);
    const auto& items = value->listValue();
    for (std::size_t i = 0; i < items.size(); ++i) {
        each(name + "[" + std::to_string(i) + "]", isc::data::ConstElementPtr(items[i]));
    }
}

}  // namespace rpinetboot::kea
