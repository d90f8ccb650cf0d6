// A lease's user context changed the way Kea itself changes one: in a new top-level map. Kea's
// copies of a lease share its user context with the lease store's (Lease4's copy, memfile's
// getLease4/updateLease4 in 2.2, 2.6 and 3.0: docs/kea.md, "Identity"), so a map Kea may hold
// is never changed in place; its entries are shared, not copied.
#pragma once

#include <cc/data.h>

#include <initializer_list>
#include <string>

namespace rpinetboot::kea {

// One entry to set. No key or no value: nothing is set (an entry the context has is kept).
struct ContextEntry {
    const std::string* key = nullptr;  // one the caller keeps, e.g. a constant
    isc::data::ConstElementPtr value;
};

// A new map holding `context`'s entries (none when it is null or not a map, e.g. Kea's "ISC"
// extended info kept) with each of `entries` set over them.
inline isc::data::ElementPtr contextWith(const isc::data::ConstElementPtr& context,
                                         std::initializer_list<ContextEntry> entries) {
    using isc::data::Element;
    const auto out = Element::createMap();
    if (context && context->getType() == Element::map) {
        for (const auto& [key, value] : context->mapValue()) out->set(key, value);
    }
    for (const auto& e : entries) {
        if (e.key && e.value) out->set(*e.key, e.value);
    }
    return out;
}

}  // namespace rpinetboot::kea
