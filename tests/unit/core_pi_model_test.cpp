// core's per-model table (pi_model.h) and boot plans (boot_plan.h): every model has one row, the
// columns agree with what the DISCOVER builder and the classifier do with them, and the plans
// keep the order and dialects of the captures (rpi-eeprom#74, #857; raspberrypi/documentation
// boot-net.adoc).
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <utility>

#include "rpinetboot/boot_plan.h"
#include "rpinetboot/classify.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/discover.h"
#include "rpinetboot/pi_model.h"
#include "vectors.h"

using namespace rpinetboot;

TEST_CASE("every model has exactly one row, found by name", "[pi_model]") {
    std::set<std::string_view> names, classes;
    for (PiModel m : kPiModels) {
        const PiModelFacts& f = facts(m);
        CHECK(f.model == m);
        CHECK(parsePiModel(f.name) == m);
        names.insert(f.name);
        classes.insert(f.className);
        CHECK(f.className.substr(0, kClassAll.size()) == kClassAll);
    }
    CHECK(names.size() == kPiModels.size());
    CHECK(classes.size() == kPiModels.size());
    CHECK_FALSE(parsePiModel("pi6"));
    CHECK(className(PiModel::Rom3) == "RPI_NETBOOT_ROM3");
    CHECK(piModelName(PiModel::Bootcode) == "bootcode");
}

TEST_CASE("the table's DHCP columns are what the builder sends and the classifier sees",
          "[pi_model]") {
    for (PiModel m : kPiModels) {
        INFO(piModelName(m));
        PiIdentity pi;
        pi.model = m;
        pi.mac = *MacAddress::parse(vectors::kPi4Mac);
        pi.serial = Serial(vectors::kPi4Serial);
        pi.boardRevision = vectors::kPi4Revision;
        pi.xid = 0x5eed1234;
        const auto packet = parseDhcpPacket(buildDiscover(pi), nullptr);
        REQUIRE(packet);
        const Bytes* list = packet->option(55);
        REQUIRE(list);
        CHECK(matchRequestList(*list) == facts(m).requestList);
        DhcpRequestView view;
        view.vendorClass = kPiVendorClass;
        view.requestList = ByteSpan(*list);
        view.option97 = ByteSpan(*packet->option(97));
        view.mac = pi.mac;
        view.xid = packet->xid;
        CHECK(classify(view, {}).piClass == m);
        // Only shape C has its own xid: the ROM stages send a constant one.
        CHECK((packet->xid == kRomXid) == (shapeOf(m) != DiscoverShape::C));
    }
    // The stages that never send DHCPREQUEST (their offers must be held).
    CHECK_FALSE(sendsRequest(PiModel::Rom3));
    CHECK_FALSE(sendsRequest(PiModel::Bootcode));
    CHECK(sendsRequest(PiModel::Pi4));
    CHECK(sendsRequest(PiModel::Pi5));
    CHECK(facts(PiModel::Rom3).needsPaddedMenu);
    CHECK_FALSE(facts(PiModel::Bootcode).needsPaddedMenu);
}

TEST_CASE("emulated Pis get their board family's OUI and, in shape C, a board revision",
          "[pi_model]") {
    const OuiSet piOuis;  // the built-in list
    for (PiModel m : kPiModels) {
        INFO(piModelName(m));
        const MacAddress mac = MacAddress::fromOui(facts(m).emulatedOui, 0x123456);
        CHECK(piOuis.contains(mac));
        CHECK(mac.oui() == facts(m).emulatedOui);
        CHECK((facts(m).emulatedBoardRevision != 0) == (shapeOf(m) == DiscoverShape::C));
    }
    CHECK(MacAddress::fromOui(0xdca632, 0x01abcdef).str() == "dc:a6:32:ab:cd:ef");
}

TEST_CASE("boot plans follow each stage's order and dialect", "[pi_model][boot_plan]") {
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
    // config.txt is read twice; the recovery files are looked for and may be missing.
    CHECK(std::count_if(pi4.begin(), pi4.end(),
                        [](const BootFileStep& s) { return s.file == "config.txt"; }) == 2);
    CHECK(std::any_of(pi4.begin(), pi4.end(), [](const BootFileStep& s) {
        return s.file == "recover4.elf" && !s.required && s.purpose == FilePurpose::Recovery;
    }));
    auto pi5 = bootPlan(PiModel::Pi5);
    CHECK(std::none_of(pi5.begin(), pi5.end(),
                       [](const BootFileStep& s) { return s.file.rfind("start", 0) == 0; }));
    for (PiModel m : kPiModels) {
        INFO(piModelName(m));
        const auto plan = bootPlan(m);
        // One prefix probe; the kernel's default name; dtb, cmdline, kernel required.
        CHECK(std::count_if(plan.begin(), plan.end(), [](const BootFileStep& s) {
                  return s.kind == StepKind::PrefixProbe;
              }) == 1);
        auto kernel = std::find_if(plan.begin(), plan.end(), [](const BootFileStep& s) {
            return s.purpose == FilePurpose::Kernel;
        });
        REQUIRE(kernel != plan.end());
        CHECK(kernel->file == defaultKernels(m).front());
        CHECK(kernel->required);
        CHECK(std::any_of(plan.begin(), plan.end(), [&](const BootFileStep& s) {
            return s.file == deviceTree(m) && s.required;
        }));
        for (const auto& s : plan) {
            if (s.kind != StepKind::RootFile)
                CHECK(s.dialect.blksize == facts(m).firmwareTftp.blksize);
        }
    }
    CHECK(defaultKernels(PiModel::Pi5).front() == "kernel_2712.img");
    CHECK(stepKindName(StepKind::PrefixProbe) == "prefix-probe");
    CHECK(purposeName(FilePurpose::DeviceTree) == "dtb");
}

