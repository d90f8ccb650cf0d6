// The identity pieces without Kea running: records <-> JSON (the lease user-context), the MAC
// index, the control command answers, the templates and the OS-phase reply on Pkt4 objects
// built in memory (docs/kea.md, "Identity").
#include <catch2/catch.hpp>

#include <cc/data.h>
#include <dhcp/dhcp4.h>
#include <dhcp/option.h>
#include <dhcp/option_int_array.h>
#include <dhcp/option_string.h>
#include <dhcp/pkt4.h>

#include "hook_config.h"
#include "netboot_logic.h"
#include "os_phase.h"
#include "pi_registry.h"
#include "registry_commands.h"
#include "rpinetboot/discover.h"
#include "rpinetboot/util/ipv4.h"

using namespace rpinetboot;
using namespace rpinetboot::kea;
using isc::data::ConstElementPtr;
using isc::data::Element;
using isc::dhcp::Option;
using isc::dhcp::OptionPtr;
using isc::dhcp::Pkt4;
using isc::dhcp::Pkt4Ptr;

namespace {

PiRecord pi4Record() {
    PiRecord r;
    r.mac = *MacAddress::parse("e4:5f:01:98:e0:82");
    r.serial = Serial::parse("bf9fed6f");
    r.model = PiModel::Pi4;
    r.boardRevision = 0x00d03115;
    r.address = *parseIpv4("192.0.2.100");
    r.phase = PiPhase::Os;
    r.firstSeen = 1700000000;
    r.lastSeen = 1700000100;
    r.hostname = "pi-bf9fed6f";
    r.rootPath = "192.0.2.1:/srv/nfs/pi/bf9fed6f";
    return r;
}

PiRecord rom3Record() {
    PiRecord r;
    r.mac = *MacAddress::parse("b8:27:eb:2b:3c:01");
    r.model = PiModel::Rom3;
    r.address = *parseIpv4("192.0.2.101");
    r.firstSeen = r.lastSeen = 1700000000;
    return r;
}

HookConfig config(const std::string& json) {
    return HookConfig::parse(Element::fromJSON(json));
}

std::string parseError(const std::string& json) {
    try {
        config(json);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a record goes into a lease's user-context and comes back the same") {
    const PiRecord r = pi4Record();
    const auto e = toElement(r);
    CHECK(e->get("serial")->stringValue() == "bf9fed6f");
    CHECK(e->get("mac")->stringValue() == "e4:5f:01:98:e0:82");
    CHECK(e->get("model")->stringValue() == "pi4");
    CHECK(e->get("class")->stringValue() == "RPI_NETBOOT_PI4");
    CHECK(e->get("board-revision")->stringValue() == "0x00d03115");
    CHECK(e->get("board")->stringValue() == "4B rev 1.5, 8GB, BCM2711, Sony UK");
    CHECK(e->get("address")->stringValue() == "192.0.2.100");
    CHECK(e->get("phase")->stringValue() == "os");
    std::string error;
    CHECK(recordFromElement(e, &error) == r);
    // Through text, as the memfile and SQL back ends store it.
    CHECK(recordFromElement(Element::fromJSON(e->str()), &error) == r);
    // No serial (Pi 3B ROM) and no revision: omitted, and read back as such.
    const auto rom = toElement(rom3Record());
    CHECK_FALSE(rom->contains("serial"));
    CHECK_FALSE(rom->contains("board-revision"));
    CHECK(recordFromElement(rom, &error) == rom3Record());
}

TEST_CASE("a lease carries the record as one string, and reads the older map form too") {
    const PiRecord r = pi4Record();
    CHECK(toLeaseText(r) ==
          "2;e4:5f:01:98:e0:82;bf9fed6f;pi4;00d03115;192.0.2.100;os;1700000000;1700000100;"
          "pi-bf9fed6f;192.0.2.1:/srv/nfs/pi/bf9fed6f");
    std::string error;
    CHECK(recordFromLeaseText(toLeaseText(r), &error) == r);
    CHECK(toLeaseText(rom3Record()) ==
          "2;b8:27:eb:2b:3c:01;;rom3;;192.0.2.101;boot;1700000000;1700000000;;");
    CHECK(recordFromLeaseText(toLeaseText(rom3Record()), &error) == rom3Record());
    // The root path is the rest of the text, ';' and all.
    PiRecord odd = r;
    odd.rootPath = "192.0.2.1:/srv/a;b";
    CHECK(recordFromLeaseText(toLeaseText(odd), &error) == odd);
    // One JSON node in the lease's user-context, through text as the back ends store it.
    const auto context = contextWithRecord(ConstElementPtr(), r);
    CHECK(context->get(kRegistryContextKey)->getType() == Element::string);
    CHECK(recordInContext(Element::fromJSON(context->str()), &error) == r);
    // A lease an older version wrote (the map): still read.
    const auto older = Element::createMap();
    older->set(kRegistryContextKey, Element::fromJSON(toElement(r)->str()));
    CHECK(recordInContext(older, &error) == r);
    const auto olderRom = Element::createMap();
    olderRom->set(kRegistryContextKey, toElement(rom3Record()));
    CHECK(recordInContext(olderRom, &error) == rom3Record());

    const char* bad[] = {
        "",
        "garbage",
        "1;e4:5f:01:98:e0:82;bf9fed6f;pi4;00d03115;192.0.2.100;os;1;2;h;p",
        "2;e4:5f:01:98:e0:82;bf9fed6f;pi4;00d03115;192.0.2.100;os;1;2;h",
        "2;zz;bf9fed6f;pi4;00d03115;192.0.2.100;os;1;2;h;p",
        "2;e4:5f:01:98:e0:82;xyz;pi4;00d03115;192.0.2.100;os;1;2;h;p",
        "2;e4:5f:01:98:e0:82;bf9fed6f;pi9;00d03115;192.0.2.100;os;1;2;h;p",
        "2;e4:5f:01:98:e0:82;bf9fed6f;pi4;d03115;192.0.2.100;os;1;2;h;p",
        "2;e4:5f:01:98:e0:82;bf9fed6f;pi4;00d0311g;192.0.2.100;os;1;2;h;p",
        "2;e4:5f:01:98:e0:82;bf9fed6f;pi4;00d03115;192.0.2;os;1;2;h;p",
        "2;e4:5f:01:98:e0:82;bf9fed6f;pi4;00d03115;192.0.2.100;up;1;2;h;p",
        "2;e4:5f:01:98:e0:82;bf9fed6f;pi4;00d03115;192.0.2.100;os;2;1;h;p",
        "2;e4:5f:01:98:e0:82;bf9fed6f;pi4;00d03115;192.0.2.100;os;-1;2;h;p",
        "2;e4:5f:01:98:e0:82;bf9fed6f;pi4;00d03115;192.0.2.100;os;1;99999999999999999999;h;p",
    };
    for (const char* text : bad) {
        INFO(text);
        error.clear();
        CHECK_FALSE(recordFromLeaseText(text, &error));
        CHECK_FALSE(error.empty());
        const auto c = Element::createMap();
        c->set(kRegistryContextKey, Element::create(std::string(text)));
        error.clear();
        CHECK_FALSE(recordInContext(c, &error));
        CHECK_FALSE(error.empty());
    }
}

TEST_CASE("the record joins a lease's other user-context keys") {
    const auto context = Element::fromJSON(R"({"ISC": {"relay-agent-info": "0x0102"}, "x": 1})");
    const auto merged = contextWithRecord(context, pi4Record());
    CHECK(merged->get("ISC")->str() == context->get("ISC")->str());
    CHECK(merged->get("x")->intValue() == 1);
    std::string error;
    CHECK(recordInContext(merged, &error) == pi4Record());
    // The other entries are shared, and the context merged into is left as it was (it may be
    // the lease store's own); a second record replaces the first.
    CHECK(merged->get("ISC") == context->get("ISC"));
    CHECK_FALSE(context->contains(kRegistryContextKey));
    PiRecord moved = pi4Record();
    moved.phase = PiPhase::Boot;
    const auto again = contextWithRecord(merged, moved);
    CHECK(again->size() == 3);
    CHECK(recordInContext(again, &error) == moved);
    CHECK(recordInContext(merged, &error) == pi4Record());
    // A context that is not a map (someone else's) is replaced by a map; null gives one too.
    CHECK(recordInContext(contextWithRecord(Element::create("text"), pi4Record()), &error));
    CHECK(recordInContext(contextWithRecord(ConstElementPtr(), pi4Record()), &error));
    // No record: nothing, and no error.
    error.clear();
    CHECK_FALSE(recordInContext(context, &error));
    CHECK(error.empty());
    CHECK_FALSE(recordInContext(ConstElementPtr(), &error));
}

TEST_CASE("malformed records from hand edits or older versions are refused, never thrown") {
    const char* bad[] = {
        R"("text")",
        R"([1, 2])",
        R"({})",
        R"({"mac": "zz", "model": "pi4", "address": "192.0.2.1", "phase": "os", "first-seen": 1, "last-seen": 1})",
        R"({"mac": "e4:5f:01:98:e0:82", "model": "pi9", "address": "192.0.2.1", "phase": "os", "first-seen": 1, "last-seen": 1})",
        R"({"mac": "e4:5f:01:98:e0:82", "model": "pi4", "address": "192.0.2", "phase": "os", "first-seen": 1, "last-seen": 1})",
        R"({"mac": "e4:5f:01:98:e0:82", "model": "pi4", "address": "192.0.2.1", "phase": "up", "first-seen": 1, "last-seen": 1})",
        R"({"mac": "e4:5f:01:98:e0:82", "model": "pi4", "address": "192.0.2.1", "phase": "os", "first-seen": 2, "last-seen": 1})",
        R"({"mac": "e4:5f:01:98:e0:82", "model": "pi4", "address": "192.0.2.1", "phase": "os", "first-seen": "1", "last-seen": 1})",
        R"({"mac": "e4:5f:01:98:e0:82", "serial": 5, "model": "pi4", "address": "192.0.2.1", "phase": "os", "first-seen": 1, "last-seen": 1})",
        R"({"mac": "e4:5f:01:98:e0:82", "board-revision": "d03115", "model": "pi4", "address": "192.0.2.1", "phase": "os", "first-seen": 1, "last-seen": 1})",
        R"({"mac": 17, "model": "pi4", "address": "192.0.2.1", "phase": "os", "first-seen": 1, "last-seen": 1})",
    };
    for (const char* text : bad) {
        INFO(text);
        std::string error;
        CHECK_FALSE(recordFromElement(Element::fromJSON(text), &error));
        CHECK_FALSE(error.empty());
        const auto context = Element::createMap();
        context->set(kRegistryContextKey, Element::fromJSON(text));
        error.clear();
        CHECK_FALSE(recordInContext(context, &error));
        CHECK_FALSE(error.empty());
    }
    std::string error;
    CHECK_FALSE(recordFromElement(ConstElementPtr(), &error));
}

TEST_CASE("the registry indexes one record per MAC, bounded") {
    PiRegistry registry(2);
    CHECK(registry.put(pi4Record()));
    CHECK(registry.put(rom3Record()));
    CHECK(registry.size() == 2);
    CHECK(registry.byMac(pi4Record().mac) == pi4Record());
    CHECK(registry.bySerial(*Serial::parse("bf9fed6f")) == pi4Record());
    CHECK(registry.byAddress(*parseIpv4("192.0.2.101")) == rom3Record());
    CHECK_FALSE(registry.bySerial(*Serial::parse("deadbeef")));
    // Replacing a MAC's record is always possible; a third MAC is not, past the bound.
    PiRecord moved = pi4Record();
    moved.address = *parseIpv4("192.0.2.120");
    CHECK(registry.put(moved));
    CHECK_FALSE(registry.byAddress(*parseIpv4("192.0.2.100")));
    PiRecord third = pi4Record();
    third.mac = *MacAddress::parse("dc:a6:32:00:00:03");
    CHECK_FALSE(registry.put(third));
    CHECK(registry.size() == 2);
    // A lease's end forgets the MAC only if its record is still at that lease's address.
    CHECK_FALSE(registry.remove(moved.mac, *parseIpv4("192.0.2.100")));
    CHECK(registry.remove(moved.mac, *parseIpv4("192.0.2.120")));
    CHECK(registry.all().size() == 1);
}

TEST_CASE("rpi-netboot-get and rpi-netboot-list answers") {
    PiRegistry registry;
    const auto empty = listAnswer(registry);
    CHECK(empty->get("result")->intValue() == 3);  // Kea's "empty"
    CHECK(empty->get("arguments")->get("count")->intValue() == 0);
    registry.put(pi4Record());
    registry.put(rom3Record());
    const auto list = listAnswer(registry);
    CHECK(list->get("result")->intValue() == 0);
    CHECK(list->get("text")->stringValue() == "2 Pis");
    CHECK(list->get("arguments")->get("pis")->size() == 2);

    const auto get = [&](const std::string& json) {
        return getAnswer(registry, json.empty() ? ConstElementPtr() : Element::fromJSON(json));
    };
    for (const char* found : {R"({"serial": "bf9fed6f"})", R"({"serial": "10000000BF9FED6F"})",
                              R"({"mac": "E4-5F-01-98-E0-82"})", R"({"address": "192.0.2.100"})"}) {
        INFO(found);
        const auto a = get(found);
        CHECK(a->get("result")->intValue() == 0);
        CHECK(a->get("arguments")->get("serial")->stringValue() == "bf9fed6f");
    }
    for (const char* unknown : {R"({"serial": "deadbeef"})", R"({"mac": "dc:a6:32:00:00:01"})",
                                R"({"address": "192.0.2.199"})"}) {
        INFO(unknown);
        CHECK(get(unknown)->get("result")->intValue() == 3);
    }
    for (const char* bad : {"", "{}", "[]", R"({"serial": "xyz"})", R"({"mac": "1:2"})",
                            R"({"address": "300.1.1.1"})", R"({"name": "x"})", R"({"serial": 5})",
                            R"({"serial": "bf9fed6f", "mac": "e4:5f:01:98:e0:82"})"}) {
        INFO(bad);
        CHECK(get(bad)->get("result")->intValue() == 1);
    }
}

TEST_CASE("the answers include the lease store's records: an HA partner's or another server's") {
    // This server's index knows the ROM3 Pi; the lease store also holds the Pi 4, written by a
    // partner (no callout here saw it), and a newer record of the ROM3 Pi.
    PiRegistry indexed;
    indexed.put(rom3Record());
    PiRegistry stored;
    stored.put(pi4Record());
    PiRecord rom3Later = rom3Record();
    rom3Later.phase = PiPhase::Os;
    rom3Later.lastSeen += 30;
    stored.put(rom3Later);

    const auto list = listAnswer(indexed, &stored);
    CHECK(list->get("result")->intValue() == 0);
    CHECK(list->get("arguments")->get("count")->intValue() == 2);
    CHECK(listAnswer(indexed)->get("arguments")->get("count")->intValue() == 1);
    const auto get = [&](const std::string& json) {
        return getAnswer(indexed, Element::fromJSON(json), &stored);
    };
    for (const char* found : {R"({"serial": "bf9fed6f"})", R"({"mac": "e4:5f:01:98:e0:82"})",
                              R"({"address": "192.0.2.100"})"}) {
        INFO(found);
        const auto a = get(found);
        REQUIRE(a->get("result")->intValue() == 0);
        CHECK(a->get("arguments")->get("serial")->stringValue() == "bf9fed6f");
        CHECK(getAnswer(indexed, Element::fromJSON(found))->get("result")->intValue() == 3);
    }
    // The newer record wins, whichever side holds it.
    CHECK(get(R"({"mac": "b8:27:eb:2b:3c:01"})")->get("arguments")->get("phase")->stringValue() ==
          "os");
    PiRecord rom3Newest = rom3Later;
    rom3Newest.phase = PiPhase::Boot;
    rom3Newest.lastSeen += 30;
    indexed.put(rom3Newest);
    CHECK(get(R"({"address": "192.0.2.101"})")->get("arguments")->get("phase")->stringValue() ==
          "boot");
    const auto relisted = listAnswer(indexed, &stored);
    for (const auto& pi : relisted->get("arguments")->get("pis")->listValue()) {
        if (pi->get("mac")->stringValue() == "b8:27:eb:2b:3c:01") {
            CHECK(pi->get("phase")->stringValue() == "boot");
        }
    }
    // On a tie the store's record (another server may have written it within the same
    // second), with the names this server last sent when it is the same address and phase.
    PiRecord pi4Named = pi4Record();
    pi4Named.hostname = "renamed";
    indexed.put(pi4Named);
    CHECK(get(R"({"serial": "bf9fed6f"})")->get("arguments")->get("hostname")->stringValue() ==
          "renamed");
    PiRecord pi4Boot = pi4Named;
    pi4Boot.phase = PiPhase::Boot;
    indexed.put(pi4Boot);
    const auto tie = get(R"({"mac": "e4:5f:01:98:e0:82"})")->get("arguments");
    CHECK(tie->get("phase")->stringValue() == "os");
    CHECK(tie->get("hostname")->stringValue() == "pi-bf9fed6f");
    CHECK(get(R"({"serial": "deadbeef"})")->get("result")->intValue() == 3);
}

TEST_CASE("templates: placeholders, the ROM3 fallback and refused parameters") {
    const HookConfig cfg = config(R"({"hostname-template": "pi-{serial}",
        "root-path-template": "{tftp-server}:/srv/nfs/pi/{serial}/{model}/{mac}/{address}",
        "tftp-server": "192.0.2.1",
        "clients": [{"serial": "1a2b3c05", "hostname": "build-{model}"}]})");
    IdentityValues v;
    v.serial = Serial::parse("bf9fed6f");
    v.mac = *MacAddress::parse("e4:5f:01:98:e0:82");
    v.model = PiModel::Pi4;
    v.address = *parseIpv4("192.0.2.100");
    v.tftpServer = *parseIpv4("192.0.2.1");
    CHECK(cfg.identity.hostnameFor(v) == std::optional<std::string>("pi-bf9fed6f"));
    CHECK(cfg.identity.rootPathFor(v) ==
          std::optional<std::string>(
              "192.0.2.1:/srv/nfs/pi/bf9fed6f/pi4/e4-5f-01-98-e0-82/192.0.2.100"));
    // Per-serial override of the hostname; the root path stays the template's.
    IdentityValues pi5 = v;
    pi5.serial = Serial::parse("1a2b3c05");
    pi5.model = PiModel::Pi5;
    CHECK(cfg.identity.hostnameFor(pi5) == std::optional<std::string>("build-pi5"));
    CHECK(cfg.identity.rootPathFor(pi5)->rfind("192.0.2.1:/srv/nfs/pi/1a2b3c05/", 0) == 0);
    // No serial (Pi 3B ROM): {serial} is the MAC, dash form.
    IdentityValues rom = v;
    rom.serial.reset();
    CHECK(cfg.identity.hostnameFor(rom) == std::optional<std::string>("pi-e4-5f-01-98-e0-82"));
    // No TFTP server to name: no root path rather than a wrong one.
    IdentityValues noServer = v;
    noServer.tftpServer.reset();
    CHECK_FALSE(cfg.identity.rootPathFor(noServer));
    // No templates: nothing.
    CHECK_FALSE(config("{}").identity.hostnameFor(v));

    CHECK_THAT(
        parseError(R"({"hostname-template": "pi-{serail}"})"),
        Catch::Matchers::Contains("parameter 'hostname-template' value \"pi-{serail}\": unknown "
                                  "placeholder {serail}"));
    CHECK_THAT(parseError(R"({"root-path-template": "{tftp-server:/srv"})"),
               Catch::Matchers::Contains("parameter 'root-path-template'"));
    CHECK_THAT(parseError(R"({"root-path-template": "/srv/}"})"),
               Catch::Matchers::Contains("unbalanced '}'"));
    CHECK_THAT(parseError(R"({"hostname-template": "pi_{serial}"})"),
               Catch::Matchers::Contains("'_' cannot appear in a hostname"));
    CHECK_THAT(parseError(R"({"hostname-template": ""})"),
               Catch::Matchers::Contains("must not be empty"));
    CHECK_THAT(parseError(R"({"hostname-template": 5})"),
               Catch::Matchers::Contains("must be a string"));
    CHECK_THAT(parseError(R"({"hostname-policy": "server"})"),
               Catch::Matchers::Contains("must be \"template\" or \"client\""));
    CHECK_THAT(parseError(R"({"root-path-policy": "never"})"),
               Catch::Matchers::Contains("must be \"requested\" or \"always\""));
    CHECK_THAT(parseError(R"({"clients": [{"serial": "bf9fed6f", "root-path": "{host}"}]})"),
               Catch::Matchers::Contains("parameter 'clients[0].root-path'"));
    CHECK_THAT(parseError(R"({"clients": [{"serial": "bf9fed6f"}]})"),
               Catch::Matchers::Contains("needs a \"tftp-server\", \"hostname\" or \"root-path\""));
    CHECK_THAT(parseError(R"({"clients": [{"serial": "bf9fed6f", "hostname": "a"},
                                          {"serial": "bf9fed6f", "tftp-server": "192.0.2.9"}]})"),
               Catch::Matchers::Contains("appears twice"));
}

