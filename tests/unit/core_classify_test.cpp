// Classification rules (docs/protocol/dhcp.md: shape first, OUI only a hint).
#include <catch2/catch.hpp>

#include "rpinetboot/classify.h"
#include "vectors.h"

using namespace rpinetboot;

namespace {
const std::string kPxe(kPiVendorClass);

struct Req {
    std::string vendor = kPxe;
    Bytes list;
    Bytes opt97;
    std::string mac = "dc:a6:32:01:36:c2";
    std::uint32_t xid = 0x12345678;

    Classification run(const ClassifierConfig& config = {}, bool explain = true) const {
        DhcpRequestView v;
        v.vendorClass = vendor;
        if (!list.empty()) v.requestList = ByteSpan(list);
        if (!opt97.empty()) v.option97 = ByteSpan(opt97);
        v.mac = *MacAddress::parse(mac);
        v.xid = xid;
        return classify(v, config, explain);
    }
};

// A PC's PXE ROM: same vendor class, a PC-style request list (RFC 4578 clients ask for these).
const Bytes kPcList = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x0d, 0x0f, 0x11, 0x12, 0x16,
                       0x17, 0x1c, 0x28, 0x29, 0x2a, 0x2b, 0x32, 0x33, 0x36, 0x3a, 0x3b, 0x3c,
                       0x42, 0x43, 0x61, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87};
}  // namespace

TEST_CASE("request lists match as sets, order tells the stage", "[classify]") {
    CHECK(matchRequestList(vectors::kList55A) == RequestListMatch::Rom12);
    CHECK(matchRequestList(vectors::kList55B) == RequestListMatch::Bootcode14);
    CHECK(matchRequestList(vectors::kList55C) == RequestListMatch::Eeprom14);
    Bytes shuffled(vectors::kList55A.rbegin(), vectors::kList55A.rend());
    CHECK(matchRequestList(shuffled) == RequestListMatch::Rom12);
    Bytes shuffled14(vectors::kList55C.rbegin(), vectors::kList55C.rend());
    CHECK(matchRequestList(shuffled14) == RequestListMatch::Unordered14);
    Bytes dup = vectors::kList55A;
    dup[0] = dup[1];
    CHECK(matchRequestList(dup) == RequestListMatch::None);
    CHECK(matchRequestList(kPcList) == RequestListMatch::None);
    CHECK(matchRequestList(Bytes{}) == RequestListMatch::None);
}

TEST_CASE("each shape lands in exactly its class", "[classify]") {
    Req a{kPxe, vectors::kList55A, encodeOption97Rom(), "b8:27:eb:01:02:03", kRomXid};
    auto ca = a.run();
    CHECK(ca.isPi);
    CHECK(ca.piClass == PiModel::Rom3);
    CHECK_FALSE(ca.serial);

    Req b{kPxe, vectors::kList55B, encodeOption97Serial(Serial(0x01020304)), "b8:27:eb:02:03:04",
          kRomXid};
    auto cb = b.run();
    CHECK(cb.isPi);
    CHECK(cb.piClass == PiModel::Bootcode);
    CHECK(cb.serial == Serial(0x01020304));

    Req c{kPxe, vectors::kList55C, vectors::kPi4Option97, vectors::kPi4Mac};
    auto cc = c.run();
    CHECK(cc.isPi);
    CHECK(cc.piClass == PiModel::Pi4);
    CHECK(cc.serial->str() == "bf9fed6f");
    CHECK(className(cc.piClass) == "RPI_NETBOOT_PI4");

    auto mac5 = *MacAddress::parse("2c:cf:67:11:22:33");
    Req d{kPxe, vectors::kList55C,
          encodeOption97FourCC(5, false, 0xd04170, mac5, Serial(0xa1b2c3d4)), "2c:cf:67:11:22:33"};
    auto cd = d.run();
    CHECK(cd.piClass == PiModel::Pi5);
    CHECK(className(cd.piClass) == "RPI_NETBOOT_PI5");
}

TEST_CASE("some late 3B boards send shape B from ROM: classified by shape", "[classify]") {
    Req b{kPxe, vectors::kList55B, encodeOption97Serial(Serial(0x00aabbcc)), "b8:27:eb:aa:bb:cc",
          kRomXid};
    CHECK(b.run().piClass == PiModel::Bootcode);
}

