// Network byte order fields (RFC 1700 "Data Notation": most significant byte first).
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "rpinetboot/util/big_endian.h"

using namespace rpinetboot;

TEST_CASE("readBe16 and readBe32 read most significant byte first", "[util][big-endian]") {
    const std::uint8_t b[] = {0x63, 0x82, 0x53, 0x63, 0xff, 0x01};
    CHECK(readBe16(b) == 0x6382);
    CHECK(readBe16(b + 4) == 0xff01);
    CHECK(readBe32(b) == 0x63825363u);  // the DHCP magic cookie (RFC 2131 section 3)
    CHECK(readBe32(b + 2) == 0x5363ff01u);
}

TEST_CASE("appendBe16 and appendBe32 write what the readers read", "[util][big-endian]") {
    std::vector<std::uint8_t> out;
    appendBe16(out, 0x0003);  // TFTP DATA opcode
    appendBe32(out, 0xC0000201u);
    CHECK(out == std::vector<std::uint8_t>{0x00, 0x03, 0xC0, 0x00, 0x02, 0x01});
    CHECK(readBe16(out.data()) == 3);
    CHECK(readBe32(out.data() + 2) == 0xC0000201u);
    std::string text;
    appendBe16(text, 0xffff);
    CHECK(text == std::string("\xff\xff"));
}

TEST_CASE("writeBe16 and writeBe32 overwrite a field in place", "[util][big-endian]") {
    std::uint8_t b[8] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
    writeBe16(b + 1, 0x1234);
    writeBe32(b + 3, 0xC6336401u);
    CHECK(std::vector<std::uint8_t>(b, b + 8) ==
          std::vector<std::uint8_t>{0xaa, 0x12, 0x34, 0xC6, 0x33, 0x64, 0x01, 0xaa});
    CHECK(readBe16(b + 1) == 0x1234);
    CHECK(readBe32(b + 3) == 0xC6336401u);
}
