// The boot storm's fleet: distinct identities that core itself recognises as the intended Pis,
// and the TFTP walks the storm expects of each stage. docs/protocol/dhcp.md (MACs, serials, shapes)
// and docs/protocol/tftp.md (walks).
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "pi_fleet.h"
#include "rpinetboot/classify.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"

using namespace rpinetboot;

namespace {

Classification classifyDiscover(const PiIdentity& pi) {
    std::string error;
    const Bytes bytes = buildDiscover(pi);
    const auto p = parseDhcpPacket(bytes, &error);
    REQUIRE(p);
    DhcpRequestView v;
    const Bytes* vc = p->option(kOptionVendorClass);
    REQUIRE(vc);
    v.vendorClass = std::string_view(reinterpret_cast<const char*>(vc->data()), vc->size());
    if (const Bytes* prl = p->option(kOptionParameterRequestList)) v.requestList = *prl;
    if (const Bytes* id = p->option(kOptionClientIdentifier)) v.option97 = *id;
    v.mac = p->chaddr;
    v.xid = p->xid;
    return classify(v, ClassifierConfig{});
}

}  // namespace

TEST_CASE("a 200-Pi fleet has distinct MACs and serials, 50 of each stage") {
    const auto fleet = bench::makeFleet(200, 7);
    REQUIRE(fleet.size() == 200);
    std::set<MacAddress> macs;
    std::set<Serial> serials;
    std::map<PiModel, int> models;
    for (const auto& pi : fleet) {
        macs.insert(pi.mac);
        serials.insert(pi.serial);
        ++models[pi.model];
    }
    CHECK(macs.size() == 200);
    CHECK(serials.size() == 200);
    for (PiModel m : {PiModel::Rom3, PiModel::Bootcode, PiModel::Pi4, PiModel::Pi5}) {
        CHECK(models[m] == 50);
    }
}

TEST_CASE("fleet MACs: Pi 1-3 MACs end in the serial's low three bytes (docs/protocol/dhcp.md)") {
    for (const auto& pi : bench::makeFleet(40, 3)) {
        switch (pi.model) {
            case PiModel::Rom3:
            case PiModel::Bootcode:
                CHECK(pi.mac.oui() == 0xb827eb);
                CHECK((pi.serial.value() & 0xffffffu) ==
                      (std::uint32_t{pi.mac.bytes()[3]} << 16 |
                       std::uint32_t{pi.mac.bytes()[4]} << 8 | pi.mac.bytes()[5]));
                break;
            case PiModel::Pi4:
                CHECK(pi.mac.oui() == 0xdca632);
                break;
            case PiModel::Pi5:
                CHECK(pi.mac.oui() == 0x2ccf67);
                break;
        }
    }
}

TEST_CASE("core classifies every fleet DISCOVER as the intended stage, with its serial") {
    for (const auto& pi : bench::makeFleet(16, 11)) {
        const Classification c = classifyDiscover(pi);
        INFO(piModelName(pi.model) << " " << pi.mac.str() << ": " << c.reason);
        REQUIRE(c.isPi);
        CHECK(c.piClass == pi.model);
        if (pi.model == PiModel::Rom3) {
            CHECK_FALSE(c.serial);  // shape A carries no serial (docs/protocol/dhcp.md)
        } else {
            REQUIRE(c.serial);
            CHECK(*c.serial == pi.serial);
        }
    }
}

TEST_CASE("each stage's TFTP walk") {
    using K = StepKind;
    const auto rom3 = bench::bootSequence(PiModel::Rom3);
    REQUIRE_FALSE(rom3.empty());
    CHECK(rom3.front().file == "bootcode.bin");  // the ROM reads it from the root
    CHECK(rom3.front().kind == K::RootFile);

    const auto bootcode = bench::bootSequence(PiModel::Bootcode);
    CHECK(bootcode.front().file == "start.elf");  // bootcode.bin came from the SD card
    CHECK(bootcode.front().kind == K::PrefixProbe);

    const auto pi5 = bench::bootSequence(PiModel::Pi5);
    for (const auto& step : pi5) {
        CHECK(step.file.rfind("start", 0) != 0);  // Pi 5 fetches no start*.elf
        CHECK(step.file.rfind("fixup", 0) != 0);
    }
    CHECK(bench::bootSequence(PiModel::Pi4).front().file == "start4.elf");

    const auto files = bench::requiredFiles(PiModel::Rom3);
    CHECK(std::set<std::string>(files.begin(), files.end()).count("/bootcode.bin") == 1);
    for (const auto& f : bench::requiredFiles(PiModel::Pi4))
        CHECK(f.find("recover") == std::string::npos);
}