namespace {

// An OS-phase query and Kea's reply to it, as Kea built it (with the client's own option 12
// echoed, as Kea does for a client that sends one).
struct Exchange {
    Pkt4Ptr query, reply;
};

Exchange osExchange(std::vector<std::uint8_t> requestList, const char* clientName) {
    Exchange x;
    x.query.reset(new Pkt4(isc::dhcp::DHCPREQUEST, 0x1234));
    x.query->setHWAddr(isc::dhcp::HWAddrPtr(new isc::dhcp::HWAddr(
        std::vector<std::uint8_t>{0xe4, 0x5f, 0x01, 0x98, 0xe0, 0x82}, isc::dhcp::HTYPE_ETHER)));
    x.query->addOption(OptionPtr(new isc::dhcp::OptionUint8Array(
        Option::V4, isc::dhcp::DHO_DHCP_PARAMETER_REQUEST_LIST, requestList)));
    x.reply.reset(new Pkt4(isc::dhcp::DHCPACK, 0x1234));
    x.reply->setYiaddr(isc::asiolink::IOAddress("192.0.2.100"));
    x.reply->addOption(
        OptionPtr(new Option(Option::V4, 54, std::vector<std::uint8_t>{192, 0, 2, 1})));
    if (clientName) {
        x.query->addOption(OptionPtr(new isc::dhcp::OptionString(Option::V4, 12, clientName)));
        x.reply->addOption(OptionPtr(new isc::dhcp::OptionString(Option::V4, 12, clientName)));
    }
    return x;
}

std::optional<std::string> textOf(Pkt4& pkt, std::uint16_t code) {
    const auto opt = pkt.getOption(code);
    if (!opt) return std::nullopt;
    const auto& data = opt->getData();
    return std::string(data.begin(), data.end());
}

}  // namespace

