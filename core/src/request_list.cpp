#include "rpinetboot/request_list.h"

#include <algorithm>
#include <bitset>

namespace rpinetboot {

namespace {
template <std::size_t N>
bool sameOrder(ByteSpan codes, const std::array<std::uint8_t, N>& expected) {
    return codes.size() == N && std::equal(codes.begin(), codes.end(), expected.begin());
}
}  // namespace

RequestListMatch matchRequestList(ByteSpan codes) {
    if (codes.size() != kRomRequestList.size() && codes.size() != kBootcodeRequestList.size()) {
        return RequestListMatch::None;
    }
    // The lists as the Pis send them, first: what the set comparison below would conclude for
    // them (each list holds its codes once), without building the sets on every Pi query.
    if (sameOrder(codes, kRomRequestList)) return RequestListMatch::Rom12;
    if (sameOrder(codes, kBootcodeRequestList)) return RequestListMatch::Bootcode14;
    if (sameOrder(codes, kEepromRequestList)) return RequestListMatch::Eeprom14;
    std::bitset<256> seen;
    for (std::uint8_t c : codes) {
        if (seen.test(c)) return RequestListMatch::None;  // duplicates: not a Pi list
        seen.set(c);
    }
    std::bitset<256> rom;
    for (std::uint8_t c : kRomRequestList) rom.set(c);
    if (codes.size() == kRomRequestList.size()) {
        return seen == rom ? RequestListMatch::Rom12 : RequestListMatch::None;
    }
    std::bitset<256> full = rom;
    full.set(0x01);
    full.set(0x03);
    if (seen != full) return RequestListMatch::None;
    if (sameOrder(codes, kBootcodeRequestList)) return RequestListMatch::Bootcode14;
    if (sameOrder(codes, kEepromRequestList)) return RequestListMatch::Eeprom14;
    return RequestListMatch::Unordered14;
}

ByteSpan requestListOf(RequestListMatch signature) {
    switch (signature) {
        case RequestListMatch::Rom12:
            return kRomRequestList;
        case RequestListMatch::Bootcode14:
            return kBootcodeRequestList;
        case RequestListMatch::Eeprom14:
            return kEepromRequestList;
        case RequestListMatch::Unordered14:
        case RequestListMatch::None:
            break;
    }
    return {};
}

}  // namespace rpinetboot
