// rpi-netboot-timeline's logic on recorded events: grouping into Pis and boots, stages, the
// derived BOOT_FILES_DONE, every verdict of the findings table's boot-event rows, bad input, the
// options and the output.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "options.h"
#include "report.h"
#include "rpinetboot/timeline/boot_file.h"
#include "rpinetboot/timeline/fleet.h"
#include "sources.h"

using namespace rpinetboot;
using namespace rpinetboot::timeline;
using probe::FindingId;

namespace {

constexpr std::uint64_t kT0 = 1796497318000000;  // 2026-12-05
constexpr std::uint64_t kSecond = 1'000'000;

struct Pi4 {
    std::string serial = "1a2b3c04", mac = "dc:a6:32:2b:3c:04", address = "198.51.100.10";
    std::string model = "pi4";

    BootEvent dhcp(BootStep step, std::uint64_t at, bool withAddress = true) const {
        BootEvent e;
        e.step = step;
        e.timestampUs = at;
        e.source = "kea-hook";
        e.serial = serial;
        e.mac = mac;
        e.model = model;
        if (withAddress) e.address = address;
        return e;
    }
    BootEvent tftp(const std::string& file, std::uint64_t at, std::uint64_t bytes,
                   const std::string& error = "") const {
        BootEvent e;
        e.step = BootStep::TftpFile;
        e.timestampUs = at;
        e.source = "rpi-tftpd";
        e.address = address;
        if (file.rfind(serial + "/", 0) == 0) e.serial = serial;
        e.file = file;
        e.bytes = bytes;
        e.durationUs = 1000;
        e.outcome = error.empty() ? Outcome::Ok : Outcome::Failed;
        e.error = error;
        return e;
    }
    BootEvent nfs(std::uint64_t at) const {
        BootEvent e;
        e.step = BootStep::NfsMount;
        e.timestampUs = at;
        e.source = "rpi-nfs-exports";
        e.serial = serial;
        e.address = address;
        e.file = "/srv/rpi/" + serial;
        return e;
    }
    // DISCOVER, OFFER, REQUEST, ACK from t.
    std::vector<BootEvent> dora(std::uint64_t t) const {
        return {dhcp(BootStep::Discover, t, false), dhcp(BootStep::OfferSent, t + 10'000),
                dhcp(BootStep::Request, t + 20'000, false), dhcp(BootStep::Ack, t + 30'000)};
    }
    // A whole healthy Pi 4 boot from t: the firmware files of core's plan, kernel, initramfs.
    std::vector<BootEvent> boot(std::uint64_t t, bool mount = true) const {
        auto v = dora(t);
        const std::string p = serial + "/";
        v.push_back(tftp(p + "start4.elf", t + 100'000, 0));  // the size probe, early terminate
        v.push_back(tftp(p + "config.txt", t + 200'000, 120));
        v.push_back(tftp(p + "recover4.elf", t + 210'000, 0, "file not found"));  // optional
        v.push_back(tftp(p + "start4.elf", t + 400'000, 2'250'000));
        v.push_back(tftp(p + "fixup4.dat", t + 450'000, 5'000));
        v.push_back(tftp(p + "bcm2711-rpi-4-b.dtb", t + 500'000, 50'000));
        v.push_back(tftp(p + "cmdline.txt", t + 600'000, 100));
        v.push_back(tftp(p + "kernel8.img", t + 1'600'000, 8'000'000));
        v.push_back(tftp(p + "initramfs8", t + 2'600'000, 9'000'000));
        if (mount) v.push_back(nfs(t + 9 * kSecond));
        return v;
    }
};

Fleet fleetOf(const std::vector<BootEvent>& events, std::uint64_t now, Limits limits = {}) {
    return buildFleet(events, limits, now);
}

template <typename... Lists>
std::vector<BootEvent> concat(Lists... lists) {
    std::vector<BootEvent> out;
    (out.insert(out.end(), lists.begin(), lists.end()), ...);
    return out;
}

}  // namespace

TEST_CASE("files are classified by core's boot plan, without the per-Pi directory", "[timeline]") {
    CHECK(classifyBootFile("pi4", "1a2b3c04/start4.elf").role == FileRole::Firmware);
    CHECK(classifyBootFile("pi4", "1a2b3c04/start4.elf").name == "start4.elf");
    CHECK(classifyBootFile("pi4", "dc-a6-32-2b-3c-04/kernel8.img").role == FileRole::Kernel);
    CHECK(classifyBootFile("pi4", "/1a2b3c04/initramfs8").role == FileRole::Initramfs);
    CHECK_FALSE(classifyBootFile("pi4", "1a2b3c04/recover4.elf").required);
    CHECK(classifyBootFile("pi4", "1a2b3c04/config.txt").required);
    CHECK(classifyBootFile("rom3", "bootcode.bin").role == FileRole::SecondStage);
    CHECK(classifyBootFile("pi5", "1a2b3c05/kernel_2712.img").role == FileRole::Kernel);
    // The Pi 5 fetches no start*.elf: its device tree marks the firmware stage.
    CHECK(classifyBootFile("pi5", "1a2b3c05/bcm2712-rpi-5-b.dtb").role == FileRole::Firmware);
    // Names config.txt may choose, and an unknown model.
    CHECK(classifyBootFile("", "kernel-6.1.img").role == FileRole::Kernel);
    CHECK(classifyBootFile("", "initrd.img-6.1").role == FileRole::Initramfs);
    CHECK(classifyBootFile("pi4", "overlays/vc4-kms-v3d.dtbo").role == FileRole::Other);
    CHECK(classifyBootFile("pi4", "overlays/vc4-kms-v3d.dtbo").name == "overlays/vc4-kms-v3d.dtbo");
}

TEST_CASE("a healthy Pi 4 boot reaches its NFS root, with BOOT_FILES_DONE derived", "[timeline]") {
    Pi4 pi;
    const Fleet fleet = fleetOf(pi.boot(kT0), kT0 + 600 * kSecond);
    REQUIRE(fleet.pis.size() == 1);
    const Pi& p = fleet.pis.front();
    CHECK(p.serial == pi.serial);
    CHECK(p.mac == pi.mac);
    CHECK(p.address == pi.address);
    CHECK(p.model == "pi4");
    REQUIRE(p.boots.size() == 1);
    const Boot& b = p.lastBoot();
    CHECK(b.reached == Stage::NfsRoot);
    CHECK(b.finished());
    CHECK_FALSE(b.anomaly);
    CHECK(b.reachedUs - b.startUs == 9 * kSecond);
    int done = 0;
    for (const auto& e : b.events) {
        if (e.step != BootStep::BootFilesDone) continue;
        ++done;
        CHECK(e.timestampUs == kT0 + 2'600'000);  // the initramfs, after the kernel
        CHECK(e.source == "rpi-netboot-timeline");
    }
    CHECK(done == 1);
    CHECK(p.lastSeenUs == kT0 + 9 * kSecond);
    CHECK(fleet.unattributed.empty());
}

TEST_CASE("the stages in order, each reached by its own file", "[timeline]") {
    Pi4 pi;
    auto events = pi.boot(kT0, false);
    const auto until = [&](std::size_t n) {
        return std::vector<BootEvent>(events.begin(), events.begin() + n);
    };
    const std::uint64_t soon = kT0 + 3 * kSecond;  // within every limit: nothing judged yet
    CHECK(fleetOf(until(1), soon).pis[0].lastBoot().reached == Stage::None);
    CHECK(fleetOf(until(2), soon).pis[0].lastBoot().reached == Stage::None);  // Pi 4: no ACK yet
    CHECK(fleetOf(until(4), soon).pis[0].lastBoot().reached == Stage::Dhcp);
    CHECK(fleetOf(until(6), soon).pis[0].lastBoot().reached == Stage::Dhcp);  // config.txt
    CHECK(fleetOf(until(8), soon).pis[0].lastBoot().reached == Stage::Firmware);
    CHECK(fleetOf(until(12), soon).pis[0].lastBoot().reached == Stage::Kernel);
    const Boot b = fleetOf(until(13), soon).pis[0].lastBoot();
    CHECK(b.reached == Stage::Initramfs);
    CHECK(b.inProgress());
    CHECK(b.reachedUs == kT0 + 2'600'000);
}

TEST_CASE("every boot-event row of the findings table is produced from recorded events",
          "[timeline][findings]") {
    Pi4 pi;
    const std::uint64_t late = kT0 + 3600 * kSecond;
    const auto p = pi.serial + "/";
    std::map<FindingId, std::vector<BootEvent>> producers;
    producers[FindingId::BootNoOffer] = {pi.dhcp(BootStep::Discover, kT0, false),
                                         pi.dhcp(BootStep::Discover, kT0 + 5 * kSecond, false)};
    producers[FindingId::BootNoAck] = {pi.dhcp(BootStep::Discover, kT0, false),
                                       pi.dhcp(BootStep::OfferSent, kT0 + 1000),
                                       pi.dhcp(BootStep::Request, kT0 + 2000, false)};
    {
        std::vector<BootEvent> offers;
        for (int i = 0; i < 5; ++i) {
            auto d = pi.dora(kT0 + i * 10 * kSecond);
            offers.insert(offers.end(), d.begin(), d.end());
        }
        producers[FindingId::BootNoTftp] = offers;
    }
    producers[FindingId::BootFileMissing] = concat(
        pi.dora(kT0),
        std::vector<BootEvent>{pi.tftp(p + "start4.elf", kT0 + 100'000, 0),
                               pi.tftp(p + "config.txt", kT0 + 200'000, 120),
                               pi.tftp(p + "start4.elf", kT0 + 300'000, 0, "file not found")});
    producers[FindingId::BootFileFailed] =
        concat(pi.dora(kT0),
               std::vector<BootEvent>{pi.tftp(p + "config.txt", kT0 + 200'000, 120),
                                      pi.tftp(p + "start4.elf", kT0 + 300'000, 0, "timed out")});
    producers[FindingId::BootStalled] = concat(
        pi.dora(kT0), std::vector<BootEvent>{pi.tftp(p + "config.txt", kT0 + 200'000, 120),
                                             pi.tftp(p + "start4.elf", kT0 + 300'000, 2'000'000)});
    producers[FindingId::BootNoNfsMount] = pi.boot(kT0, false);
    {
        auto refused = pi.boot(kT0, false);
        BootEvent no = pi.nfs(kT0 + 5 * kSecond);
        no.outcome = Outcome::Failed;
        no.error = "not exported";
        no.file = "/srv/rpi/x";
        refused.push_back(no);
        producers[FindingId::BootNfsRefused] = refused;
    }
    {
        // As the hook records a Pi its allow-serials refuse: DISCOVER and REQUEST failed, with
        // no OFFER or ACK of the hook's (Kea may still answer it as any client).
        BootEvent discover = pi.dhcp(BootStep::Discover, kT0, false);
        discover.outcome = Outcome::Failed;
        discover.error = "not allowed: serial " + pi.serial + " not in allow-serials";
        BootEvent request = discover;
        request.step = BootStep::Request;
        request.timestampUs = kT0 + 50'000;
        producers[FindingId::BootNotAllowed] = {discover, request};
    }

    const std::map<FindingId, std::string> expected = {
        {FindingId::BootNoOffer,
         "DISCOVER seen 2 times, no OFFER sent: the hook did not serve this Pi (not allowed, or no "
         "address left); see kea-dhcp4's log."},
        {FindingId::BootNoAck,
         "REQUEST seen once, no ACK sent: kea-dhcp4 refused or ignored the address the Pi "
         "asked for; see its log."},
        {FindingId::BootNoTftp,
         "OFFER sent 5 times, no TFTP request: check option 66 / firewall (UDP port 69 to the "
         "TFTP server must reach it)."},
        {FindingId::BootFileMissing,
         "stopped after config.txt: start4.elf missing (TFTP error: file not found); put it in "
         "the Pi's boot tree."},
        {FindingId::BootFileFailed,
         "stopped after config.txt: fetching start4.elf failed (timed out)."},
        {FindingId::BootStalled,
         "stopped after start4.elf: no further TFTP request within 30 s; check that file "
         "(config.txt's kernel= and initramfs lines) and the Pi's NETCONSOLE log."},
        {FindingId::BootNoNfsMount,
         "kernel fetched, no NFS mount within 120 s: check cmdline.txt nfsroot (server address, "
         "path, vers=) and that the root is exported to 198.51.100.10."},
        {FindingId::BootNfsRefused,
         "kernel fetched, NFS mount of /srv/rpi/x refused (not exported): check cmdline.txt "
         "nfsroot and that the root is exported to 198.51.100.10 (rpi-nfs-exports list)."},
        {FindingId::BootNotAllowed,
         "the hook refused this Pi (not allowed: serial 1a2b3c04 not in allow-serials): add its "
         "serial to allow-serials (or its MAC to allow-macs, or the pair to allow-pairs) if it "
         "should boot."},
    };
    std::size_t rows = 0;
    for (const auto& row : probe::findingTable()) {
        if (!probe::fromBootEvents(row.id)) continue;
        ++rows;
        INFO(row.code);
        REQUIRE(producers.count(row.id) == 1);
        const Fleet fleet = fleetOf(producers[row.id], late);
        REQUIRE(fleet.pis.size() == 1);
        const auto anomaly = fleet.pis[0].currentAnomaly();
        REQUIRE(anomaly);
        CHECK(anomaly->id == row.id);
        CHECK(anomaly->code == row.code);
        CHECK(anomaly->verdict == row.verdict);
        CHECK(anomaly->message.find("{}") == std::string::npos);
        CHECK(anomaly->message == expected.at(row.id));
        // Judged before the step's limit ran out, the same events are a boot in progress
        // (a missing or failed file is final at once).
        if (row.id != FindingId::BootFileMissing && row.id != FindingId::BootFileFailed &&
            row.id != FindingId::BootNfsRefused && row.id != FindingId::BootNotAllowed) {
            const std::uint64_t last = producers[row.id].back().timestampUs;
            CHECK_FALSE(fleetOf(producers[row.id], last + kSecond).pis[0].currentAnomaly());
        }
    }
    CHECK(rows == producers.size());
}

TEST_CASE("a file missing under the serial but fetched from the root is no anomaly", "[timeline]") {
    Pi4 pi;
    auto events = pi.dora(kT0);
    events.push_back(pi.tftp(pi.serial + "/start4.elf", kT0 + 100'000, 0, "file not found"));
    events.push_back(pi.tftp("start4.elf", kT0 + 200'000, 2'000'000));
    events.push_back(pi.tftp("kernel8.img", kT0 + 300'000, 8'000'000));
    const Fleet fleet = fleetOf(events, kT0 + 10 * kSecond);
    REQUIRE(fleet.pis.size() == 1);  // the root files go to the Pi by its DHCP address
    CHECK(fleet.pis[0].lastBoot().reached == Stage::Kernel);
    CHECK_FALSE(fleet.pis[0].currentAnomaly());
}

TEST_CASE("a Pi 3B: ROM DHCP by MAC, bootcode.bin by address, then bootcode.bin's DHCP is one boot",
          "[timeline]") {
    Pi4 rom;
    rom.serial = "1a2b3c01";
    rom.mac = "b8:27:eb:2b:3c:01";
    rom.address = "192.0.2.10";
    rom.model = "rom3";
    std::vector<BootEvent> events;
    BootEvent d = rom.dhcp(BootStep::Discover, kT0, false);
    d.serial.clear();  // the ROM's option 97 carries no serial
    events.push_back(d);
    BootEvent held = rom.dhcp(BootStep::OfferHeld, kT0 + 1000);
    held.serial.clear();
    events.push_back(held);
    events.push_back(rom.tftp("bootcode.bin", kT0 + 100'000, 52'000));
    events.push_back(rom.tftp("bootsig.bin", kT0 + 200'000, 0, "file not found"));
    Pi4 bootcode = rom;
    bootcode.model = "bootcode";
    events.push_back(bootcode.dhcp(BootStep::Discover, kT0 + 2 * kSecond, false));
    events.push_back(bootcode.dhcp(BootStep::OfferSent, kT0 + 2 * kSecond + 1000));
    events.push_back(bootcode.tftp(rom.serial + "/start.elf", kT0 + 3 * kSecond, 2'900'000));
    const Fleet fleet = fleetOf(events, kT0 + 4 * kSecond);
    REQUIRE(fleet.pis.size() == 1);
    const Pi& p = fleet.pis[0];
    CHECK(p.serial == rom.serial);
    CHECK(p.mac == rom.mac);
    CHECK(p.boots.size() == 1);
    CHECK(p.lastBoot().reached == Stage::Firmware);
    CHECK_FALSE(p.currentAnomaly());  // bootsig.bin is optional
}

TEST_CASE("a DISCOVER after the firmware starts a new boot, and a retry shows the last failure",
          "[timeline]") {
    Pi4 pi;
    const auto p = pi.serial + "/";
    auto events = concat(
        pi.boot(kT0 - 3600 * kSecond),  // yesterday's good boot, long ago
        pi.dora(kT0),
        std::vector<BootEvent>{pi.tftp(p + "config.txt", kT0 + 100'000, 120),
                               pi.tftp(p + "start4.elf", kT0 + 200'000, 0, "file not found")},
        pi.dora(kT0 + 20 * kSecond));  // the bootloader starts over
    const Fleet fleet = fleetOf(events, kT0 + 21 * kSecond);
    REQUIRE(fleet.pis.size() == 1);
    const Pi& pi0 = fleet.pis[0];
    REQUIRE(pi0.boots.size() == 3);
    CHECK(pi0.boots[0].finished());
    CHECK(pi0.boots[1].anomaly->id == FindingId::BootFileMissing);
    CHECK(pi0.lastBoot().inProgress());
    CHECK(pi0.lastBoot().reached == Stage::Dhcp);
    REQUIRE(pi0.currentAnomaly());
    CHECK(pi0.currentAnomaly()->id == FindingId::BootFileMissing);
}

TEST_CASE("a silence longer than the boot gap starts a new boot", "[timeline]") {
    Pi4 pi;
    Limits limits;
    limits.bootGapUs = 60 * kSecond;
    auto events = concat(pi.dora(kT0), pi.dora(kT0 + 61 * kSecond));
    CHECK(fleetOf(events, kT0 + 62 * kSecond, limits).pis[0].boots.size() == 2);
    CHECK(fleetOf(events, kT0 + 62 * kSecond).pis[0].boots.size() == 1);
}

TEST_CASE("unknown addresses are counted, not invented as Pis, and NETCONSOLE lines join by MAC",
          "[timeline]") {
    Pi4 pi;
    auto events = pi.boot(kT0);
    BootEvent stray;
    stray.step = BootStep::TftpFile;
    stray.timestampUs = kT0;
    stray.address = "192.0.2.99";
    stray.file = "bootcode.bin";
    events.push_back(stray);
    events.push_back(stray);
    BootEvent line;
    line.step = BootStep::NetconsoleLine;
    line.timestampUs = kT0 + 150'000;
    line.source = "rpi-netconsoled";
    line.mac = pi.mac;
    line.text = "Read config.txt bytes 120 hnd 0x0";
    events.push_back(line);
    const Fleet fleet = fleetOf(events, kT0 + 600 * kSecond);
    REQUIRE(fleet.pis.size() == 1);
    REQUIRE(fleet.unattributed.size() == 1);
    CHECK(fleet.unattributed[0].address == "192.0.2.99");
    CHECK(fleet.unattributed[0].events == 2);
    bool seen = false;
    for (const auto& e : fleet.pis[0].lastBoot().events) seen |= e.text == line.text;
    CHECK(seen);
    // The same Pi by serial, MAC in either form, and address; nothing else.
    CHECK(findPi(fleet, "1a2b3c04") == &fleet.pis[0]);
    CHECK(findPi(fleet, "DC-A6-32-2B-3C-04") == &fleet.pis[0]);
    CHECK(findPi(fleet, "198.51.100.10") == &fleet.pis[0]);
    CHECK(findPi(fleet, "1a2b3c05") == nullptr);
    CHECK(findPi(fleet, "192.0.2.99") == nullptr);
    CHECK(findPi(fleet, "") == nullptr);
}

TEST_CASE("JSON lines: events read, bad lines skipped and noted, blank lines ignored",
          "[timeline][input]") {
    std::stringstream in;
    in << "{\"timestamp_us\":5,\"step\":\"DISCOVER\",\"mac\":\"dc:a6:32:2b:3c:04\"}\n"
       << "\n   \r\n"
       << "garbage\n"
       << std::string(2 << 20, 'x') << "\n"
       << "{\"timestamp_us\":6,\"step\":\"WHAT\"}\n"
       << "{\"timestamp_us\":7,\"step\":\"ACK\",\"mac\":\"dc:a6:32:2b:3c:04\"}";  // no final LF
    ReadResult r;
    readJsonLines(in, "f", r);
    CHECK(r.events.size() == 2);
    CHECK(r.skipped == 3);
    REQUIRE(r.skipNotes.size() == 3);
    CHECK(r.skipNotes[0] == "f:4: not JSON");
    CHECK(r.skipNotes[1] == "f:5: line longer than 1 MiB");
    CHECK(r.skipNotes[2] == "f:6: unknown step \"WHAT\"");
}

TEST_CASE("a journal directory that does not exist is a clear error", "[timeline][input]") {
    ReadResult r;
    std::string error;
    CHECK_FALSE(readJournal("/nonexistent/journal", r, error));
    CHECK(error.rfind("cannot open the journal in /nonexistent/journal: ", 0) == 0);
}

TEST_CASE("options: defaults, limits, refusals", "[timeline][options]") {
    auto parsed = parseOptions({});
    REQUIRE(parsed.options);
    CHECK(parsed.options->inputs.empty());
    CHECK(parsed.options->limits.nfsWaitUs == 120 * kSecond);
    parsed = parseOptions({"--pi", "1a2b3c04", "--json", "-i", "a", "--input", "b", "--nfs-wait",
                           "5", "--settle", "2", "--boot-gap", "60", "--at", "77"});
    REQUIRE(parsed.options);
    CHECK(parsed.options->pi == "1a2b3c04");
    CHECK(parsed.options->json);
    CHECK(parsed.options->inputs == std::vector<std::string>{"a", "b"});
    CHECK(parsed.options->limits.nfsWaitUs == 5 * kSecond);
    CHECK(parsed.options->limits.settleUs == 2 * kSecond);
    CHECK(parsed.options->limits.bootGapUs == 60 * kSecond);
    CHECK(parsed.options->nowUs == 77u);
    for (const std::vector<std::string>& bad : {std::vector<std::string>{"--nfs-wait", "0"},
                                                {"--settle", "86401"},
                                                {"--boot-gap", "x"},
                                                {"--pi", ""},
                                                {"stray"},
                                                {"--bogus"},
                                                {"-i", "a", "--journal-directory", "/x"}}) {
        INFO(bad.front());
        parsed = parseOptions(bad);
        CHECK_FALSE(parsed.options);
        CHECK(parsed.exitCode == 2);
        CHECK(parsed.message.rfind("rpi-netboot-timeline: ", 0) == 0);
    }
    parsed = parseOptions({"--help"});
    CHECK(parsed.exitCode == 0);
    CHECK(parsed.message.find("--journal-directory") != std::string::npos);
}

TEST_CASE("output: the fleet table and JSON, one Pi's timeline", "[timeline][output]") {
    Pi4 good, broken;
    broken.serial = "1a2b3c09";
    broken.mac = "dc:a6:32:2b:3c:09";
    broken.address = "198.51.100.19";
    const Fleet fleet = fleetOf(concat(good.boot(kT0), broken.dora(kT0)), kT0 + 600 * kSecond);
    std::ostringstream text;
    printFleet(text, fleet);
    const std::string t = text.str();
    CHECK(t.find("PI        MAC") == 0);
    CHECK(t.find("1a2b3c04  dc:a6:32:2b:3c:04  198.51.100.10  pi4    2026-12-05 ") !=
          std::string::npos);
    CHECK(t.find("nfs-root  9.0 s  ok") != std::string::npos);
    CHECK(t.find("dhcp      30 ms  boot-no-tftp: OFFER sent once") != std::string::npos);

    const auto j = fleetJson(fleet);
    REQUIRE(j["pis"].size() == 2);
    CHECK(j["pis"][0]["serial"] == "1a2b3c04");
    CHECK(j["pis"][0]["reached"] == "nfs-root");
    CHECK(j["pis"][0]["state"] == "ok");
    CHECK(j["pis"][0]["anomaly"].is_null());
    CHECK(j["pis"][0]["took_us"] == 9 * kSecond);
    CHECK(j["pis"][1]["state"] == "failed");
    CHECK(j["pis"][1]["anomaly"]["code"] == "boot-no-tftp");
    CHECK(j["pis"][1]["anomaly"]["severity"] == "fail");
    CHECK(j["unattributed"].empty());

    std::ostringstream one;
    printPi(one, fleet.pis[0]);
    const std::string o = one.str();
    CHECK(o.find("Pi 1a2b3c04 (dc:a6:32:2b:3c:04, 198.51.100.10, pi4): last boot 2026-12-05") == 0);
    CHECK(o.find("+0.400 s      (+190 ms)  TFTP_FILE       1a2b3c04/start4.elf 2250000 bytes") !=
          std::string::npos);
    CHECK(o.find("BOOT_FILES_DONE (derived: the last boot file arrived)") != std::string::npos);
    CHECK(o.find("Verdict: booted to its NFS root") != std::string::npos);
    const auto pj = piJson(fleet.pis[0]);
    CHECK(pj["steps"].size() == 15);  // 14 events and the derived BOOT_FILES_DONE
    CHECK(pj["steps"][1]["since_previous_us"] == 10'000);
    CHECK(pj["steps"].back()["step"] == "NFS_MOUNT");
}

TEST_CASE("the OS phase: OS DHCP after the NFS root is the last stage, in the same boot",
          "[timeline]") {
    Pi4 pi;
    auto os = [&](BootStep step, std::uint64_t at) {
        BootEvent e = pi.dhcp(step, at, step != BootStep::Discover);
        e.phase = "os";
        return e;
    };
    const std::uint64_t t = kT0 + 20 * kSecond;  // 11 s after the mount
    const std::vector<BootEvent> osDora = {
        os(BootStep::Discover, t), os(BootStep::OfferSent, t + 10'000),
        os(BootStep::Request, t + 20'000), os(BootStep::Ack, t + 30'000)};
    // The OS DISCOVER comes after the firmware's files: it must not start a new boot.
    const Fleet fleet = fleetOf(concat(pi.boot(kT0), osDora), kT0 + 600 * kSecond);
    REQUIRE(fleet.pis.size() == 1);
    const Pi& p = fleet.pis.front();
    REQUIRE(p.boots.size() == 1);
    const Boot& b = p.lastBoot();
    CHECK(b.reached == Stage::OsDhcp);
    CHECK(stageName(b.reached) == "os-dhcp");
    CHECK(b.finished());
    CHECK_FALSE(b.anomaly);
    CHECK(b.reachedUs == t);
    std::ostringstream out;
    printPi(out, p);
    CHECK(out.str().find("OS DISCOVER") != std::string::npos);
    CHECK(out.str().find("OS ACK") != std::string::npos);
    CHECK(out.str().find("Verdict: booted to its NFS root, its OS asked for an address") !=
          std::string::npos);
    CHECK(piJson(p)["steps"].back()["phase"] == "os");
    CHECK(piSummaryJson(p)["state"] == "ok");

    // A renewal hours later (past --boot-gap) still belongs to that boot.
    const std::uint64_t later = kT0 + 3 * 3600 * kSecond;
    const Fleet renewed = fleetOf(
        concat(pi.boot(kT0), osDora,
               std::vector<BootEvent>{os(BootStep::Request, later), os(BootStep::Ack, later + 5)}),
        later + kSecond);
    REQUIRE(renewed.pis.size() == 1);
    CHECK(renewed.pis[0].boots.size() == 1);
    CHECK(renewed.pis[0].lastBoot().reached == Stage::OsDhcp);
    // ... and the Pi's next boot starts a boot of its own.
    const Fleet rebooted =
        fleetOf(concat(pi.boot(kT0), osDora, pi.boot(later)), later + 600 * kSecond);
    REQUIRE(rebooted.pis.size() == 1);
    CHECK(rebooted.pis[0].boots.size() == 2);
    CHECK(rebooted.pis[0].lastBoot().reached == Stage::NfsRoot);

    // The kernel's own DHCP (ip=dhcp) before the mount: OS DHCP is reached at the mount.
    auto early =
        concat(pi.boot(kT0), std::vector<BootEvent>{os(BootStep::Discover, kT0 + 8 * kSecond),
                                                    os(BootStep::Ack, kT0 + 8 * kSecond + 5)});
    const Fleet earlyFleet = fleetOf(early, kT0 + 600 * kSecond);
    const Boot& e = earlyFleet.pis[0].lastBoot();
    CHECK(e.reached == Stage::OsDhcp);
    CHECK(e.reachedUs == kT0 + 9 * kSecond);
    // The kernel asked for an address but never mounted its root: the mount is still missing.
    auto noMount = concat(pi.boot(kT0, false),
                          std::vector<BootEvent>{os(BootStep::Discover, kT0 + 8 * kSecond)});
    const Fleet noMountFleet = fleetOf(noMount, kT0 + 600 * kSecond);
    const Boot& n = noMountFleet.pis[0].lastBoot();
    CHECK(n.reached == Stage::Initramfs);
    REQUIRE(n.anomaly);
    CHECK(n.anomaly->id == FindingId::BootNoNfsMount);
}

TEST_CASE("the lab's recorded events: every Pi's verdict, and the healthy ones at their NFS root",
          "[timeline][recorded]") {
    // Written by `make demo` (tests/lab/demo.py --keep: its boot-events.jsonl): the real
    // kea-dhcp4 with the hook, rpi-tftpd and rpi-nfs-exports watch-mounts over rpc.mountd's log,
    // booting the probe's emulated Pis; one of them refused by allow-serials, and the Pi 3B+'s
    // OS asking for its address again (klibc ipconfig from its MAC).
    std::ifstream in(RPI_NETBOOT_TIMELINE_DATA "/lab-boot-events.jsonl");
    REQUIRE(in);
    ReadResult r;
    readJsonLines(in, "lab-boot-events.jsonl", r);
    CHECK(r.skipped == 0);
    REQUIRE(r.events.size() == 136);
    std::uint64_t last = 0;
    for (const auto& e : r.events) last = std::max(last, e.timestampUs);
    const Fleet fleet = buildFleet(r.events, Limits{}, last + 600 * kSecond);
    CHECK(fleet.unattributed.empty());
    const std::map<std::string, std::string> expected = {
        {"1a2b3c01", "nfs-root"},          {"1a2b3c02", "os-dhcp"},
        {"1a2b3c04", "nfs-root"},          {"1a2b3c05", "nfs-root"},
        {"1a2b3c06", "boot-file-missing"}, {"1a2b3c07", "boot-not-allowed"},
        {"1a2b3c08", "boot-no-tftp"},      {"1a2b3c09", "boot-file-missing"},
        {"1a2b3c0a", "boot-no-nfs-mount"},
    };
    REQUIRE(fleet.pis.size() == expected.size());
    for (const auto& pi : fleet.pis) {
        INFO(pi.label());
        REQUIRE(expected.count(pi.serial) == 1);
        CHECK(pi.boots.size() == 1);
        const auto anomaly = pi.currentAnomaly();
        CHECK((anomaly ? std::string(anomaly->code)
                       : std::string(stageName(pi.lastBoot().reached))) == expected.at(pi.serial));
    }
    // The Pi 3B ROM sends no serial: its DHCP (by MAC) and its bootcode.bin (by the address DHCP
    // gave it) are one Pi with its serial's files.
    const Pi* rom = findPi(fleet, "b8:27:eb:2b:3c:01");
    REQUIRE(rom);
    CHECK(rom->serial == "1a2b3c01");
    CHECK(rom->lastBoot().events.front().step == BootStep::Discover);
    // The broken Pi 4 with no NFS mount got as far as its initramfs.
    CHECK(findPi(fleet, "192.0.2.15")->lastBoot().reached == Stage::Initramfs);
    // The refused Pi: the hook's failed DISCOVER says why; no address, no stage.
    const Pi* refused = findPi(fleet, "1a2b3c07");
    REQUIRE(refused);
    CHECK(refused->address.empty());
    CHECK(refused->lastBoot().reached == Stage::None);
    REQUIRE(refused->currentAnomaly());
    CHECK(refused->currentAnomaly()->message.find(
              "not allowed: serial 1a2b3c07 not in allow-serials, MAC dc:a6:32:2b:3c:07 not in "
              "allow-macs") != std::string::npos);
    // The Pi 3B+'s OS phase: DISCOVER, OFFER, REQUEST, ACK after its NFS mount, in the same boot,
    // at the address its firmware was given.
    const Pi* os = findPi(fleet, "1a2b3c02");
    REQUIRE(os);
    REQUIRE(os->boots.size() == 1);
    std::vector<std::string> osSteps;
    std::uint64_t mountAt = 0;
    for (const auto& e : os->lastBoot().events) {
        if (e.step == BootStep::NfsMount) mountAt = e.timestampUs;
        if (!isOsPhase(e)) continue;
        osSteps.emplace_back(stepName(e.step));
        CHECK(e.timestampUs > mountAt);
        if (!e.address.empty()) CHECK(e.address == "192.0.2.11");
    }
    CHECK(mountAt > 0);
    CHECK(osSteps == std::vector<std::string>{"DISCOVER", "OFFER_SENT", "REQUEST", "ACK"});
    CHECK(os->lastBoot().finished());
}
