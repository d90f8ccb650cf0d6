// tftp-groups: parsing and validation, group selection, and the rendezvous-hashing properties the
// drain procedure of docs/kea.md relies on (draining a node moves only its own Pis).
#include <catch2/catch.hpp>

#include <dhcp/dhcp4.h>
#include <dhcp/pkt4.h>

#include <map>

#include "hook_config.h"
#include "netboot_logic.h"
#include "rpinetboot/discover.h"
#include "rpinetboot/util/ipv4.h"
#include "tftp_nodes.h"
#include "tftp_nodes_config.h"

using namespace rpinetboot;
using namespace rpinetboot::kea;

namespace {

std::uint32_t ip(const char* text) {
    return *parseIpv4(text);
}

std::string errorOf(const std::string& json) {
    try {
        HookConfig::parse(isc::data::Element::fromJSON(json));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(accepted)";
}

TftpNodeGroup group(std::vector<std::uint32_t> addresses) {
    TftpNodeGroup g;
    for (auto a : addresses) g.nodes.push_back(TftpNode{a, false});
    return g;
}

TftpNodeQuery piWithSerial(std::uint32_t serial, std::uint32_t offered = 0) {
    TftpNodeQuery q;
    q.serial = Serial(serial);
    q.offered = offered;
    return q;
}

std::uint32_t nodeOf(const TftpNodeSelector& s, const TftpNodeQuery& q) {
    const auto choice = s.select(q);
    REQUIRE(choice);
    return choice->address;
}

const std::uint32_t kA = ip("192.0.2.1"), kB = ip("192.0.2.2"), kC = ip("192.0.2.3");

}  // namespace

TEST_CASE("Ipv4Prefix parses CIDR with zero host bits only") {
    const auto p = Ipv4Prefix::parse("192.0.2.0/24");
    REQUIRE(p);
    CHECK(p->contains(ip("192.0.2.77")));
    CHECK_FALSE(p->contains(ip("192.0.3.1")));
    CHECK(p->str() == "192.0.2.0/24");
    CHECK(Ipv4Prefix::parse("0.0.0.0/0")->contains(ip("203.0.113.5")));
    CHECK(Ipv4Prefix::parse("192.0.2.7/32")->contains(ip("192.0.2.7")));
    for (const char* bad : {"192.0.2.1/24", "192.0.2.0", "192.0.2.0/33", "192.0.2.0/", "x/24",
                            "192.0.2.0/2a", "192.0.2.0/024"}) {
        INFO(bad);
        CHECK_FALSE(Ipv4Prefix::parse(bad));
    }
}

TEST_CASE("the weights are fixed arithmetic: known values") {
    // Pinned so that every build, and the Python copy in tests/hook/test_hook_tftp_nodes.py,
    // agree on which node a Pi gets.
    CHECK(TftpNodeSelector::keyOf(Serial(0xbf9fed6f), MacAddress()) == 0x1bf9fed6fULL);
    CHECK(TftpNodeSelector::keyOf(std::nullopt, *MacAddress::parse("b8:27:eb:12:34:56")) ==
          0x2b827eb123456ULL);
    CHECK(TftpNodeSelector::weight(0x1bf9fed6fULL, kA) == 0x30c5e06aedef79d8ULL);
    CHECK(TftpNodeSelector::weight(0x2b827eb123456ULL, kB) == 0xa9b4ae4f75031e3fULL);
}

TEST_CASE("spreading is deterministic and even, and draining moves only the drained node's Pis") {
    const TftpNodeSelector all({group({kA, kB, kC})});
    TftpNodeGroup drainedB = group({kA, kB, kC});
    drainedB.nodes[1].drain = true;
    const TftpNodeSelector withoutB({drainedB});
    // The list's order does not matter.
    const TftpNodeSelector reordered({group({kC, kA, kB})});

    std::map<std::uint32_t, int> count;
    int moved = 0;
    const int pis = 3000;
    for (int i = 0; i < pis; ++i) {
        const auto q = piWithSerial(0x10000000u + static_cast<std::uint32_t>(i) * 7919u);
        const std::uint32_t before = nodeOf(all, q);
        CHECK(before == nodeOf(all, q));
        CHECK(before == nodeOf(reordered, q));
        ++count[before];
        const std::uint32_t after = nodeOf(withoutB, q);
        CHECK(after != kB);
        if (before == kB) {
            ++moved;
        } else {
            CHECK(after == before);  // a Pi not on B keeps its node
        }
    }
    for (auto node : {kA, kB, kC}) {
        INFO(ipv4ToString(node) << ": " << count[node]);
        CHECK(count[node] > pis * 28 / 100);
        CHECK(count[node] < pis * 39 / 100);
    }
    CHECK(moved == count[kB]);

    // Adding a node takes Pis only onto the new node.
    const TftpNodeSelector two({group({kA, kB})});
    for (int i = 0; i < 500; ++i) {
        const auto q = piWithSerial(0x2000u + static_cast<std::uint32_t>(i));
        const std::uint32_t withThree = nodeOf(all, q);
        if (withThree != kC) CHECK(withThree == nodeOf(two, q));
    }
}

TEST_CASE("a Pi without a serial is spread by its MAC") {
    const TftpNodeSelector s({group({kA, kB})});
    std::map<std::uint32_t, int> count;
    for (std::uint32_t i = 0; i < 200; ++i) {
        TftpNodeQuery q;
        q.mac = MacAddress::fromOui(0xb827eb, i * 131u);
        const std::uint32_t node = nodeOf(s, q);
        CHECK(node == nodeOf(s, q));
        ++count[node];
    }
    CHECK(count[kA] > 60);
    CHECK(count[kB] > 60);
}

TEST_CASE("the first group a Pi matches decides, and its selectors combine") {
    TftpNodeGroup bySerial = group({kA});
    bySerial.serialFirst = Serial(0x10000000);
    bySerial.serialLast = Serial(0x1fffffff);
    TftpNodeGroup byClass = group({kB});
    byClass.clientClass = "RPI_NETBOOT_PI5";
    TftpNodeGroup bySubnet = group({kC});
    bySubnet.subnet = Ipv4Prefix::parse("198.51.100.0/24");
    const TftpNodeSelector s({bySerial, byClass, bySubnet});

    TftpNodeQuery q = piWithSerial(0x12345678, ip("198.51.100.7"));
    q.inClass = [](const std::string& c) { return c == "RPI_NETBOOT_PI5"; };
    CHECK(nodeOf(s, q) == kA);  // in all three: the first
    CHECK(s.select(q)->group == 0);
    q.serial = Serial(0x20000000);
    CHECK(nodeOf(s, q) == kB);
    q.inClass = [](const std::string&) { return false; };
    CHECK(nodeOf(s, q) == kC);
    q.offered = ip("192.0.2.7");
    CHECK_FALSE(s.select(q));  // no group: the caller falls back to tftp-server
    q.offered = 0;
    CHECK_FALSE(s.select(q));  // no address offered matches no subnet
    q.serial.reset();          // no serial: never in a serial range
    q.inClass = [](const std::string& c) { return c == "RPI_NETBOOT_PI5"; };
    CHECK(nodeOf(s, q) == kB);
    TftpNodeQuery noClasses = piWithSerial(0x20000000, ip("198.51.100.7"));
    CHECK(nodeOf(s, noClasses) == kC);  // no class predicate: in no class

    TftpNodeGroup both = group({kA});
    both.subnet = Ipv4Prefix::parse("192.0.2.0/24");
    both.clientClass = "X";
    const TftpNodeSelector andOfSelectors({both});
    TftpNodeQuery r = piWithSerial(1, ip("192.0.2.9"));
    CHECK_FALSE(andOfSelectors.select(r));
    r.inClass = [](const std::string& c) { return c == "X"; };
    CHECK(nodeOf(andOfSelectors, r) == kA);
}

TEST_CASE("tftp-groups is parsed") {
    const auto cfg = HookConfig::parse(isc::data::Element::fromJSON(R"({"tftp-groups": [
        {"subnet": "198.51.100.0/24", "client-class": "RPI_NETBOOT_PI5",
         "serial-range": ["10000000", "1FFFFFFF"], "nodes": ["192.0.2.1"]},
        {"nodes": ["192.0.2.1", {"address": "192.0.2.2", "drain": true},
                   {"address": "192.0.2.3", "drain": false}]}]})"));
    REQUIRE(cfg.tftpGroups.size() == 2);
    const auto& g0 = cfg.tftpGroups[0];
    CHECK(g0.subnet->str() == "198.51.100.0/24");
    CHECK(*g0.clientClass == "RPI_NETBOOT_PI5");
    CHECK(g0.serialFirst->value() == 0x10000000u);
    CHECK(g0.serialLast->value() == 0x1fffffffu);
    const auto& g1 = cfg.tftpGroups[1];
    CHECK_FALSE(g1.subnet);
    CHECK_FALSE(g1.clientClass);
    CHECK_FALSE(g1.serialFirst);
    REQUIRE(g1.nodes.size() == 3);
    CHECK((g1.nodes[1].address == kB && g1.nodes[1].drain));
    CHECK((g1.nodes[2].address == kC && !g1.nodes[2].drain));
    CHECK_THAT(cfg.summary(),
               Catch::Matchers::Contains("tftp-groups=2 groups, 4 nodes, drained: 192.0.2.2"));
    CHECK(describeTftpGroups({group({kA})}) == "1 group, 1 node");
    // Unused, the summary is what it was.
    CHECK_THAT(HookConfig::parse(nullptr).summary(), !Catch::Matchers::Contains("tftp-groups"));
}