TEST_CASE("a requested file's purpose comes from the plans, prefix or not", "[boot_plan]") {
    CHECK(purposeOfFile("bootcode.bin") == FilePurpose::SecondStage);
    CHECK(purposeOfFile("1a2b3c04/start4.elf") == FilePurpose::Firmware);
    CHECK(purposeOfFile("dc-a6-32-01-36-c2/start.elf") == FilePurpose::Firmware);
    CHECK(purposeOfFile("fixup4.dat") == FilePurpose::Firmware);
    CHECK(purposeOfFile("1a2b3c04/config.txt") == FilePurpose::Config);
    CHECK(purposeOfFile("1a2b3c04/overlays/overlay_map.dtb") == FilePurpose::Overlays);
    CHECK(purposeOfFile("bcm2712-rpi-5-b.dtb") == FilePurpose::DeviceTree);
    CHECK(purposeOfFile("1a2b3c04/kernel_2712.img") == FilePurpose::Kernel);
    CHECK(purposeOfFile("kernel7l.img") == FilePurpose::Kernel);
    CHECK(purposeOfFile("cmdline.txt") == FilePurpose::Cmdline);
    CHECK(purposeOfFile("initramfs8") == FilePurpose::Initramfs);
    CHECK(purposeOfFile("1a2b3c05/initramfs_2712") == FilePurpose::Initramfs);
    // Not a plan's file, or only a name ending like one.
    CHECK_FALSE(purposeOfFile("my-kernel.img"));
    CHECK_FALSE(purposeOfFile("xstart4.elf"));
    CHECK_FALSE(purposeOfFile("start4.elf.bak"));
    CHECK_FALSE(purposeOfFile(""));
    CHECK_FALSE(purposeOfFile("/"));
}

TEST_CASE("files over 65535 blocks are flagged for old bootloaders", "[boot_plan]") {
    CHECK_FALSE(exceedsBlockCounter(65534ull * 512, 512));
    CHECK(exceedsBlockCounter(65535ull * 512, 512));
    CHECK(exceedsBlockCounter(40ull * 1024 * 1024, 512));
    CHECK_FALSE(exceedsBlockCounter(40ull * 1024 * 1024, 1468));
    CHECK_FALSE(exceedsBlockCounter(1, 0));
}

TEST_CASE("shape names are the letters docs/protocol/dhcp.md uses", "[pi_model]") {
    CHECK(std::string(shapeName(DiscoverShape::A)) == "A");
    CHECK(std::string(shapeName(DiscoverShape::B)) == "B");
    CHECK(std::string(shapeName(shapeOf(PiModel::Pi5))) == "C");
}

TEST_CASE("auto_initramfs: the initramfs is named after the kernel", "[boot_plan]") {
    // raspberrypi/documentation#3090 (auto_initramfs), raspberrypi/firmware#1965.
    CHECK(autoInitramfs("kernel8.img") == "initramfs8");
    CHECK(autoInitramfs("kernel_2712.img") == "initramfs_2712");
    CHECK(autoInitramfs("kernel7l.img") == "initramfs7l");
    CHECK(autoInitramfs("kernel8-custom.img") == "initramfs8-custom");
    CHECK(autoInitramfs("boot/kernel8.img") == "boot/initramfs8");
    CHECK(autoInitramfs("kernel8") == "initramfs8");
    CHECK(autoInitramfs("vmlinuz-rpi").empty());
    CHECK(autoInitramfs("boot/my-kernel8.img").empty());
    CHECK(autoInitramfs("").empty());
    // Each model's plan asks for the initramfs of its first default kernel, after that kernel:
    // a Pi 5 loads kernel_2712.img, so initramfs_2712, not the Pi 4's initramfs8.
    const std::pair<PiModel, const char*> want[] = {{PiModel::Rom3, "initramfs8"},
                                                    {PiModel::Bootcode, "initramfs8"},
                                                    {PiModel::Pi4, "initramfs8"},
                                                    {PiModel::Pi5, "initramfs_2712"}};
    for (const auto& [model, name] : want) {
        CAPTURE(facts(model).name);
        const auto plan = bootPlan(model);
        const auto kernel = std::find_if(plan.begin(), plan.end(), [](const BootFileStep& s) {
            return s.purpose == FilePurpose::Kernel;
        });
        const auto initramfs = std::find_if(plan.begin(), plan.end(), [](const BootFileStep& s) {
            return s.purpose == FilePurpose::Initramfs;
        });
        REQUIRE(kernel != plan.end());
        REQUIRE(initramfs != plan.end());
        CHECK(initramfs->file == name);
        CHECK(kernel < initramfs);
        CHECK_FALSE(initramfs->required);
    }
}
