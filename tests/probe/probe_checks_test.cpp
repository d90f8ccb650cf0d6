// The probe's verdicts on offers, boot plans, config.txt and cmdline.txt.
// Option 43 vectors: facts section 3 (via tests/unit/vectors.h).
#include <catch2/catch.hpp>

#include <algorithm>

#include "rpinetboot/boot_plan.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/probe/cmdline_check.h"
#include "rpinetboot/probe/config_txt.h"
#include "rpinetboot/probe/offer_check.h"
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
    CHECK(ipv4ToString(a.tftp_server) == "192.0.2.5");
    CHECK(a.tftp_server_source == "option 66");
    CHECK(chooseOffer({a}) == 0);
}

TEST_CASE("an offer without option 43 does not boot a Pi", "[probe]") {
    auto a = assessOffer(offer({}), PiModel::Pi4, kServer);
    CHECK_FALSE(a.netboot);
    CHECK(has(a, "no-option-43", Verdict::Fail));
    CHECK(has(a, "no-option-66", Verdict::Info));
    CHECK(a.tftp_server == kServer);  // option 54
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
    // Later loaders match a substring: the padded form is fine for them too (facts section 3).
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
    auto with_nul =
        assessOffer(offer({{43, vectors::option43Unpadded()}, {66, nul}}), PiModel::Pi4, kServer);
    CHECK(has(with_nul, "option66-nul", Verdict::Warn));
    CHECK(ipv4ToString(with_nul.tftp_server) == "192.0.2.5");
}

TEST_CASE("siaddr alone is ignored by the Pi", "[probe]") {
    auto p = offer({{43, vectors::option43Unpadded()}});
    p.siaddr = *parseIpv4("192.0.2.7");
    auto a = assessOffer(p, PiModel::Pi4, kServer);
    CHECK(has(a, "siaddr-ignored", Verdict::Warn));
    CHECK(a.tftp_server == kServer);
}

TEST_CASE("pad options warn for EEPROM Pis only", "[probe]") {
    auto p = offer({{43, vectors::option43Unpadded()}});
    p.has_pad = true;
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
}

TEST_CASE("cmdline.txt NFS root checks", "[probe]") {
    auto good = assessCmdline(
        "console=serial0,115200 root=/dev/nfs nfsroot=192.0.2.1:/srv/nfs/pi/bf9fed6f,vers=3,tcp "
        "rw ip=dhcp rootwait\n");
    REQUIRE(good.nfsroot);
    CHECK(good.nfsroot->server == "192.0.2.1");
    CHECK(good.nfsroot->path == "/srv/nfs/pi/bf9fed6f");
    CHECK(good.nfsroot->version == 3);
    CHECK(good.findings.empty());

    auto no_vers = assessCmdline("root=/dev/nfs nfsroot=192.0.2.1:/srv/nfs/pi/x rw ip=dhcp");
    CHECK(has(no_vers, "cmdline-no-vers"));
    CHECK(has(assessCmdline("root=/dev/nfs rw"), "cmdline-no-nfsroot"));
    CHECK(has(assessCmdline("root=/dev/nfs nfsroot=/x,vers=3 ip=dhcp"), "cmdline-bad-nfsroot"));
    CHECK(has(assessCmdline("root=/dev/nfs nfsroot=192.0.2.1:/x,vers=abc ip=dhcp"),
              "cmdline-bad-vers"));
    CHECK(has(assessCmdline("root=/dev/nfs nfsroot=192.0.2.1:/x,vers=4"), "cmdline-no-ip"));
    auto sd = assessCmdline("console=tty1 root=PARTUUID=abcd-02 rootfstype=ext4 rootwait");
    CHECK(has(sd, "not-nfs-root"));
    CHECK_FALSE(sd.nfsroot);
}

namespace {

TransferObservation seen(TransferObservation::Outcome outcome, std::string message = "") {
    TransferObservation o;
    o.outcome = outcome;
    o.error_message = std::move(message);
    return o;
}

bool hasCode(const std::vector<Finding>& fs, const std::string& code, Verdict v) {
    return std::any_of(fs.begin(), fs.end(),
                       [&](const Finding& f) { return f.code == code && f.verdict == v; });
}

const BootStep kKernel{StepKind::File, "kernel8.img", true, {true, 1468}, FilePurpose::Kernel};
const BootStep kOverlayMap{
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
    // Facts section 5: always OACK blksize and tsize when asked (firmware#1012).
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
    const BootStep rom_kernel{
        StepKind::File, "kernel8.img", true, {true, std::nullopt}, FilePurpose::Kernel};
    CHECK_FALSE(blockCounterFinding(PiModel::Rom3, rom_kernel, "k", 65534ull * 512, 512));
    auto big = blockCounterFinding(PiModel::Rom3, rom_kernel, "s/kernel8.img", 40ull << 20, 512);
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
    CHECK_FALSE(blockCounterFinding(PiModel::Rom3, rom_kernel, "k", 1, 0));
}

TEST_CASE("a proxyDHCP reply gives the boot options, another OFFER the address", "[probe]") {
    auto proxy_packet =
        offer({{43, vectors::option43Unpadded()}, {60, vectors::text("PXEClient")}});
    proxy_packet.yiaddr = 0;
    const std::uint32_t proxy_server = *parseIpv4("192.0.2.2");
    auto proxy = assessOffer(proxy_packet, PiModel::Pi4, proxy_server);
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