TEST_CASE("an x86 PXE client with the Pi's vendor class is not a Pi", "[classify]") {
    Req pc{kPxe, kPcList, {}, "52:54:00:12:34:56"};
    auto c = pc.run();
    CHECK_FALSE(c.isPi);
    CHECK_FALSE(c.malformed);
    // A PXE UUID in option 97 is not a Pi signal either.
    Bytes uuid = {0,    0x4c, 0x4c, 0x45, 0x44, 0,    0x10, 0x80, 0x33,
                  0x80, 0xb8, 0xc0, 0x4f, 0x50, 0x33, 0x32, 0x31};
    pc.opt97 = uuid;
    CHECK_FALSE(pc.run().isPi);
}

TEST_CASE("every Pi signal alone is enough, the vendor class is required", "[classify]") {
    Req onlyList{kPxe, vectors::kList55A, {}, "52:54:00:12:34:56", kRomXid};
    CHECK(onlyList.run().isPi);
    Req only97{kPxe, kPcList, vectors::kPi4Option97, vectors::kPi4Mac};
    only97.mac = "52:54:00:98:e0:82";
    CHECK(only97.run().isPi);
    Req onlyOui{kPxe, kPcList, {}, "d8:3a:dd:00:00:01"};
    CHECK(onlyOui.run().isPi);
    Req noVendor = onlyList;
    noVendor.vendor = "PXEClient:Arch:00007:UNDI:003016";
    CHECK_FALSE(noVendor.run().isPi);
    noVendor.vendor = "";
    CHECK_FALSE(noVendor.run().isPi);
}

TEST_CASE("require-oui and extra OUIs", "[classify]") {
    ClassifierConfig strict;
    strict.requireOui = true;
    Req foreign{kPxe, vectors::kList55C, vectors::kPi4Option97, "02:00:00:98:e0:82"};
    CHECK(foreign.run().isPi);
    auto c = foreign.run(strict);
    CHECK_FALSE(c.isPi);
    CHECK(c.reason.find("require-oui") != std::string::npos);
    strict.ouis.add(0x020000);
    CHECK(foreign.run(strict).isPi);
}

TEST_CASE("malformed option 97 makes the packet non-Pi, with the reason", "[classify]") {
    Req bad{kPxe, vectors::kList55C, Bytes{0, 1, 2}, vectors::kPi4Mac};
    auto c = bad.run();
    CHECK_FALSE(c.isPi);
    CHECK(c.malformed);
    CHECK(c.reason.find("option 97") != std::string::npos);
}

TEST_CASE("without explain: the same decision, a reason only for a malformed request",
          "[classify]") {
    ClassifierConfig strict;
    strict.requireOui = true;
    const std::pair<Req, ClassifierConfig> cases[] = {
        {{kPxe, vectors::kList55A, encodeOption97Rom(), "b8:27:eb:01:02:03", kRomXid}, {}},
        {{kPxe, vectors::kList55C, vectors::kPi4Option97, vectors::kPi4Mac}, {}},
        {{kPxe, kPcList, Bytes{}, "00:1b:21:aa:bb:cc"}, {}},
        {{"MSFT 5.0", vectors::kList55C, vectors::kPi4Option97, vectors::kPi4Mac}, {}},
        {{kPxe, vectors::kList55C, vectors::kPi4Option97, "02:00:00:98:e0:82"}, strict},
    };
    for (const auto& [req, config] : cases) {
        const Classification full = req.run(config, true);
        const Classification quiet = req.run(config, false);
        INFO(full.reason);
        CHECK_FALSE(full.reason.empty());
        CHECK(quiet.reason.empty());
        CHECK(quiet.isPi == full.isPi);
        CHECK(quiet.malformed == full.malformed);
        CHECK(quiet.piClass == full.piClass);
        CHECK(quiet.serial == full.serial);
        CHECK(quiet.requestList == full.requestList);
        CHECK(quiet.ouiMatch == full.ouiMatch);
        CHECK(quiet.option97.has_value() == full.option97.has_value());
    }
    Req bad{kPxe, vectors::kList55C, Bytes{0, 1, 2}, vectors::kPi4Mac};
    CHECK(bad.run({}, false).reason == bad.run({}, true).reason);
}