TEST_CASE("bad tftp-groups refuse the configuration, naming the parameter") {
    using Catch::Matchers::Contains;
    const std::pair<const char*, const char*> cases[] = {
        {R"({"tftp-groups": {}})", "parameter 'tftp-groups' value {  }: must be a list"},
        {R"({"tftp-groups": [5]})", "parameter 'tftp-groups[0]' value 5: must be a map"},
        {R"({"tftp-groups": [{}]})", "'tftp-groups[0]' value {  }: needs \"nodes\""},
        {R"({"tftp-groups": [{"nodes": []}]})",
         "'tftp-groups[0].nodes' value [  ]: must be a "
         "non-empty list"},
        {R"({"tftp-groups": [{"nodes": ["tftp.example"]}]})",
         "'tftp-groups[0].nodes[0]' value \"tftp.example\": must be a unicast IPv4"},
        {R"({"tftp-groups": [{"nodes": ["192.0.2.1", {"address": "224.0.0.1"}]}]})",
         "'tftp-groups[0].nodes[1].address' value \"224.0.0.1\""},
        {R"({"tftp-groups": [{"nodes": [{"drain": true}]}]})", "needs an \"address\""},
        {R"({"tftp-groups": [{"nodes": [{"address": "192.0.2.1", "drain": "yes"}]}]})",
         "'tftp-groups[0].nodes[0].drain' value \"yes\": must be a boolean"},
        {R"({"tftp-groups": [{"nodes": [{"address": "192.0.2.1", "weight": 2}]}]})",
         "'tftp-groups[0].nodes[0].weight' value 2: unknown key"},
        {R"({"tftp-groups": [{"nodes": ["192.0.2.1", "192.0.2.1"]}]})",
         "'tftp-groups[0].nodes[1]' value \"192.0.2.1\": address 192.0.2.1 appears twice"},
        {R"({"tftp-groups": [{"nodes": [{"address": "192.0.2.1", "drain": true}]}]})",
         "'tftp-groups[0].nodes' value [ { \"address\": \"192.0.2.1\", \"drain\": true } ]: "
         "every node is drained"},
        {R"({"tftp-groups": [{"subnet": "192.0.2.1/24", "nodes": ["192.0.2.1"]}]})",
         "'tftp-groups[0].subnet' value \"192.0.2.1/24\": must be an IPv4 prefix"},
        {R"({"tftp-groups": [{"client-class": "", "nodes": ["192.0.2.1"]}]})",
         "'tftp-groups[0].client-class' value \"\": must not be empty"},
        {R"({"tftp-groups": [{"serial-range": ["2", "1"], "nodes": ["192.0.2.1"]}]})",
         "'tftp-groups[0].serial-range[0]' value \"2\": must be a Pi serial"},
        {R"({"tftp-groups": [{"serial-range": ["20000000", "10000000"], "nodes": ["192.0.2.1"]}]})",
         "the first serial is above the last"},
        {R"({"tftp-groups": [{"serial-range": ["20000000"], "nodes": ["192.0.2.1"]}]})",
         "must be a list of two serials"},
        {R"({"tftp-groups": [{"nodes": ["192.0.2.1"], "node": []}]})",
         "'tftp-groups[0].node' value [  ]: unknown key"},
    };
    for (const auto& [json, expected] : cases) {
        INFO(json);
        // An lvalue: Catch2 v3's range Contains(T&&) would take a temporary string.
        const std::string want = expected;
        CHECK_THAT(errorOf(json), Contains(want));
    }
    CHECK_THAT(errorOf(R"({"tftp-group": []})"), Contains("tftp-groups"));  // listed as known
}

