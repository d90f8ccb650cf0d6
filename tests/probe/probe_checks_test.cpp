// The probe's verdicts on offers, boot plans, config.txt and cmdline.txt.
// Option 43 vectors: facts section 3 (via tests/unit/vectors.h).
#include <catch2/catch.hpp>

#include <algorithm>

#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/probe/boot_plan.h"
#include "rpinetboot/probe/cmdline_check.h"
#include "rpinetboot/probe/offer_check.h"
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

TEST_CASE("boot plans follow each stage's dialect", "[probe]") {
    auto rom = bootPlan(PiModel::Rom3);
    REQUIRE(rom.size() > 3);
    CHECK(rom[0].file == "bootcode.bin");
    CHECK(rom[0].kind == StepKind::RootFile);
    CHECK_FALSE(rom[0].dialect.tsize);  // Pi 3 ROM: no options, 512-byte blocks
    CHECK_FALSE(rom[1].required);       // bootsig.bin
    CHECK(rom[2].kind == StepKind::PrefixProbe);
    CHECK(rom[2].file == "start.elf");
    CHECK(rom[2].dialect.tsize);
    CHECK_FALSE(rom[2].dialect.blksize);

    auto pi4 = bootPlan(PiModel::Pi4);
    CHECK(pi4[0].kind == StepKind::PrefixProbe);
    CHECK(pi4[0].file == "start4.elf");
    CHECK(pi4[0].dialect.blksize == 1468);
    auto pi5 = bootPlan(PiModel::Pi5);
    CHECK(std::none_of(pi5.begin(), pi5.end(),
                       [](const BootStep& s) { return s.file.rfind("start", 0) == 0; }));
}

TEST_CASE("config.txt picks kernel and initramfs per model section", "[probe]") {
    const std::string cfg =
        "# comment\n[pi4]\nkernel=vmlinuz-pi4\n[pi5]\nkernel=kernel_2712.img\n[all]\n"
        "initramfs initrd.img followkernel\narm_64bit=1\n";
    CHECK(parseConfigTxt(cfg, PiModel::Pi4).kernel == "vmlinuz-pi4");
    CHECK(parseConfigTxt(cfg, PiModel::Pi5).kernel == "kernel_2712.img");
    CHECK_FALSE(parseConfigTxt(cfg, PiModel::Rom3).kernel);
    CHECK(parseConfigTxt(cfg, PiModel::Rom3).initramfs == "initrd.img");
    CHECK(defaultKernels(PiModel::Pi5).front() == "kernel_2712.img");
}

TEST_CASE("files over 65535 blocks are flagged for old bootloaders", "[probe]") {
    CHECK_FALSE(exceedsBlockCounter(65534ull * 512, 512));
    CHECK(exceedsBlockCounter(65535ull * 512, 512));
    CHECK(exceedsBlockCounter(40ull * 1024 * 1024, 512));
    CHECK_FALSE(exceedsBlockCounter(40ull * 1024 * 1024, 1468));
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