TEST_CASE("OS-phase replies: hostname and root path per policy") {
    const std::vector<std::uint8_t> kernel = {1, 3, 6, 12, 15, 17, 26, 40, 42};
    const std::vector<std::uint8_t> networkd = {1, 3, 6, 12, 15, 33, 42, 120, 121};
    const std::string templates =
        R"("hostname-template": "pi-{serial}", "root-path-template": "{tftp-server}:/srv/nfs/pi/{serial}")";
    PiRecord r = pi4Record();
    r.hostname.clear();
    r.rootPath.clear();

    SECTION("defaults: the template's name replaces the client's; 17 only when asked for") {
        const NetbootLogic logic(config("{" + templates + "}"));
        const OsPhase os(logic);
        auto k = osExchange(kernel, nullptr);
        const auto sent = os.onSend(r, *k.query, *k.reply);
        CHECK(textOf(*k.reply, 12) == std::optional<std::string>("pi-bf9fed6f"));
        // No tftp-server configured: the reply's own server (option 54).
        CHECK(textOf(*k.reply, 17) == std::optional<std::string>("192.0.2.1:/srv/nfs/pi/bf9fed6f"));
        CHECK(sent.hostname == std::optional<std::string>("pi-bf9fed6f"));
        auto n = osExchange(networkd, "raspberrypi");
        os.onSend(r, *n.query, *n.reply);
        CHECK(textOf(*n.reply, 12) == std::optional<std::string>("pi-bf9fed6f"));
        CHECK_FALSE(n.reply->getOption(17));
        CHECK(n.reply->getOption(54));  // the rest of the reply is Kea's
    }
    SECTION("hostname-policy client, root-path-policy always") {
        const NetbootLogic logic(config(
            "{" + templates +
            R"(, "hostname-policy": "client", "root-path-policy": "always", "tftp-server": "192.0.2.9"})"));
        const OsPhase os(logic);
        auto n = osExchange(networkd, "raspberrypi");
        const auto sent = os.onSend(r, *n.query, *n.reply);
        CHECK(textOf(*n.reply, 12) == std::optional<std::string>("raspberrypi"));
        CHECK_FALSE(sent.hostname);
        CHECK(textOf(*n.reply, 17) == std::optional<std::string>("192.0.2.9:/srv/nfs/pi/bf9fed6f"));
        // A client that sends no name still gets the template's.
        auto k = osExchange(kernel, nullptr);
        os.onSend(r, *k.query, *k.reply);
        CHECK(textOf(*k.reply, 12) == std::optional<std::string>("pi-bf9fed6f"));
    }
    SECTION("no templates: Kea's reply is left alone") {
        const NetbootLogic logic(config("{}"));
        const OsPhase os(logic);
        auto n = osExchange(kernel, "raspberrypi");
        const auto sent = os.onSend(r, *n.query, *n.reply);
        CHECK(textOf(*n.reply, 12) == std::optional<std::string>("raspberrypi"));
        CHECK_FALSE(n.reply->getOption(17));
        CHECK_FALSE(sent.hostname);
        CHECK_FALSE(sent.rootPath);
    }
    SECTION("classes of a known MAC, and the records of both phases") {
        const NetbootLogic logic(config("{" + templates + R"(, "tftp-server": "192.0.2.1"})"));
        const OsPhase os(logic);
        auto k = osExchange(kernel, nullptr);
        os.classify(*k.query, r);
        CHECK(k.query->inClass("RPI_NETBOOT"));
        CHECK(k.query->inClass("RPI_NETBOOT_OS"));
        CHECK(k.query->inClass("RPI_NETBOOT_PI4"));
        CHECK_FALSE(k.query->inClass("RPI_NETBOOT_PI5"));
        const PiRecord osRec = os.osRecord(r, *parseIpv4("192.0.2.101"), 1700000200);
        CHECK(osRec.phase == PiPhase::Os);
        CHECK(osRec.firstSeen == r.firstSeen);
        CHECK(osRec.lastSeen == 1700000200);
        CHECK(osRec.hostname == "pi-bf9fed6f");
        CHECK(osRec.rootPath == "192.0.2.1:/srv/nfs/pi/bf9fed6f");
        PiDecision d;
        d.isPi = true;
        d.mac = r.mac;
        d.serial = r.serial;
        d.piClass = PiModel::Pi4;
        const PiRecord boot = OsPhase::bootRecord(d, r.address, osRec, 1700000300);
        CHECK(boot.phase == PiPhase::Boot);
        CHECK(boot.firstSeen == r.firstSeen);
        CHECK(boot.boardRevision == r.boardRevision);  // kept from the earlier record
        CHECK(boot.hostname == "pi-bf9fed6f");
        const PiRecord fresh = OsPhase::bootRecord(d, r.address, std::nullopt, 1700000300);
        CHECK(fresh.firstSeen == 1700000300);
    }
}

