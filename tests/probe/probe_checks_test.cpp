// The probe's checks on recorded facts (offers, DHCP rounds, TFTP transfers, config.txt,
// cmdline.txt, mountd's export list), and the findings table they all build from.
// Option 43 vectors: tests/unit/vectors.h (dnsmasq's pxe-service encoding).
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <tuple>

#include "rpinetboot/boot_plan.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/probe/cmdline_check.h"
#include "rpinetboot/probe/config_txt.h"
#include "rpinetboot/probe/dhcp_check.h"
#include "rpinetboot/probe/nfs_check.h"
#include "rpinetboot/probe/offer_check.h"
#include "rpinetboot/probe/route_check.h"
#include "rpinetboot/probe/tftp_check.h"
#include "vectors.h"

using namespace rpinetboot;
using namespace rpinetboot::probe;

namespace {

const std::uint32_t kServer = *parseIpv4("192.0.2.1");

DhcpPacket offer(std::vector<std::pair<std::uint8_t, Bytes>> extra) {
    DhcpPacket p;
    p.op = 2;
    p.yiaddr = *parseIpv4("192.0.2.100");
    p.options = {{53, {2}}, {54, {192, 0, 2, 1}}};
    for (auto& o : extra) p.options.push_back(std::move(o));
    return p;
}

bool has(const OfferAssessment& a, const std::string& code, Verdict v) {
    return std::any_of(a.findings.begin(), a.findings.end(),
                       [&](const Finding& f) { return f.code == code && f.verdict == v; });
}

bool has(const CmdlineAssessment& a, const std::string& code) {
    return std::any_of(a.findings.begin(), a.findings.end(),
                       [&](const Finding& f) { return f.code == code; });
}

}  // namespace

TEST_CASE("a correct Pi 4 offer is sound and names option 66's server", "[probe]") {
    auto a = assessOffer(offer({{43, vectors::option43Unpadded()},
                                {60, vectors::text("PXEClient")},
                                {66, vectors::text("192.0.2.5")}}),
                         PiModel::Pi4, kServer);
    CHECK(a.netboot);
    CHECK(sound(a.findings));
    CHECK(ipv4ToString(a.tftpServer) == "192.0.2.5");
    CHECK(a.tftpServerSource == "option 66");
    CHECK(chooseOffer({a}) == 0);
}

TEST_CASE("an offer without option 43 does not boot a Pi", "[probe]") {
    auto a = assessOffer(offer({}), PiModel::Pi4, kServer);
    CHECK_FALSE(a.netboot);
    CHECK(has(a, "no-option-43", Verdict::Fail));
    CHECK(has(a, "no-option-66", Verdict::Info));
    CHECK(a.tftpServer == kServer);  // option 54
    CHECK(chooseOffer({a}) == -1);
}

TEST_CASE("another vendor's option 43 is recognised as such", "[probe]") {
    // A Wi-Fi controller style option 43: sub-option 241 with an address.
    auto a = assessOffer(offer({{43, {241, 4, 192, 0, 2, 9}}}), PiModel::Pi4, kServer);
    CHECK(has(a, "no-pi-boot-text", Verdict::Fail));
}

TEST_CASE("the Pi 3B ROM needs the padded menu text", "[probe]") {
    auto unpadded = assessOffer(offer({{43, vectors::option43Unpadded()}}), PiModel::Rom3, kServer);
    CHECK(has(unpadded, "no-rom-padding", Verdict::Fail));
    auto padded = assessOffer(offer({{43, vectors::option43Padded()}}), PiModel::Rom3, kServer);
    CHECK(padded.netboot);
    // Later loaders match a substring: the padded form suits them too (docs/protocol/dhcp.md).
    CHECK(assessOffer(offer({{43, vectors::option43Padded()}}), PiModel::Pi5, kServer).netboot);
}

TEST_CASE("option 66 must be text, not binary or a host name", "[probe]") {
    auto binary = assessOffer(offer({{43, vectors::option43Unpadded()}, {66, {192, 0, 2, 5}}}),
                              PiModel::Pi4, kServer);
    CHECK(has(binary, "option66-binary", Verdict::Fail));
    auto name =
        assessOffer(offer({{43, vectors::option43Unpadded()}, {66, vectors::text("tftp.example")}}),
                    PiModel::Pi4, kServer);
    CHECK(has(name, "option66-hostname", Verdict::Fail));
    auto nul = vectors::text("192.0.2.5");
    nul.push_back(0);
    auto withNul =
        assessOffer(offer({{43, vectors::option43Unpadded()}, {66, nul}}), PiModel::Pi4, kServer);
    CHECK(has(withNul, "option66-nul", Verdict::Warn));
    CHECK(ipv4ToString(withNul.tftpServer) == "192.0.2.5");
}

