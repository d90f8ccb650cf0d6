// Option 97 forms (docs/protocol/dhcp.md, "Option 97: client machine identifier").
#include <catch2/catch.hpp>

#include "rpinetboot/option97.h"
#include "vectors.h"

using namespace rpinetboot;

namespace {
const MacAddress kMac = *MacAddress::parse(vectors::kPi4Mac);
}

TEST_CASE("the published Pi 4 option 97 decodes to its serial, revision and MAC", "[option97]") {
    std::string error;
    auto o = parseOption97(vectors::kPi4Option97, kMac, &error);
    REQUIRE(o);
    CHECK(o->form == Option97Form::FourCC);
    CHECK(o->fourccModel == 4);
    CHECK(o->serial->str() == "bf9fed6f");
    CHECK(o->boardRevision == vectors::kPi4Revision);
    CHECK(o->macTailMatches);
    CHECK_FALSE(o->macTailZero);
}

TEST_CASE("the FourCC encoder reproduces the published vector", "[option97]") {
    CHECK(encodeOption97FourCC(4, false, vectors::kPi4Revision, kMac,
                               Serial(vectors::kPi4Serial)) == vectors::kPi4Option97);
}

TEST_CASE("both magic byte orders and Pi 5 are recognised", "[option97]") {
    for (bool rpiOrder : {true, false}) {
        for (int model : {4, 5}) {
            auto bytes = encodeOption97FourCC(model, rpiOrder, 0xc04170, kMac, Serial(0x12345678));
            CHECK(bytes[rpiOrder ? 4 : 1] == '0' + model);
            auto o = parseOption97(bytes, kMac, nullptr);
            REQUIRE(o);
            CHECK(o->form == Option97Form::FourCC);
            CHECK(o->fourccModel == model);
            CHECK(o->serial == Serial(0x12345678));
        }
    }
}

TEST_CASE("early Pi 4 firmware with a zero MAC part still parses, flagged", "[option97]") {
    auto bytes = vectors::kPi4Option97;
    for (int i = 9; i < 13; ++i) bytes[i] = 0;
    auto o = parseOption97(bytes, kMac, nullptr);
    REQUIRE(o);
    CHECK(o->macTailZero);
    CHECK_FALSE(o->macTailMatches);
    CHECK(o->serial->str() == "bf9fed6f");
}

TEST_CASE("shape A is sixteen 0x44 bytes with no serial", "[option97]") {
    auto bytes = encodeOption97Rom();
    REQUIRE(bytes.size() == 17);
    CHECK(bytes[0] == 0);
    CHECK(bytes[16] == 0x44);
    auto o = parseOption97(bytes, kMac, nullptr);
    REQUIRE(o);
    CHECK(o->form == Option97Form::RomConstant);
    CHECK_FALSE(o->serial);
}

TEST_CASE("shape B repeats le32(serial) four times", "[option97]") {
    auto bytes = encodeOption97Serial(Serial(0xbf9fed6f));
    CHECK(bytes == Bytes{0, 0x6f, 0xed, 0x9f, 0xbf, 0x6f, 0xed, 0x9f, 0xbf, 0x6f, 0xed, 0x9f, 0xbf,
                         0x6f, 0xed, 0x9f, 0xbf});
    auto o = parseOption97(bytes, kMac, nullptr);
    REQUIRE(o);
    CHECK(o->form == Option97Form::SerialRepeated);
    CHECK(o->serial->str() == "bf9fed6f");
}

TEST_CASE("a custom DHCP_OPTION97 magic is recognised by the MAC tail", "[option97]") {
    auto bytes = vectors::kPi4Option97;
    bytes[1] = 'A', bytes[2] = 'C', bytes[3] = 'M', bytes[4] = 'E';
    auto o = parseOption97(bytes, kMac, nullptr);
    REQUIRE(o);
    CHECK(o->form == Option97Form::CustomMagic);
    CHECK(o->serial->str() == "bf9fed6f");
    // The same bytes from another MAC are somebody else's identifier.
    auto other = parseOption97(bytes, *MacAddress::parse("00:11:22:33:44:55"), nullptr);
    REQUIRE(other);
    CHECK(other->form == Option97Form::Unknown);
    CHECK_FALSE(other->serial);
}

TEST_CASE("malformed option 97 is an error, not a guess", "[option97]") {
    std::string error;
    CHECK_FALSE(parseOption97(Bytes{}, kMac, &error));
    CHECK(error.find("0 bytes") != std::string::npos);
    CHECK_FALSE(parseOption97(Bytes(16, 0), kMac, &error));
    auto wrongType = vectors::kPi4Option97;
    wrongType[0] = 1;
    CHECK_FALSE(parseOption97(wrongType, kMac, &error));
    CHECK(error.find("type byte") != std::string::npos);
    CHECK_FALSE(parseOption97(Bytes(18, 0), kMac, &error));
}