TEST_CASE("allow-pairs: a listed serial is answered from its own MAC only") {
    const NetbootLogic logic(config(R"({"allow-pairs": [{"serial": "bf9fed6f",
        "mac": "e4:5f:01:98:e0:82"}], "allow-macs": ["dc:a6:32:00:00:07"],
        "allow-serials": ["1a2b3c05"]})"));
    const auto outcome = [&](const char* mac, const char* serial) {
        PiIdentity pi;
        pi.model = PiModel::Pi4;
        pi.mac = *MacAddress::parse(mac);
        pi.serial = *Serial::parse(serial);
        pi.boardRevision = 0x00d03115;
        pi.xid = 0x01020304;
        const Bytes wire = buildDiscover(pi);
        Pkt4Ptr query(new Pkt4(wire.data(), wire.size()));
        query->unpack();
        return logic.onReceive(*query).outcome;
    };
    CHECK(outcome("e4:5f:01:98:e0:82", "bf9fed6f") == ReceiveOutcome::Pi);
    // The serial copied to another MAC, even one allow-macs lists: refused.
    CHECK(outcome("dc:a6:32:00:00:99", "bf9fed6f") == ReceiveOutcome::NotAllowed);
    CHECK(outcome("dc:a6:32:00:00:07", "bf9fed6f") == ReceiveOutcome::NotAllowed);
    // The other lists work as before.
    CHECK(outcome("dc:a6:32:00:00:07", "deadbeef") == ReceiveOutcome::Pi);
    CHECK(outcome("dc:a6:32:00:00:08", "1a2b3c05") == ReceiveOutcome::Pi);
    CHECK(outcome("dc:a6:32:00:00:08", "deadbeef") == ReceiveOutcome::NotAllowed);

    CHECK_THAT(
        parseError(R"({"allow-pairs": [{"serial": "bf9fed6f"}]})"),
        Catch::Matchers::Contains("parameter 'allow-pairs[0]' value { \"serial\": \"bf9fed6f\" }: "
                                  "needs a \"serial\" and a \"mac\""));
    CHECK_THAT(parseError(R"({"allow-pairs": [{"serial": "bf9fed6f", "mac": "e4:5f"}]})"),
               Catch::Matchers::Contains("parameter 'allow-pairs[0].mac'"));
    CHECK_THAT(parseError(R"({"allow-pairs": [{"serial": "bf9fed6f", "mac": "e4:5f:01:98:e0:82"},
        {"serial": "bf9fed6f", "mac": "e4:5f:01:98:e0:83"}]})"),
               Catch::Matchers::Contains("appears twice in allow-pairs"));
}