TEST_CASE("siaddr alone is ignored by the Pi", "[probe]") {
    auto p = offer({{43, vectors::option43Unpadded()}});
    p.siaddr = *parseIpv4("192.0.2.7");
    auto a = assessOffer(p, PiModel::Pi4, kServer);
    CHECK(has(a, "siaddr-ignored", Verdict::Warn));
    CHECK(a.tftpServer == kServer);
}

TEST_CASE("pad options warn for EEPROM Pis only", "[probe]") {
    auto p = offer({{43, vectors::option43Unpadded()}});
    p.hasPad = true;
    CHECK(has(assessOffer(p, PiModel::Pi4, kServer), "pad-options", Verdict::Warn));
    CHECK_FALSE(has(assessOffer(p, PiModel::Bootcode, kServer), "pad-options", Verdict::Warn));
}

TEST_CASE("config.txt picks kernel and initramfs per model section", "[probe]") {
    const std::string cfg =
        "# comment\n[pi4]\nkernel=vmlinuz-pi4\n[pi5]\nkernel=kernel_2712.img\n[all]\n"
        "initramfs initrd.img followkernel\narm_64bit=1\n";
    CHECK(parseConfigTxt(cfg, PiModel::Pi4).kernel == "vmlinuz-pi4");
    CHECK(parseConfigTxt(cfg, PiModel::Pi5).kernel == "kernel_2712.img");
    CHECK_FALSE(parseConfigTxt(cfg, PiModel::Rom3).kernel);
    CHECK(parseConfigTxt(cfg, PiModel::Rom3).initramfs == "initrd.img");
    CHECK_FALSE(parseConfigTxt(cfg, PiModel::Pi5).autoInitramfs);
    // Raspberry Pi OS's config.txt: auto_initramfs=1, no initramfs line.
    const std::string stock = "[all]\nauto_initramfs=1\n[pi4]\nauto_initramfs=0\n";
    CHECK(parseConfigTxt(stock, PiModel::Pi5).autoInitramfs);
    CHECK_FALSE(parseConfigTxt(stock, PiModel::Pi5).initramfs);
    CHECK_FALSE(parseConfigTxt(stock, PiModel::Pi4).autoInitramfs);
}

TEST_CASE("cmdline.txt NFS root checks", "[probe]") {
    auto good = assessCmdline(
        "console=serial0,115200 root=/dev/nfs nfsroot=192.0.2.1:/srv/nfs/pi/bf9fed6f,vers=3,tcp "
        "rw ip=dhcp rootwait\n");
    REQUIRE(good.nfsroot);
    CHECK(good.nfsroot->server == "192.0.2.1");
    CHECK(good.nfsroot->path == "/srv/nfs/pi/bf9fed6f");
    REQUIRE(good.nfsroot->version);
    CHECK(good.nfsroot->version->major == 3);
    CHECK_FALSE(good.nfsroot->version->minor);
    CHECK(good.findings.empty());

    auto noVers = assessCmdline("root=/dev/nfs nfsroot=192.0.2.1:/srv/nfs/pi/x rw ip=dhcp");
    CHECK(has(noVers, "cmdline-no-vers"));
    CHECK(has(assessCmdline("root=/dev/nfs rw"), "cmdline-no-nfsroot"));
    CHECK(has(assessCmdline("root=/dev/nfs nfsroot=/x,vers=3 ip=dhcp"), "cmdline-bad-nfsroot"));
    CHECK(has(assessCmdline("root=/dev/nfs nfsroot=192.0.2.1:/x,vers=abc ip=dhcp"),
              "cmdline-bad-vers"));
    CHECK(has(assessCmdline("root=/dev/nfs nfsroot=192.0.2.1:/x,vers=4"), "cmdline-no-ip"));
    auto sd = assessCmdline("console=tty1 root=PARTUUID=abcd-02 rootfstype=ext4 rootwait");
    CHECK(has(sd, "not-nfs-root"));
    CHECK_FALSE(sd.nfsroot);
}

