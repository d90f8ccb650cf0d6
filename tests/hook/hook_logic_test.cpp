// NetbootLogic on isc::dhcp::Pkt4 objects parsed by Kea's own code from the exact bytes each Pi
// stage sends (core builders, docs/protocol/dhcp.md); replies checked on the wire after packing.
#include <catch2/catch.hpp>

#include <dhcp/dhcp4.h>
#include <dhcp/option.h>
#include <dhcp/option_custom.h>
#include <dhcp/option_int.h>
#include <dhcp/option_string.h>
#include <dhcp/pkt4.h>

#include <typeinfo>

#include "hook_config.h"
#include "netboot_logic.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/discover.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/util/big_endian.h"

using namespace rpinetboot;
using namespace rpinetboot::kea;
using isc::dhcp::Option;
using isc::dhcp::OptionPtr;
using isc::dhcp::Pkt4;
using isc::dhcp::Pkt4Ptr;

namespace {

// Option 43 of docs/protocol/dhcp.md (dnsmasq's pxe-service=0,"Raspberry Pi Boot"; the Pi 3B
// ROM's form with three trailing spaces).
const Bytes kPlain43 = {0x06, 0x01, 0x03, 0x0a, 0x04, 0x00, 0x50, 0x58, 0x45, 0x09, 0x14,
                        0x00, 0x00, 0x11, 'R',  'a',  's',  'p',  'b',  'e',  'r',  'r',
                        'y',  ' ',  'P',  'i',  ' ',  'B',  'o',  'o',  't',  0xff};
const Bytes kPadded43 = {0x06, 0x01, 0x03, 0x0a, 0x04, 0x00, 0x50, 0x58, 0x45, 0x09, 0x17, 0x00,
                         0x00, 0x14, 'R',  'a',  's',  'p',  'b',  'e',  'r',  'r',  'y',  ' ',
                         'P',  'i',  ' ',  'B',  'o',  'o',  't',  ' ',  ' ',  ' ',  0xff};

Pkt4Ptr fromWire(const Bytes& bytes) {
    Pkt4Ptr pkt(new Pkt4(bytes.data(), bytes.size()));
    pkt->unpack();
    return pkt;
}

PiIdentity identity(PiModel model, const char* mac = "e4:5f:01:98:e0:82",
                    const char* serial = "bf9fed6f") {
    PiIdentity pi;
    pi.model = model;
    pi.mac = *MacAddress::parse(mac);
    pi.serial = *Serial::parse(serial);
    pi.boardRevision = 0x00d03115;
    pi.xid = 0x01020304;
    return pi;
}

HookConfig config(const std::string& json = "{}") {
    return HookConfig::parse(isc::data::Element::fromJSON(json));
}

// A reply as Kea would have built it, with its own 43/60/66 already in.
Pkt4Ptr keaReply(std::uint8_t type, const Pkt4& query) {
    Pkt4Ptr reply(new Pkt4(type, query.getTransid()));
    reply->setHWAddr(query.getHWAddr());
    reply->setYiaddr(isc::asiolink::IOAddress("192.0.2.100"));
    reply->addOption(OptionPtr(new Option(Option::V4, 54, Bytes{192, 0, 2, 1})));
    reply->addOption(OptionPtr(new Option(Option::V4, 43, Bytes{1, 2, 3, 4})));
    reply->addOption(OptionPtr(new isc::dhcp::OptionString(Option::V4, 60, std::string("NotAPi"))));
    reply->addOption(
        OptionPtr(new isc::dhcp::OptionString(Option::V4, 66, std::string("198.51.100.99"))));
    return reply;
}

DhcpPacket onWire(Pkt4& reply) {
    reply.pack();
    const auto& buf = reply.getBuffer();
    const auto* data = static_cast<const std::uint8_t*>(buf.getData());
    std::string error;
    auto parsed = parseDhcpPacket(ByteSpan(data, buf.getLength()), &error);
    REQUIRE(parsed);
    return *parsed;
}

Bytes text(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

}  // namespace

TEST_CASE("every Pi stage gets RPI_NETBOOT and exactly its stage class") {
    const NetbootLogic logic(config());
    const std::pair<PiModel, const char*> stages[] = {{PiModel::Rom3, "RPI_NETBOOT_ROM3"},
                                                      {PiModel::Bootcode, "RPI_NETBOOT_BOOTCODE"},
                                                      {PiModel::Pi4, "RPI_NETBOOT_PI4"},
                                                      {PiModel::Pi5, "RPI_NETBOOT_PI5"}};
    for (const auto& [model, cls] : stages) {
        for (bool request : {false, true}) {
            if (request && !sendsRequest(model)) continue;
            const PiIdentity pi = identity(model);
            Pkt4Ptr query =
                fromWire(request ? buildRequest(pi, 0xc0000264, 0xc0000201) : buildDiscover(pi));
            const ReceiveResult r = logic.onReceive(*query);
            INFO(cls << (request ? " REQUEST" : " DISCOVER") << ": " << r.reason);
            CHECK(r.outcome == ReceiveOutcome::Pi);
            CHECK(r.decision.isPi);
            CHECK(query->inClass("RPI_NETBOOT"));
            CHECK(logic.taggedPi(*query));  // what pkt4_send tests first
            for (const auto& [other_model, other_cls] : stages) {
                CHECK(query->inClass(other_cls) == (other_model == model));
            }
            if (model != PiModel::Rom3) {
                CHECK(r.decision.serial == Serial::parse("bf9fed6f"));
            }
            // The query itself is left as the Pi sent it.
            CHECK(query->getOption(97));
        }
    }
}

TEST_CASE("non-Pi clients are not classified") {
    const NetbootLogic logic(config());
    PiIdentity pi = identity(PiModel::Pi4);
    Bytes pxe = buildDiscover(pi);
    // An x86 PXE client: the Pi's vendor class but a PC request list and a non-Pi MAC.
    pi.mac = *MacAddress::parse("00:1b:21:aa:bb:cc");
    pxe = buildDiscover(pi);
    const std::size_t listAt = kBootpFixedLength + 4 + 3;  // after 53
    REQUIRE(pxe[listAt] == 55);
    const std::uint8_t pcList[14] = {1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28};
    std::copy(pcList, pcList + 14, pxe.begin() + static_cast<long>(listAt) + 2);
    // ...and a PXE UUID in option 97 (no Pi FourCC).
    const std::size_t uuidAt = listAt + 2 + 14 + 4 + 5 + 3;
    REQUIRE(pxe[uuidAt - 3] == 97);
    for (std::size_t i = 0; i < 16; ++i) pxe[uuidAt + i] = static_cast<std::uint8_t>(0xa0 + i);
    Pkt4Ptr query = fromWire(pxe);
    CHECK(logic.onReceive(*query).outcome == ReceiveOutcome::NotPi);
    CHECK_FALSE(query->inClass("RPI_NETBOOT"));
    CHECK_FALSE(logic.taggedPi(*query));

    Pkt4Ptr plain(new Pkt4(isc::dhcp::DHCPDISCOVER, 42));
    // Most queries end here, before the logger is asked for its level.
    static int asked = 0;
    CHECK(logic
              .onReceive(
                  *plain, +[] { return ++asked > 0; })
              .outcome == ReceiveOutcome::NotPxe);
    CHECK(asked == 0);
}

TEST_CASE("a malformed option 97 makes a Pi packet a non-Pi one") {
    const NetbootLogic logic(config());
    Bytes discover = buildDiscover(identity(PiModel::Pi4));
    // Option 97's type byte must be 0 (docs/protocol/dhcp.md).
    const std::size_t at = kBootpFixedLength + 4 + 3 + 16 + 4 + 5;
    REQUIRE(discover[at] == 97);
    discover[at + 2] = 1;
    Pkt4Ptr query = fromWire(discover);
    const ReceiveResult r = logic.onReceive(*query);
    CHECK(r.outcome == ReceiveOutcome::Malformed);
    CHECK_FALSE(query->inClass("RPI_NETBOOT"));
}

TEST_CASE("an empty option 55 makes a Pi packet a non-Pi one") {
    // Kea 2.2 drops such a packet while parsing it, but the hook must not rely on that.
    const NetbootLogic logic(config());
    Pkt4Ptr query = fromWire(buildDiscover(identity(PiModel::Pi4)));
    REQUIRE(query->delOption(55));
    query->addOption(OptionPtr(new Option(Option::V4, 55)));
    const ReceiveResult r = logic.onReceive(*query);
    CHECK(r.outcome == ReceiveOutcome::Malformed);
    CHECK(r.reason == "empty option 55");
    CHECK_FALSE(r.decision.isPi);
    CHECK_FALSE(query->inClass("RPI_NETBOOT"));
}

TEST_CASE("OFFER and ACK get options 43, 60 and 66, replacing Kea's") {
    const NetbootLogic logic(config());
    for (PiModel model : {PiModel::Rom3, PiModel::Bootcode, PiModel::Pi4, PiModel::Pi5}) {
        Pkt4Ptr query = fromWire(buildDiscover(identity(model)));
        const PiDecision d = logic.onReceive(*query).decision;
        for (std::uint8_t type : {isc::dhcp::DHCPOFFER, isc::dhcp::DHCPACK}) {
            Pkt4Ptr reply = keaReply(type, *query);
            const SendResult sent = logic.onSend(d, *reply);
            CHECK(sent.patched);
            const DhcpPacket wire = onWire(*reply);
            // rom-padding auto: padded for the Pi 3B ROM only.
            CHECK(*wire.option(43) == (model == PiModel::Rom3 ? kPadded43 : kPlain43));
            CHECK(*wire.option(60) == text("PXEClient"));
            CHECK(*wire.option(66) == text("192.0.2.1"));  // from option 54, no NUL
            CHECK_FALSE(wire.hasPad);
        }
    }
}

TEST_CASE("replies to non-Pis, and NAKs, are not touched") {
    const NetbootLogic logic(config());
    Pkt4Ptr query(new Pkt4(isc::dhcp::DHCPDISCOVER, 7));
    const PiDecision notPi = logic.onReceive(*query).decision;
    Pkt4Ptr reply = keaReply(isc::dhcp::DHCPOFFER, *query);
    CHECK_FALSE(logic.onSend(notPi, *reply).patched);
    CHECK(*onWire(*reply).option(43) == Bytes{1, 2, 3, 4});

    Pkt4Ptr piQuery = fromWire(buildDiscover(identity(PiModel::Pi4)));
    const PiDecision pi = logic.onReceive(*piQuery).decision;
    Pkt4Ptr nak = keaReply(isc::dhcp::DHCPNAK, *piQuery);
    CHECK_FALSE(logic.onSend(pi, *nak).patched);
    CHECK(*onWire(*nak).option(60) == text("NotAPi"));
}

TEST_CASE("tftp-server, per-serial clients, menu-text and rom-padding") {
    const NetbootLogic logic(config(R"({"tftp-server": "192.0.2.53", "menu-text": "Lab Boot",
        "rom-padding": "always", "clients": [{"serial": "bf9fed6f", "tftp-server": "192.0.2.54"}]})"));
    Pkt4Ptr listed = fromWire(buildDiscover(identity(PiModel::Pi4)));
    Pkt4Ptr other =
        fromWire(buildDiscover(identity(PiModel::Pi5, "2c:cf:67:00:00:05", "5a5a0005")));
    Pkt4Ptr r1 = keaReply(isc::dhcp::DHCPOFFER, *listed);
    Pkt4Ptr r2 = keaReply(isc::dhcp::DHCPOFFER, *other);
    logic.onSend(logic.onReceive(*listed).decision, *r1);
    logic.onSend(logic.onReceive(*other).decision, *r2);
    const DhcpPacket w1 = onWire(*r1), w2 = onWire(*r2);
    CHECK(*w1.option(66) == text("192.0.2.54"));
    CHECK(*w2.option(66) == text("192.0.2.53"));
    CHECK(*w1.option(43) == encodeOption43("Lab Boot", true));

    const NetbootLogic never(config(R"({"rom-padding": "never"})"));
    CHECK(never.option43For(PiModel::Rom3) == kPlain43);
    CHECK(logic.option43For(PiModel::Pi4) == encodeOption43("Lab Boot", true));
}

TEST_CASE("without tftp-server or option 54 no option 66 is invented") {
    const NetbootLogic logic(config());
    Pkt4Ptr query = fromWire(buildDiscover(identity(PiModel::Pi4)));
    const PiDecision d = logic.onReceive(*query).decision;
    Pkt4Ptr reply(new Pkt4(isc::dhcp::DHCPOFFER, query->getTransid()));
    const SendResult sent = logic.onSend(d, *reply);
    CHECK(sent.patched);
    CHECK_FALSE(sent.tftpServer);
    CHECK_FALSE(reply->getOption(66));
    CHECK(reply->getOption(43));
}

TEST_CASE("allow-lists and require-oui") {
    const NetbootLogic logic(
        config(R"({"allow-serials": ["bf9fed6f"], "allow-macs": ["b8:27:eb:12:34:56"]})"));
    Pkt4Ptr bySerial = fromWire(buildDiscover(identity(PiModel::Pi4)));
    Pkt4Ptr byMac = fromWire(buildDiscover(identity(PiModel::Rom3, "b8:27:eb:12:34:56")));
    Pkt4Ptr neither =
        fromWire(buildDiscover(identity(PiModel::Bootcode, "b8:27:eb:ab:cd:ef", "12abcdef")));
    CHECK(logic.onReceive(*bySerial).outcome == ReceiveOutcome::Pi);
    CHECK(logic.onReceive(*byMac).outcome == ReceiveOutcome::Pi);
    const ReceiveResult r = logic.onReceive(*neither);
    CHECK(r.outcome == ReceiveOutcome::NotAllowed);
    CHECK_FALSE(r.decision.isPi);
    CHECK_FALSE(neither->inClass("RPI_NETBOOT"));

    const NetbootLogic oui(config(R"({"require-oui": true, "extra-ouis": ["02:11:22"]})"));
    Pkt4Ptr extra = fromWire(buildDiscover(identity(PiModel::Pi4, "02:11:22:33:44:55")));
    Pkt4Ptr unknown = fromWire(buildDiscover(identity(PiModel::Pi4, "0a:00:00:00:00:05")));
    CHECK(oui.onReceive(*extra).outcome == ReceiveOutcome::Pi);
    CHECK(oui.onReceive(*unknown).outcome == ReceiveOutcome::NotPi);
}

TEST_CASE("only OFFERs to stages that never REQUEST are held, and only with hold-rom-offers") {
    const NetbootLogic hold(config()), no_hold(config(R"({"hold-rom-offers": false})"));
    Pkt4Ptr rom = fromWire(buildDiscover(identity(PiModel::Rom3, "b8:27:eb:12:34:56")));
    Pkt4Ptr pi4 = fromWire(buildDiscover(identity(PiModel::Pi4)));
    const PiDecision romD = hold.onReceive(*rom).decision;
    const PiDecision pi4D = hold.onReceive(*pi4).decision;
    CHECK(hold.needsRomHold(romD, *keaReply(isc::dhcp::DHCPOFFER, *rom)));
    CHECK_FALSE(hold.needsRomHold(romD, *keaReply(isc::dhcp::DHCPACK, *rom)));
    CHECK_FALSE(no_hold.needsRomHold(romD, *keaReply(isc::dhcp::DHCPOFFER, *rom)));
    CHECK_FALSE(hold.needsRomHold(pi4D, *keaReply(isc::dhcp::DHCPOFFER, *pi4)));
    // bootcode.bin sends no REQUEST either (docs/protocol/dhcp.md): its OFFER is held too.
    Pkt4Ptr bootcode = fromWire(buildDiscover(identity(PiModel::Bootcode, "b8:27:eb:12:34:57")));
    const PiDecision bootcodeD = hold.onReceive(*bootcode).decision;
    REQUIRE(bootcodeD.piClass == PiModel::Bootcode);
    CHECK(hold.needsRomHold(bootcodeD, *keaReply(isc::dhcp::DHCPOFFER, *bootcode)));
}

TEST_CASE("with Kea's option copying on (as in callouts) decisions are the same, flag kept") {
    // Kea sets copy-retrieved-options on the packets it hands to callouts; the hook reads the
    // options without the clone and must leave the flag as Kea set it.
    const NetbootLogic logic(config());
    for (PiModel model : {PiModel::Rom3, PiModel::Bootcode, PiModel::Pi4, PiModel::Pi5}) {
        Pkt4Ptr plain = fromWire(buildDiscover(identity(model)));
        Pkt4Ptr copying = fromWire(buildDiscover(identity(model)));
        copying->setCopyRetrievedOptions(true);
        const ReceiveResult a = logic.onReceive(*plain);
        const ReceiveResult b = logic.onReceive(*copying);
        CHECK(copying->isCopyRetrievedOptions());
        CHECK_FALSE(plain->isCopyRetrievedOptions());
        CHECK(a.outcome == b.outcome);
        CHECK(a.decision.piClass == b.decision.piClass);
        CHECK(a.decision.serial == b.decision.serial);
        CHECK(a.reason == b.reason);
        Pkt4Ptr reply = keaReply(isc::dhcp::DHCPOFFER, *copying);
        reply->setCopyRetrievedOptions(true);
        CHECK(logic.onSend(b.decision, *reply).tftpServer == 0xc0000201u);
        CHECK(reply->isCopyRetrievedOptions());
        CHECK(*onWire(*reply).option(66) == text("192.0.2.1"));
    }
}

TEST_CASE("without explain only a malformed query has a reason, and the decision is the same") {
    const NetbootLogic logic(config());
    Pkt4Ptr a = fromWire(buildDiscover(identity(PiModel::Pi4)));
    Pkt4Ptr b = fromWire(buildDiscover(identity(PiModel::Pi4)));
    const ReceiveResult full = logic.onReceive(*a, true);
    const ReceiveResult quiet = logic.onReceive(*b, false);
    CHECK_FALSE(full.reason.empty());
    CHECK(quiet.reason.empty());
    CHECK(full.explained);
    CHECK_FALSE(quiet.explained);
    CHECK(quiet.outcome == full.outcome);
    CHECK(quiet.decision.piClass == full.decision.piClass);
    CHECK(quiet.decision.serial == full.decision.serial);
    CHECK(b->inClass("RPI_NETBOOT_PI4"));
    Pkt4Ptr empty55 = fromWire(buildDiscover(identity(PiModel::Pi4)));
    REQUIRE(empty55->delOption(55));
    empty55->addOption(OptionPtr(new Option(Option::V4, 55)));
    CHECK(logic.onReceive(*empty55, false).reason == "empty option 55");
}

TEST_CASE("option 66 from option 54: one per server address, each naming its own server") {
    const NetbootLogic logic(config());
    Pkt4Ptr query = fromWire(buildDiscover(identity(PiModel::Pi4)));
    const PiDecision d = logic.onReceive(*query).decision;
    auto replyFrom = [&](const Bytes& serverId) {
        Pkt4Ptr reply(new Pkt4(isc::dhcp::DHCPOFFER, query->getTransid()));
        // Kea builds option 54 as a typed option: the hook reads it through toBinary then.
        reply->addOption(OptionPtr(
            new isc::dhcp::OptionInt<std::uint32_t>(Option::V4, 54, readBe32(serverId.data()))));
        logic.onSend(d, *reply);
        return reply;
    };
    Pkt4Ptr r1 = replyFrom({192, 0, 2, 1}), r2 = replyFrom({198, 51, 100, 7}),
            r3 = replyFrom({192, 0, 2, 1});
    CHECK(*onWire(*r1).option(66) == text("192.0.2.1"));
    CHECK(*onWire(*r2).option(66) == text("198.51.100.7"));
    CHECK(*onWire(*r3).option(66) == text("192.0.2.1"));
    CHECK(r1->getOption(66) == r3->getOption(66));  // shared, as the other prebuilt options
}

TEST_CASE("optionView gives exactly the payload Kea packs, for each option type Kea parses") {
    using rpinetboot::kea::optionPayload;
    using rpinetboot::kea::optionView;
    for (PiModel model : {PiModel::Rom3, PiModel::Bootcode, PiModel::Pi4, PiModel::Pi5}) {
        Pkt4Ptr query = fromWire(buildDiscover(identity(model)));
        query->setCopyRetrievedOptions(true);  // as Kea hands packets to callouts
        const isc::dhcp::OptionPtr option97 = query->getOption(97);
        REQUIRE(option97);
        const isc::dhcp::Option& parsed = *option97;  // typeid of a reference: no side effects
        REQUIRE(typeid(parsed) == typeid(isc::dhcp::OptionCustom));
        // 60: string, 55: uint8 array, 97: record (uuid-guid), 93/94: others.
        for (std::uint16_t code : {60, 55, 97, 93, 94, 53}) {
            rpinetboot::kea::OptionScratch scratch;
            const auto view = optionView(*query, code, scratch);
            const auto packed = optionPayload(*query, code);
            INFO("option " << code);
            REQUIRE(view);
            REQUIRE(packed);
            CHECK(Bytes(view->begin(), view->end()) == *packed);
        }
        rpinetboot::kea::OptionScratch scratch;
        CHECK_FALSE(optionView(*query, 66, scratch));
    }
    // A reply's server identifier as Kea builds it (an ipv4-address record).
    Pkt4Ptr reply = fromWire(buildDiscover(identity(PiModel::Pi4)));
    Pkt4Ptr offer = keaReply(isc::dhcp::DHCPOFFER, *reply);
    offer->pack();
    const auto& buf = offer->getBuffer();
    Pkt4Ptr parsed(new Pkt4(static_cast<const std::uint8_t*>(buf.getData()), buf.getLength()));
    parsed->unpack();
    rpinetboot::kea::OptionScratch scratch;
    const auto id = rpinetboot::kea::optionView(*parsed, 54, scratch);
    REQUIRE(id);
    CHECK(Bytes(id->begin(), id->end()) == Bytes{192, 0, 2, 1});
}