TEST_CASE("the registry's lock-free filter: never false for a MAC it holds") {
    PiRegistry registry;
    // Before any record, no MAC is possibly known: every query takes the early exit.
    for (std::uint32_t low = 0; low < 5000; ++low) {
        REQUIRE_FALSE(registry.mayKnow(MacAddress::fromOui(0x00163e, low)));
    }
    // Every MAC put is possibly known, whatever else is in the registry.
    std::vector<MacAddress> pis;
    for (std::uint32_t low = 0; low < 1000; ++low) {
        PiRecord r = pi4Record();
        r.mac = MacAddress::fromOui(0xdca632, low * 7919u);
        r.address = 0xc0000200u + low;
        REQUIRE(registry.put(r));
        pis.push_back(r.mac);
    }
    for (const auto& mac : pis) REQUIRE(registry.mayKnow(mac));
    // Other MACs mostly stop at the filter: 1,000 records set at most 1,000 of its 65,536 bits.
    std::size_t passed = 0;
    for (std::uint32_t low = 0; low < 10000; ++low) {
        if (registry.mayKnow(MacAddress::fromOui(0x00163e, low))) ++passed;
    }
    CHECK(passed < 10000 * 3 / 100);
    // A removed record may still pass the filter; byMac then answers (no record).
    CHECK(registry.remove(pis[0], 0xc0000200u));
    CHECK_FALSE(registry.byMac(pis[0]));
    // clear() (a new configuration's reload) empties the filter too.
    registry.clear();
    for (const auto& mac : pis) REQUIRE_FALSE(registry.mayKnow(mac));
}