TEST_CASE("nfsroot vers= takes major and NFSv4 minor versions as nfs(5) writes them", "[probe]") {
    auto version = [](const std::string& value) {
        return assessCmdline("root=/dev/nfs nfsroot=192.0.2.1:/srv/nfs/pi/x,tcp," + value +
                             " ip=dhcp");
    };
    const std::vector<std::tuple<std::string, unsigned, std::optional<unsigned>>> good = {
        {"vers=3", 3, std::nullopt}, {"vers=4", 4, std::nullopt}, {"vers=4.0", 4, 0u},
        {"vers=4.1", 4, 1u},         {"vers=4.2", 4, 2u},         {"nfsvers=4.1", 4, 1u},
        {"vers=2", 2, std::nullopt}};
    for (const auto& [text, major, minor] : good) {
        INFO(text);
        auto a = version(text);
        REQUIRE(a.nfsroot);
        REQUIRE(a.nfsroot->version);
        CHECK(a.nfsroot->version->major == major);
        CHECK(a.nfsroot->version->minor == minor);
        CHECK(a.findings.empty());
    }
    for (const std::string bad : {"vers=", "vers=abc", "vers=4.", "vers=.1", "vers=4.3", "vers=3.1",
                                  "vers=5", "vers=1", "vers=0", "vers=-3", "vers=+4", "vers=4.1.1",
                                  "vers=4x", "vers=99999999999999999999", "nfsvers=4.x"}) {
        INFO(bad);
        auto a = version(bad);
        REQUIRE(a.nfsroot);
        CHECK_FALSE(a.nfsroot->version);
        CHECK(has(a, "cmdline-bad-vers"));
        CHECK_FALSE(has(a, "cmdline-no-vers"));
    }
    CHECK(parseNfsVersion("4.1")->minor == 1u);
    CHECK_FALSE(parseNfsVersion(""));
    CHECK_FALSE(parseNfsVersion(" 4"));
    CHECK_FALSE(parseNfsVersion("4 "));
    CHECK_FALSE(parseNfsVersion("4.1 "));
}

namespace {

TransferObservation seen(TransferObservation::Outcome outcome, std::string message = "") {
    TransferObservation o;
    o.outcome = outcome;
    o.errorMessage = std::move(message);
    return o;
}

bool hasCode(const std::vector<Finding>& fs, const std::string& code, Verdict v) {
    return std::any_of(fs.begin(), fs.end(),
                       [&](const Finding& f) { return f.code == code && f.verdict == v; });
}

const BootFileStep kKernel{StepKind::File, "kernel8.img", true, {true, 1468}, FilePurpose::Kernel};
const BootFileStep kOverlayMap{
    StepKind::File, "overlays/overlay_map.dtb", false, {true, 1468}, FilePurpose::Overlays};

}  // namespace

TEST_CASE("TFTP answers map to the Pi's diagnoses", "[probe][tftp]") {
    using O = TransferObservation::Outcome;
    CHECK(assessTransfer(kKernel, "s/kernel8.img", seen(O::Found), "192.0.2.1").empty());
    // A missing required file fails; a missing optional one is normal (the firmware probes).
    CHECK(hasCode(assessTransfer(kKernel, "s/kernel8.img", seen(O::Missing, "1"), "192.0.2.1"),
                  "file-missing", Verdict::Fail));
    CHECK(assessTransfer(kOverlayMap, "s/overlays/overlay_map.dtb", seen(O::Missing), "x").empty());
    // ERROR 2 (access violation) is a file the daemon may not read, required or not.
    auto denied =
        assessTransfer(kOverlayMap, "s/o", seen(O::Denied, "2 \"Access violation\""), "192.0.2.1");
    CHECK(hasCode(denied, "file-unreadable", Verdict::Fail));
    CHECK(denied.front().message.find("Access violation") != std::string::npos);
    CHECK(hasCode(assessTransfer(kKernel, "k", seen(O::NoAnswer), "x"), "tftp-timeout",
                  Verdict::Fail));
    CHECK(hasCode(assessTransfer(kKernel, "k", seen(O::ProtocolError), "x"), "tftp-protocol",
                  Verdict::Fail));
    CHECK(hasCode(assessTransfer(kOverlayMap, "o", seen(O::OtherError), "x"), "tftp-error",
                  Verdict::Warn));
}

TEST_CASE("only silence on the first request means the TFTP server is unreachable",
          "[probe][tftp]") {
    using O = TransferObservation::Outcome;
    auto f = unreachable(seen(O::NoAnswer, "no answer"), "192.0.2.9");
    REQUIRE(f);
    CHECK(f->code == "tftp-unreachable");
    CHECK(f->verdict == Verdict::Fail);
    CHECK(f->message.find("192.0.2.9") != std::string::npos);
    CHECK_FALSE(unreachable(seen(O::Missing), "192.0.2.9"));
    CHECK_FALSE(unreachable(seen(O::Found), "192.0.2.9"));
}

