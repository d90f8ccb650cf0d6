#include "rpinetboot/option97.h"

#include <algorithm>

#include "hex.h"

namespace rpinetboot {

namespace {
constexpr std::uint8_t kRomFill = 0x44;

// Magic as sent on the wire: "RPi4"/"RPi5" (EEPROMs up to 2022-01) or "4iPR"/"5iPR" (later).
int fourccModel(const std::uint8_t* m) {
    auto digit = [](std::uint8_t c) { return (c == '4' || c == '5') ? c - '0' : 0; };
    if (m[0] == 'R' && m[1] == 'P' && m[2] == 'i') return digit(m[3]);
    if (m[1] == 'i' && m[2] == 'P' && m[3] == 'R') return digit(m[0]);
    return 0;
}
}  // namespace

std::optional<Option97> parseOption97(ByteSpan data, const MacAddress& chaddr, std::string* error) {
    if (data.size() != kOption97Length) {
        if (error) *error = "option 97 is " + std::to_string(data.size()) + " bytes, expected 17";
        return std::nullopt;
    }
    if (data[0] != 0) {
        if (error) *error = "option 97 type byte is " + std::to_string(data[0]) + ", expected 0";
        return std::nullopt;
    }
    const std::uint8_t* id = data.data() + 1;
    Option97 out;
    if (std::all_of(id, id + 16, [](std::uint8_t b) { return b == kRomFill; })) {
        out.form = Option97Form::RomConstant;
        return out;
    }
    const std::uint32_t first = detail::le32(id);
    if (detail::le32(id + 4) == first && detail::le32(id + 8) == first &&
        detail::le32(id + 12) == first) {
        out.form = Option97Form::SerialRepeated;
        out.serial = Serial(first);
        return out;
    }
    std::copy(id, id + 4, out.magic.begin());
    std::copy(id + 8, id + 12, out.macTail.begin());
    out.boardRevision = detail::le32(id + 4);
    out.macTailZero = std::all_of(id + 8, id + 12, [](std::uint8_t b) { return b == 0; });
    out.macTailMatches = std::equal(id + 8, id + 12, chaddr.bytes().begin() + 2);
    out.fourccModel = fourccModel(id);
    if (out.fourccModel != 0) {
        out.form = Option97Form::FourCC;
    } else if (out.macTailMatches) {
        out.form = Option97Form::CustomMagic;
    } else {
        return Option97{};  // someone else's identifier (e.g. a PXE client's UUID)
    }
    out.serial = Serial(detail::le32(id + 12));
    return out;
}

Bytes encodeOption97Rom() {
    // Type 0, then 16 fill bytes. Built at its final size: GCC 16 (Debian sid) at -O3 reports a
    // false -Warray-bounds for a 1-byte vector grown by insert().
    Bytes out(1 + 16, kRomFill);
    out[0] = 0;
    return out;
}

Bytes encodeOption97Serial(Serial serial) {
    Bytes out{0};
    for (int i = 0; i < 4; ++i) detail::putLe32(out, serial.value());
    return out;
}

Bytes encodeOption97FourCC(int model, bool wireOrderRpi, std::uint32_t boardRevision,
                           const MacAddress& mac, Serial serial) {
    const auto digit = static_cast<std::uint8_t>('0' + model);
    Bytes out{0};
    if (wireOrderRpi) {
        out.insert(out.end(), {'R', 'P', 'i', digit});
    } else {
        out.insert(out.end(), {digit, 'i', 'P', 'R'});
    }
    detail::putLe32(out, boardRevision);
    out.insert(out.end(), mac.bytes().begin() + 2, mac.bytes().end());
    detail::putLe32(out, serial.value());
    return out;
}

}  // namespace rpinetboot