TEST_CASE("lease-store misses are remembered for ttl seconds, bounded, forgotten on a record") {
    const MacAddress a = *MacAddress::parse("dc:a6:32:00:00:01");
    const MacAddress b = *MacAddress::parse("dc:a6:32:00:00:02");
    const MacAddress c = *MacAddress::parse("dc:a6:32:00:00:03");
    LeaseMisses misses(10, 2);
    CHECK_FALSE(misses.recent(a, 1000));
    misses.add(a, 1000);
    CHECK(misses.recent(a, 1000));
    CHECK(misses.recent(a, 1009));
    CHECK_FALSE(misses.recent(a, 1010));  // expired: dropped
    CHECK(misses.size() == 0);
    // A clock set back by more than the ttl does not keep an entry forever.
    misses.add(a, 2000);
    CHECK_FALSE(misses.recent(a, 1000));
    // Full: the entry that ends first makes room.
    misses.add(a, 3000);
    misses.add(b, 3001);
    misses.add(c, 3002);
    CHECK(misses.size() == 2);
    CHECK_FALSE(misses.recent(a, 3002));
    CHECK(misses.recent(b, 3002));
    CHECK(misses.recent(c, 3002));
    // A record for the MAC (written here) ends its entry at once.
    misses.forget(b);
    CHECK_FALSE(misses.recent(b, 3002));
    misses.clear();
    CHECK(misses.size() == 0);
    LeaseMisses none(10, 0);
    none.add(a, 1);
    CHECK_FALSE(none.recent(a, 1));
}