TEST_CASE("a missing serial directory is the root fallback", "[probe][tftp]") {
    auto f = prefixFallback("bf9fed6f", "start4.elf");
    CHECK(f.code == "serial-dir-missing");
    CHECK(f.verdict == Verdict::Fail);
    CHECK(f.message.find("bf9fed6f/start4.elf") != std::string::npos);
}

TEST_CASE("tsize and blksize must both come back in an OACK", "[probe][tftp]") {
    // docs/protocol/tftp.md: always OACK blksize and tsize when asked (firmware#1012).
    TransferObservation o = seen(TransferObservation::Outcome::Found);
    o.asked = {"tsize", "blksize"};
    o.oack = true;
    o.acknowledged = {"tsize", "blksize"};
    CHECK_FALSE(missingOack(PiModel::Pi4, "s/start4.elf", o));

    o.acknowledged = {"tsize"};  // blksize dropped
    auto partial = missingOack(PiModel::Pi4, "s/start4.elf", o);
    REQUIRE(partial);
    CHECK(partial->code == "no-oack");
    CHECK(partial->message.find("does not acknowledge blksize") != std::string::npos);

    o.oack = false;  // plain DATA: no OACK at all
    o.acknowledged.clear();
    auto none = missingOack(PiModel::Pi5, "config.txt", o);
    REQUIRE(none);
    CHECK(none->verdict == Verdict::Fail);
    CHECK(none->message.find("config.txt") != std::string::npos);

    // bootcode.bin asks tsize only; without it the firmware goes on: a warning.
    o.asked = {"tsize"};
    auto old = missingOack(PiModel::Bootcode, "s/start.elf", o);
    REQUIRE(old);
    CHECK(old->verdict == Verdict::Warn);

    // The Pi 3 ROM asks nothing, so nothing can be missing; nor for files that are absent.
    o.asked.clear();
    CHECK_FALSE(missingOack(PiModel::Rom3, "bootcode.bin", o));
    TransferObservation gone = seen(TransferObservation::Outcome::Missing);
    gone.asked = {"tsize"};
    CHECK_FALSE(missingOack(PiModel::Pi4, "x", gone));
}

TEST_CASE("the block counter limit fails old firmware and warns EEPROMs", "[probe][tftp]") {
    const BootFileStep romKernel{
        StepKind::File, "kernel8.img", true, {true, std::nullopt}, FilePurpose::Kernel};
    CHECK_FALSE(blockCounterFinding(PiModel::Rom3, romKernel, "k", 65534ull * 512, 512));
    auto big = blockCounterFinding(PiModel::Rom3, romKernel, "s/kernel8.img", 40ull << 20, 512);
    REQUIRE(big);
    CHECK(big->code == "kernel-too-many-blocks");
    CHECK(big->verdict == Verdict::Fail);
    CHECK(big->message.find("81920 blocks") != std::string::npos);
    auto eeprom = blockCounterFinding(PiModel::Pi4, kKernel, "k", 200ull << 20, 1468);
    REQUIRE(eeprom);
    CHECK(eeprom->verdict == Verdict::Warn);
    auto initrd = blockCounterFinding(PiModel::Bootcode,
                                      {StepKind::File, "initrd", true, {}, FilePurpose::Initramfs},
                                      "i", 64ull << 20, 512);
    REQUIRE(initrd);
    CHECK(initrd->code == "file-too-many-blocks");
    CHECK_FALSE(blockCounterFinding(PiModel::Rom3, romKernel, "k", 1, 0));
}

TEST_CASE("a proxyDHCP reply gives the boot options, another OFFER the address", "[probe]") {
    auto proxyPacket = offer({{43, vectors::option43Unpadded()}, {60, vectors::text("PXEClient")}});
    proxyPacket.yiaddr = 0;
    const std::uint32_t proxyServer = *parseIpv4("192.0.2.2");
    auto proxy = assessOffer(proxyPacket, PiModel::Pi4, proxyServer);
    CHECK(proxy.proxy);
    CHECK(proxy.netboot);
    CHECK(has(proxy, "proxy-offer", Verdict::Info));
    auto plain = assessOffer(offer({}), PiModel::Pi4, kServer);  // the router: address only
    CHECK_FALSE(plain.proxy);

    auto both = chooseOffers({plain, proxy});
    CHECK(both.boot == 1);
    CHECK(both.address == 0);
    auto alone = chooseOffers({proxy});
    CHECK(alone.boot == 0);
    CHECK(alone.address == -1);
    auto full = assessOffer(offer({{43, vectors::option43Unpadded()}}), PiModel::Pi4, kServer);
    auto normal = chooseOffers({plain, full});
    CHECK(normal.boot == 1);
    CHECK(normal.address == 1);
    CHECK(chooseOffers({plain}).boot == -1);
}

