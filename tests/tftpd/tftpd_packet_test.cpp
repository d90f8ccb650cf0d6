// TFTP codec and option negotiation. Packet layouts: RFC 1350 section 5, RFC 2347 (OACK),
// RFC 2348/2349/7440 (option names and ranges).
#include <catch2/catch.hpp>

#include "negotiation.h"
#include "rpinetboot/tftp/packet.h"

using namespace rpinetboot;
using namespace rpinetboot::tftp;
using namespace rpinetboot::tftpd;

namespace {
Bytes raw(const std::string& s) {
    return Bytes(s.begin(), s.end());
}
}  // namespace

TEST_CASE("RRQ as a Pi 4 sends it parses", "[packet]") {
    // Pi 4 EEPROM >= 2022-10: tsize 0, blksize 1468, mode octet (docs/protocol/tftp.md).
    auto p =
        raw(std::string("\x00\x01", 2) + "bf9fed6f/start4.elf" + std::string(1, '\0') + "octet" +
            std::string(1, '\0') + "tsize" + std::string(1, '\0') + "0" + std::string(1, '\0') +
            "BLKSIZE" + std::string(1, '\0') + "1468" + std::string(1, '\0'));
    auto r = parseRequest(p);
    REQUIRE(r);
    CHECK(r->opcode == Opcode::Rrq);
    CHECK(r->filename == "bf9fed6f/start4.elf");
    CHECK(r->mode == "octet");
    REQUIRE(r->options.size() == 2);
    CHECK(r->options[1] == Option{"blksize", "1468"});
    CHECK(buildRequest(Opcode::Rrq, "bf9fed6f/start4.elf", "octet",
                       {{"tsize", "0"}, {"blksize", "1468"}}) ==
          raw(std::string("\x00\x01", 2) + "bf9fed6f/start4.elf" + std::string(1, '\0') + "octet" +
              std::string(1, '\0') + "tsize" + std::string(1, '\0') + "0" + std::string(1, '\0') +
              "blksize" + std::string(1, '\0') + "1468" + std::string(1, '\0')));
}

TEST_CASE("malformed requests are rejected", "[packet]") {
    CHECK_FALSE(parseRequest(raw("")));
    CHECK_FALSE(parseRequest(raw(std::string("\x00\x01", 2) + "name")));  // no terminator
    CHECK_FALSE(parseRequest(raw(std::string("\x00\x01", 2) + "name" + std::string(1, '\0'))));
    CHECK_FALSE(parseRequest(raw(std::string("\x00\x03\x00\x01", 4))));  // DATA
    // A dangling option name is dropped, the request stays valid.
    auto r = parseRequest(raw(std::string("\x00\x01", 2) + "f" + std::string(1, '\0') + "octet" +
                              std::string(1, '\0') + "tsize"));
    REQUIRE(r);
    CHECK(r->options.empty());
}

TEST_CASE("ACK, ERROR, DATA and OACK round trip", "[packet]") {
    CHECK(parseAck(buildAck(0xfffe)) == 0xfffe);
    auto e = parseError(buildError(ErrorCode::FileNotFound, "File not found"));
    REQUIRE(e);
    CHECK(e->code == 1);
    CHECK(e->message == "File not found");
    auto o = parseOack(buildOack({{"tsize", "42"}}));
    REQUIRE(o);
    CHECK(o->size() == 1);
    std::uint8_t h[kHeaderSize];
    writeDataHeader(h, 0x1234);
    CHECK(h[0] == 0);
    CHECK(h[1] == 3);
    CHECK(h[2] == 0x12);
    CHECK(h[3] == 0x34);
    CHECK(peekOpcode(Bytes{0x00}) == std::nullopt);
    CHECK(peekOpcode(Bytes{0x00, 0x09}) == 9);
}

TEST_CASE("negotiation answers only what was asked, once", "[negotiation]") {
    NegotiationLimits limits;
    limits.maxBlockSize = 1468;
    SECTION("Pi 4: tsize and blksize are always acknowledged (firmware#1012)") {
        auto n = negotiate({{"tsize", "0"}, {"blksize", "1468"}}, limits, 123456);
        CHECK(n.blockSize == 1468);
        CHECK(n.oack == Options{{"tsize", "123456"}, {"blksize", "1468"}});
    }
    SECTION("Pi 3 bootcode: tsize only, 512-byte blocks") {
        auto n = negotiate({{"tsize", "0"}}, limits, 52456);
        CHECK(n.blockSize == 512);
        CHECK(n.oack == Options{{"tsize", "52456"}});
    }
    SECTION("no options, no OACK") {
        CHECK(negotiate({}, limits, 1).oack.empty());
    }
    SECTION("the client's tsize value is ignored") {
        CHECK(negotiate({{"tsize", "999"}}, limits, 7).oack == Options{{"tsize", "7"}});
    }
    SECTION("blksize is clamped to the limit") {
        auto n = negotiate({{"blksize", "65464"}}, limits, 1);
        CHECK(n.blockSize == 1468);
    }
    SECTION("malformed or out-of-range blksize is ignored, never below 8") {
        for (const char* v : {"0", "1", "7", "65465", "65535", "abc", "", "-1", "+512", " 512",
                              "99999999999999999999999"}) {
            auto n = negotiate({{"blksize", v}}, limits, 1);
            CHECK(n.blockSize == 512);
            CHECK(n.oack.empty());
        }
        CHECK(negotiate({{"blksize", "8"}}, limits, 1).blockSize == 8);
    }
    SECTION("duplicates: the first one counts, the OACK lists each option once") {
        auto n = negotiate(
            {{"blksize", "1024"}, {"blksize", "1468"}, {"tsize", "0"}, {"tsize", "0"}}, limits, 5);
        CHECK(n.blockSize == 1024);
        CHECK(n.oack == Options{{"blksize", "1024"}, {"tsize", "5"}});
    }
    SECTION("windowsize is capped, 0 refused") {
        CHECK(negotiate({{"windowsize", "65535"}}, limits, 1).windowSize == 8);
        CHECK(negotiate({{"windowsize", "65535"}}, limits, 1).oack == Options{{"windowsize", "8"}});
        CHECK(negotiate({{"windowsize", "0"}}, limits, 1).oack.empty());
        CHECK(negotiate({{"windowsize", "4"}}, limits, 1).windowSize == 4);
    }
    SECTION("timeout 1..255") {
        CHECK(negotiate({{"timeout", "0"}}, limits, 1).oack.empty());
        CHECK(negotiate({{"timeout", "256"}}, limits, 1).oack.empty());
        CHECK(negotiate({{"timeout", "3"}}, limits, 1).timeoutSeconds == 3u);
    }
    SECTION("unknown options are ignored") {
        CHECK(negotiate({{"multicast", ""}, {"utimeout", "1000"}}, limits, 1).oack.empty());
    }
}