TEST_CASE("option 66 from tftp-groups: clients override, tftp-server when no group matches") {
    const auto cfg = HookConfig::parse(isc::data::Element::fromJSON(R"({
        "tftp-server": "192.0.2.53",
        "clients": [{"serial": "bf9fed6f", "tftp-server": "192.0.2.54"}],
        "tftp-groups": [{"client-class": "RPI_NETBOOT_PI5", "nodes": ["192.0.2.1", "192.0.2.2"]}]
    })"));
    const NetbootLogic logic(cfg);
    const TftpNodeSelector selector(cfg.tftpGroups);
    auto sendTo = [&logic](PiModel model, const char* mac, const char* serial) {
        PiIdentity pi;
        pi.model = model;
        pi.mac = *MacAddress::parse(mac);
        pi.serial = *Serial::parse(serial);
        pi.boardRevision = 0x00d03115;
        pi.xid = 0x01020304;
        const Bytes wire = buildDiscover(pi);
        isc::dhcp::Pkt4Ptr query(new isc::dhcp::Pkt4(wire.data(), wire.size()));
        query->unpack();
        const PiDecision d = logic.onReceive(*query).decision;
        isc::dhcp::Pkt4Ptr reply(new isc::dhcp::Pkt4(isc::dhcp::DHCPOFFER, query->getTransid()));
        reply->setYiaddr(isc::asiolink::IOAddress("192.0.2.100"));
        const SendResult sent = logic.onSend(d, *reply, query.get());
        const auto opt = reply->getOption(66);
        REQUIRE(opt);
        const auto& data = opt->getData();
        CHECK(std::string(data.begin(), data.end()) == ipv4ToString(*sent.tftpServer));
        return *sent.tftpServer;
    };
    CHECK(sendTo(PiModel::Pi5, "2c:cf:67:00:00:05", "bf9fed6f") == ip("192.0.2.54"));  // clients
    CHECK(sendTo(PiModel::Pi4, "e4:5f:01:00:00:01", "5a5a0001") == ip("192.0.2.53"));  // no group
    std::map<std::uint32_t, int> count;
    for (std::uint32_t i = 0; i < 40; ++i) {
        char serial[9];
        std::snprintf(serial, sizeof serial, "5a5a%04x", i);
        const std::uint32_t node = sendTo(PiModel::Pi5, "2c:cf:67:00:00:05", serial);
        CHECK(node == nodeOf(selector, [&] {
                  TftpNodeQuery q = piWithSerial(0x5a5a0000u + i);
                  q.inClass = [](const std::string& c) { return c == "RPI_NETBOOT_PI5"; };
                  return q;
              }()));
        ++count[node];
    }
    CHECK(count[kA] > 5);
    CHECK(count[kB] > 5);
}