TEST_CASE("an OFFER without option 54 is flagged", "[probe]") {
    auto p = offer({{43, vectors::option43Unpadded()}, {66, vectors::text("192.0.2.5")}});
    p.options.erase(p.options.begin() + 1);  // option 54
    auto a = assessOffer(p, PiModel::Pi4, kServer);
    CHECK(has(a, "no-option-54", Verdict::Warn));
    CHECK(a.netboot);
    CHECK_FALSE(has(assessOffer(offer({{43, vectors::option43Unpadded()}}), PiModel::Pi4, kServer),
                    "no-option-54", Verdict::Warn));
}

namespace {

DhcpPacket goodOffer(std::uint32_t yiaddr = *parseIpv4("192.0.2.100")) {
    DhcpPacket p = offer({{43, vectors::option43Unpadded()},
                          {60, vectors::text("PXEClient")},
                          {66, vectors::text("192.0.2.1")}});
    p.yiaddr = yiaddr;
    return p;
}

DhcpPacket proxyOffer() {
    DhcpPacket p = goodOffer(0);
    p.options[1].second = {192, 0, 2, 2};  // option 54: the proxy
    return p;
}

bool hasId(const std::vector<Finding>& fs, FindingId id) {
    return std::any_of(fs.begin(), fs.end(), [&](const Finding& f) { return f.id == id; });
}

}  // namespace

TEST_CASE("judgeOffers: one offer per server, the chosen one in detail, the others briefly",
          "[probe][dhcp]") {
    const std::uint32_t a = *parseIpv4("192.0.2.1"), b = *parseIpv4("192.0.2.3");
    auto round = judgeOffers(PiModel::Pi4,
                             {{goodOffer(), a, true},
                              {goodOffer(), a, true},
                              {goodOffer(*parseIpv4("192.0.2.101")), b, true}},
                             "eth0");
    REQUIRE(round.offers.size() == 2);  // the repeat from 192.0.2.1 is dropped
    CHECK(round.choice.boot == 0);
    CHECK(round.choice.address == 0);
    CHECK(sound(round.findings));
    CHECK(hasId(round.findings, FindingId::NoOption66) == false);
    CHECK(hasId(round.findings, FindingId::OfferIgnored));
    CHECK(round.findings.back().message ==
          "The Pi ignores the OFFER from 192.0.2.3 (another server answered first).");

    // A reply that is not an OFFER is no answer to a DISCOVER.
    DhcpPacket ack = goodOffer();
    ack.options[0].second = {5};
    auto none = judgeOffers(PiModel::Rom3, {{ack, a, true}}, "eth1");
    CHECK(none.offers.empty());
    REQUIRE(none.findings.size() == 1);
    CHECK(none.findings[0].code == "no-offer");
    CHECK(none.findings[0].message.find("rom3 DISCOVER on eth1") != std::string::npos);

    // Only the EEPROM bootloader drops bad UDP checksums; the ROM stages send zero themselves.
    CHECK(hasId(judgeOffers(PiModel::Pi5, {{goodOffer(), a, false}}, "e").findings,
                FindingId::BadUdpChecksum));
    CHECK_FALSE(hasId(judgeOffers(PiModel::Bootcode, {{goodOffer(), a, false}}, "e").findings,
                      FindingId::BadUdpChecksum));

    // Booting from none: every offer's own findings, so the admin sees each server's problem.
    auto bad = judgeOffers(PiModel::Pi4, {{offer({}), a, true}, {offer({}), b, true}}, "e");
    CHECK(bad.choice.boot == -1);
    CHECK(std::count_if(bad.findings.begin(), bad.findings.end(),
                        [](const Finding& f) { return f.id == FindingId::NoOption43; }) == 2);
}

TEST_CASE("judgeOffers: a proxyDHCP reply needs another server's address", "[probe][dhcp]") {
    const std::uint32_t router = *parseIpv4("192.0.2.1"), proxy = *parseIpv4("192.0.2.2");
    auto both =
        judgeOffers(PiModel::Pi4, {{offer({}), router, true}, {proxyOffer(), proxy, true}}, "e");
    CHECK(both.choice.boot == 1);
    CHECK(both.choice.address == 0);
    CHECK(hasId(both.findings, FindingId::AddressOffer));
    CHECK(sound(both.findings));
    auto alone = judgeOffers(PiModel::Pi4, {{proxyOffer(), proxy, true}}, "e");
    CHECK(hasId(alone.findings, FindingId::ProxyWithoutAddress));
    CHECK_FALSE(sound(alone.findings));
}

TEST_CASE("judgeRequest: ACK of the offered address, NAK, or silence", "[probe][dhcp]") {
    RequestFact fact;
    fact.requestedIp = *parseIpv4("192.0.2.100");
    fact.serverId = *parseIpv4("192.0.2.1");
    CHECK(requestOutcome(fact) == RequestOutcome::NoAnswer);
    auto silent = judgeRequest(fact);
    REQUIRE(silent);
    CHECK(silent->code == "no-ack");
    CHECK(silent->message.find("192.0.2.1 offered 192.0.2.100") != std::string::npos);

    DhcpPacket reply = goodOffer();
    reply.options[0].second = {5};  // ACK
    fact.reply = ReplyFact{reply, fact.serverId, true};
    CHECK(requestOutcome(fact) == RequestOutcome::Ack);
    CHECK_FALSE(judgeRequest(fact));
    fact.reply->packet.yiaddr = *parseIpv4("192.0.2.200");  // an ACK of another address
    CHECK(requestOutcome(fact) == RequestOutcome::NoAnswer);
    fact.reply->packet.options[0].second = {6};  // NAK
    auto nak = judgeRequest(fact);
    REQUIRE(nak);
    CHECK(nak->code == "dhcp-nak");
    CHECK(nak->verdict == Verdict::Fail);
}

TEST_CASE("mountd's answer decides the NFS findings", "[probe][nfs]") {
    CHECK_FALSE(nfsServerNotAddress("192.0.2.1"));
    auto name = nfsServerNotAddress("nfs.example");
    REQUIRE(name);
    CHECK(name->code == "nfs-server-not-address");

    ExportFacts facts;
    facts.server = "192.0.2.1";
    facts.path = "/srv/rpi/a";
    facts.piAddress = *parseIpv4("192.0.2.10");
    facts.error = "RPC: Program not registered";
    auto down = judgeExports(facts);
    REQUIRE(down.size() == 1);
    CHECK(down[0].code == "nfs-unreachable");
    CHECK(down[0].message.find("Program not registered") != std::string::npos);

    facts.listed = true;
    facts.exports = {{"/srv/rpi/a", {"192.0.2.11", "192.0.2.12"}}, {"/srv/rpi/b", {"*"}}};
    auto other = judgeExports(facts);
    REQUIRE(other.size() == 1);
    CHECK(other[0].code == "nfs-not-exported");
    CHECK(other[0].message.find("exported only to 192.0.2.11, 192.0.2.12") != std::string::npos);
    facts.path = "/srv/rpi/c";
    CHECK(judgeExports(facts)[0].message.find("not in its export list") != std::string::npos);
    facts.exported = true;
    CHECK(judgeExports(facts).empty());
}

TEST_CASE("a server behind another route is named, not probed", "[probe]") {
    auto f = routeElsewhere("probing TFTP", "192.0.2.9 is reached through eth1, not eth0");
    CHECK(f.code == "route-elsewhere");
    CHECK(f.message == "Not probing TFTP: 192.0.2.9 is reached through eth1, not eth0.");
}

TEST_CASE("the findings table: one row per id in order, codes stable, no code and severity twice",
          "[probe][findings]") {
    const auto& table = findingTable();
    std::set<std::pair<std::string_view, Verdict>> pairs;
    const std::regex codeForm("[a-z0-9]+(-[a-z0-9]+)*");
    for (std::size_t i = 0; i < table.size(); ++i) {
        const FindingSpec& row = table[i];
        INFO(row.code);
        CHECK(static_cast<std::size_t>(row.id) == i);  // findingSpec indexes by id
        CHECK(&findingSpec(row.id) == &row);
        CHECK(std::regex_match(std::string(row.code), codeForm));
        CHECK(pairs.insert({row.code, row.verdict}).second);
        CHECK_FALSE(row.text.empty());
    }
    // Placeholders are filled in order; missing arguments stay visible rather than vanish.
    CHECK(makeFinding(FindingId::NoOption66, {"192.0.2.1", "option 54"}).message ==
          "No option 66: the Pi will use 192.0.2.1 (option 54) as its TFTP server.");
    CHECK(makeFinding(FindingId::NoOption66).message.find("{}") != std::string::npos);
    CHECK(std::string(verdictName(Verdict::Warn)) == "warn");
}

TEST_CASE("every row of the findings table is produced by a check from recorded facts",
          "[probe][findings]") {
    using O = TransferObservation::Outcome;
    using F = FindingId;
    const std::uint32_t a = *parseIpv4("192.0.2.1"), b = *parseIpv4("192.0.2.3");
    auto assessed = [](DhcpPacket p, PiModel m = PiModel::Pi4) {
        return assessOffer(p, m, *parseIpv4("192.0.2.1")).findings;
    };
    auto with66 = [](Bytes value) {
        return offer({{43, vectors::option43Unpadded()}, {66, std::move(value)}});
    };
    TransferObservation noOack = seen(O::Found);
    noOack.asked = {"tsize", "blksize"};
    const BootFileStep initrd{StepKind::File, "initrd", true, {}, FilePurpose::Initramfs};
    RequestFact nak{*parseIpv4("192.0.2.100"), a, ReplyFact{goodOffer(), a, true}};
    nak.reply->packet.options[0].second = {6};
    ExportFacts notExported{"192.0.2.1", "/srv/rpi/a", b, true, "", {}, false};

    const std::map<FindingId, std::function<std::vector<Finding>()>> producers = {
        {F::NoOffer, [&] { return judgeOffers(PiModel::Pi4, {}, "e").findings; }},
        {F::BadUdpChecksum,
         [&] {
             return judgeOffers(PiModel::Pi4, {{goodOffer(), a, false}}, "e").findings;
         }},
        {F::NotAnOffer,
         [&] {
             DhcpPacket p = goodOffer();
             p.options[0].second = {5};
             return assessed(p);
         }},
        {F::NoOption43, [&] { return assessed(offer({})); }},
        {F::NoPiBootText,
         [&] {
             return assessed(offer({{43, {241, 4, 192, 0, 2, 9}}}));
         }},
        {F::NoRomPadding,
         [&] {
             return assessed(offer({{43, vectors::option43Unpadded()}}), PiModel::Rom3);
         }},
        {F::Option43, [&] { return assessed(goodOffer()); }},
        {F::NoOption54,
         [&] {
             DhcpPacket p = goodOffer();
             p.options.erase(p.options.begin() + 1);
             return assessed(p);
         }},
        {F::NoOption60,
         [&] {
             return assessed(offer({{43, vectors::option43Unpadded()}}));
         }},
        {F::ProxyOffer, [&] { return assessed(proxyOffer()); }},
        {F::Option66Nul,
         [&] { return assessed(with66(vectors::text(std::string("192.0.2.1\0", 10)))); }},
        {F::Option66Binary,
         [&] {
             return assessed(with66({192, 0, 2, 1}));
         }},
        {F::Option66Hostname, [&] { return assessed(with66(vectors::text("tftp.example"))); }},
        {F::NoOption66,
         [&] {
             return assessed(offer({{43, vectors::option43Unpadded()}}));
         }},
        {F::SiaddrIgnored,
         [&] {
             DhcpPacket p = goodOffer();
             p.siaddr = *parseIpv4("192.0.2.77");
             return assessed(p);
         }},
        {F::PadOptions,
         [&] {
             DhcpPacket p = goodOffer();
             p.hasPad = true;
             return assessed(p);
         }},
        {F::AddressOffer,
         [&] {
             return judgeOffers(PiModel::Pi4, {{offer({}), a, true}, {proxyOffer(), b, true}}, "e")
                 .findings;
         }},
        {F::OfferIgnored,
         [&] {
             return judgeOffers(PiModel::Pi4, {{goodOffer(), a, true}, {goodOffer(), b, true}}, "e")
                 .findings;
         }},
        {F::ProxyWithoutAddress,
         [&] {
             return judgeOffers(PiModel::Pi4, {{proxyOffer(), b, true}}, "e").findings;
         }},
        {F::DhcpNak, [&] { return std::vector<Finding>{*judgeRequest(nak)}; }},
        {F::NoAck,
         [&] {
             return std::vector<Finding>{*judgeRequest({*parseIpv4("192.0.2.100"), a, {}})};
         }},
        {F::RouteElsewhere, [&] { return std::vector<Finding>{routeElsewhere("x", "y")}; }},
        {F::TftpUnreachable,
         [&] { return std::vector<Finding>{*unreachable(seen(O::NoAnswer), "192.0.2.1")}; }},
        {F::SerialDirMissing, [&] { return std::vector<Finding>{prefixFallback("s", "f")}; }},
        {F::FileMissing, [&] { return assessTransfer(kKernel, "k", seen(O::Missing), "x"); }},
        {F::FileUnreadable, [&] { return assessTransfer(kKernel, "k", seen(O::Denied), "x"); }},
        {F::TftpErrorRequired,
         [&] { return assessTransfer(kKernel, "k", seen(O::OtherError), "x"); }},
        {F::TftpErrorOptional,
         [&] { return assessTransfer(kOverlayMap, "o", seen(O::OtherError), "x"); }},
        {F::TftpTimeout, [&] { return assessTransfer(kKernel, "k", seen(O::NoAnswer), "x"); }},
        {F::TftpProtocol,
         [&] { return assessTransfer(kKernel, "k", seen(O::ProtocolError), "x"); }},
        {F::NoOackEeprom,
         [&] { return std::vector<Finding>{*missingOack(PiModel::Pi4, "c", noOack)}; }},
        {F::NoOackFirmware,
         [&] { return std::vector<Finding>{*missingOack(PiModel::Bootcode, "c", noOack)}; }},
        {F::KernelTooManyBlocksFirmware,
         [&] {
             return std::vector<Finding>{
                 *blockCounterFinding(PiModel::Rom3, kKernel, "k", 40ull << 20, 512)};
         }},
        {F::KernelTooManyBlocksEeprom,
         [&] {
             return std::vector<Finding>{
                 *blockCounterFinding(PiModel::Pi5, kKernel, "k", 200ull << 20, 1468)};
         }},
        {F::FileTooManyBlocksFirmware,
         [&] {
             return std::vector<Finding>{
                 *blockCounterFinding(PiModel::Bootcode, initrd, "i", 64ull << 20, 512)};
         }},
        {F::FileTooManyBlocksEeprom,
         [&] {
             return std::vector<Finding>{
                 *blockCounterFinding(PiModel::Pi4, initrd, "i", 200ull << 20, 1468)};
         }},
        {F::NotNfsRoot, [&] { return assessCmdline("root=/dev/mmcblk0p2").findings; }},
        {F::CmdlineNoNfsroot, [&] { return assessCmdline("root=/dev/nfs").findings; }},
        {F::CmdlineBadNfsroot,
         [&] { return assessCmdline("root=/dev/nfs nfsroot=/x,vers=3 ip=dhcp").findings; }},
        {F::CmdlineBadVers,
         [&] {
             return assessCmdline("root=/dev/nfs nfsroot=192.0.2.1:/x,vers=abc ip=dhcp").findings;
         }},
        {F::CmdlineNoVers,
         [&] { return assessCmdline("root=/dev/nfs nfsroot=192.0.2.1:/x ip=dhcp").findings; }},
        {F::CmdlineNoIp,
         [&] { return assessCmdline("root=/dev/nfs nfsroot=192.0.2.1:/x,vers=4").findings; }},
        {F::NfsServerNotAddress,
         [&] { return std::vector<Finding>{*nfsServerNotAddress("nfs.example")}; }},
        {F::NfsUnreachable,
         [&] {
             return judgeExports({"192.0.2.1", "/srv/rpi/a", b, false, "timed out", {}, false});
         }},
        {F::NfsNotExported, [&] { return judgeExports(notExported); }},
    };
    // The boot-event rows are produced, and checked likewise, by timeline_test.
    const auto probeRows =
        std::count_if(findingTable().begin(), findingTable().end(),
                      [](const FindingSpec& r) { return !fromBootEvents(r.id); });
    CHECK(producers.size() == static_cast<std::size_t>(probeRows));  // every row has a producer
    for (const FindingSpec& row : findingTable()) {
        if (fromBootEvents(row.id)) continue;
        INFO(row.code << " (" << verdictName(row.verdict) << ")");
        auto producer = producers.find(row.id);
        REQUIRE(producer != producers.end());
        const auto findings = producer->second();
        auto found = std::find_if(findings.begin(), findings.end(),
                                  [&](const Finding& f) { return f.id == row.id; });
        REQUIRE(found != findings.end());
        CHECK(found->code == row.code);
        CHECK(found->verdict == row.verdict);
        CHECK(found->message.find("{}") == std::string::npos);  // every placeholder filled
    }
}
