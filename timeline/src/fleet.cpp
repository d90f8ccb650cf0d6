#include "rpinetboot/timeline/fleet.h"

#include <algorithm>
#include <map>

#include "rpinetboot/mac.h"
#include "rpinetboot/pi_model.h"
#include "rpinetboot/serial.h"
#include "rpinetboot/timeline/boot_file.h"

namespace rpinetboot::timeline {
namespace {

using probe::FindingId;
using probe::makeFinding;

bool isDhcp(BootStep s) {
    return s == BootStep::Discover || s == BootStep::OfferHeld || s == BootStep::OfferSent ||
           s == BootStep::Request || s == BootStep::Ack;
}

// "once", "5 times": the count in a finding's text.
std::string times(std::size_t n) {
    return n == 1 ? std::string("once") : std::to_string(n) + " times";
}

std::string seconds(std::uint64_t us) {
    return std::to_string(us / 1'000'000);
}

// A TFTP file that shows the firmware went past the boot ROM: a DISCOVER after it is a new boot
// (bootcode.bin asking for DHCP again after the ROM fetched it is the same boot; boot-net.adoc).
bool pastRom(const BootEvent& e, std::string_view model) {
    if (e.step != BootStep::TftpFile) return e.step == BootStep::NfsMount;
    const BootFile f = classifyBootFile(model, e.file);
    return f.role != FileRole::SecondStage && f.name != "bootsig.bin";
}

}  // namespace

std::string_view stageName(Stage stage) {
    switch (stage) {
        case Stage::None:
            return "none";
        case Stage::Dhcp:
            return "dhcp";
        case Stage::Firmware:
            return "firmware";
        case Stage::Kernel:
            return "kernel";
        case Stage::Initramfs:
            return "initramfs";
        case Stage::NfsRoot:
            return "nfs-root";
        case Stage::OsDhcp:
            return "os-dhcp";
    }
    return "none";
}

bool isOsPhase(const BootEvent& event) {
    return event.phase == "os";
}

std::optional<probe::Finding> Pi::currentAnomaly() const {
    if (lastBoot().anomaly || !lastBoot().inProgress() || boots.size() < 2) {
        return lastBoot().anomaly;
    }
    return boots[boots.size() - 2].anomaly;
}

std::string Pi::label() const {
    return serial.empty() ? mac : serial;
}

void assessBoot(Boot& boot, std::string_view model, const std::string& address,
                const Limits& limits, std::uint64_t nowUs) {
    auto& events = boot.events;
    std::stable_sort(events.begin(), events.end(), [](const BootEvent& a, const BootEvent& b) {
        return a.timestampUs < b.timestampUs;
    });
    boot.startUs = events.front().timestampUs;
    boot.lastUs = events.back().timestampUs;
    boot.anomaly.reset();

    std::size_t discovers = 0, offers = 0, requests = 0, acks = 0, transfers = 0;
    std::uint64_t lastDhcp = 0, lastTftp = 0, firmwareAt = 0, kernelAt = 0, initramfsAt = 0;
    std::uint64_t dhcpAt = 0, nfsAt = 0, filesDoneAt = 0, osAt = 0;
    bool explicitFilesDone = false;
    const auto parsedModel = parsePiModel(model);
    const bool requesting = !parsedModel || sendsRequest(*parsedModel);
    // The first required file that failed and was not fetched later, and the file before it.
    // Copies: the derived BOOT_FILES_DONE is inserted into `events` below.
    std::optional<BootEvent> failed;
    std::optional<BootEvent> refusedMount;  // mountd said no
    std::optional<BootEvent> notAllowed;    // the hook refused the Pi (allow-* lists)
    std::string failedName, lastOkBeforeFailure;
    std::string lastOkName;
    for (const auto& e : events) {
        if (isOsPhase(e)) {
            // The booted Linux asking for its address: proof the boot is over, not a boot step.
            if (!osAt && isDhcp(e.step)) osAt = e.timestampUs;
            continue;
        }
        if (isDhcp(e.step)) lastDhcp = e.timestampUs;
        switch (e.step) {
            case BootStep::Discover:
                ++discovers;
                if (e.outcome == Outcome::Failed) notAllowed = e;
                break;
            case BootStep::OfferHeld:
            case BootStep::OfferSent:
                ++offers;
                if (!requesting && !dhcpAt) dhcpAt = e.timestampUs;
                break;
            case BootStep::Request:
                ++requests;
                if (e.outcome == Outcome::Failed) notAllowed = e;
                break;
            case BootStep::Ack:
                ++acks;
                if (!dhcpAt) dhcpAt = e.timestampUs;
                break;
            case BootStep::TftpFile: {
                ++transfers;
                lastTftp = e.timestampUs;
                const BootFile f = classifyBootFile(model, e.file);
                if (e.outcome == Outcome::Failed) {
                    if (f.required && !failed) {
                        failed = e;
                        failedName = f.name;
                        lastOkBeforeFailure = lastOkName;
                    }
                    break;
                }
                // A complete transfer (a size probe ends early with 0 bytes and proves only
                // that the file exists).
                if (e.bytes.value_or(0) == 0) break;
                if (failed && f.name == failedName) failed.reset();  // fetched after all
                lastOkName = f.name;
                if (f.role == FileRole::Firmware && !firmwareAt) firmwareAt = e.timestampUs;
                if (f.role == FileRole::Kernel) kernelAt = e.timestampUs;
                if (f.role == FileRole::Initramfs) initramfsAt = e.timestampUs;
                break;
            }
            case BootStep::BootFilesDone:
                explicitFilesDone = true;
                filesDoneAt = e.timestampUs;
                break;
            case BootStep::NfsMount:
                if (e.outcome == Outcome::Failed) {
                    if (!refusedMount) refusedMount = e;
                } else if (!nfsAt) {
                    nfsAt = e.timestampUs;
                }
                break;
            case BootStep::NetconsoleLine:
                break;
        }
    }
    // The end of the boot-file phase: the last of kernel and initramfs (the files the firmware
    // loads last, boot_plan.h). Derived here, where the whole sequence of one Pi's transfers is
    // seen; rpi-tftpd sees each request alone and cannot know config.txt's names.
    if (kernelAt && !explicitFilesDone) {
        filesDoneAt = std::max(kernelAt, initramfsAt);
        BootEvent done;
        done.step = BootStep::BootFilesDone;
        done.timestampUs = filesDoneAt;
        done.source = "rpi-netboot-timeline";
        done.text = "derived: the last boot file arrived";
        auto at =
            std::upper_bound(events.begin(), events.end(), filesDoneAt,
                             [](std::uint64_t t, const BootEvent& e) { return t < e.timestampUs; });
        events.insert(at, std::move(done));
    }

    // The kernel's own DHCP (ip=dhcp) comes before its NFS mount, which may then fail: the OS
    // phase is reached only with the mount, at the later of the two.
    const std::uint64_t osDhcpAt = osAt && nfsAt ? std::max(osAt, nfsAt) : 0;
    const std::pair<Stage, std::uint64_t> stages[] = {
        {Stage::OsDhcp, osDhcpAt}, {Stage::NfsRoot, nfsAt},       {Stage::Initramfs, initramfsAt},
        {Stage::Kernel, kernelAt}, {Stage::Firmware, firmwareAt}, {Stage::Dhcp, dhcpAt}};
    boot.reached = Stage::None;
    boot.reachedUs = boot.startUs;
    for (const auto& [stage, at] : stages) {
        if (at) {
            boot.reached = stage;
            boot.reachedUs = at;
            break;
        }
    }
    if (boot.finished()) return;

    const bool settled = nowUs >= boot.lastUs + limits.settleUs;
    if (transfers == 0) {
        // The hook said why at once: no limit to wait for.
        if (notAllowed && offers == 0 && acks == 0) {
            boot.anomaly = makeFinding(
                FindingId::BootNotAllowed,
                {notAllowed->error.empty() ? std::string("not allowed") : notAllowed->error});
        } else if (discovers > 0 && offers == 0 && acks == 0) {
            if (settled) boot.anomaly = makeFinding(FindingId::BootNoOffer, {times(discovers)});
        } else if (requesting && requests > 0 && acks == 0) {
            if (settled) boot.anomaly = makeFinding(FindingId::BootNoAck, {times(requests)});
        } else if (offers > 0 && settled && nowUs >= lastDhcp + limits.settleUs) {
            boot.anomaly = makeFinding(FindingId::BootNoTftp, {times(offers)});
        }
        return;
    }
    if (failed) {
        const std::string after = lastOkBeforeFailure.empty() ? "DHCP" : lastOkBeforeFailure;
        const std::string why = failed->error.empty() ? "no reason given" : failed->error;
        if (why.find("not found") != std::string::npos) {
            boot.anomaly = makeFinding(FindingId::BootFileMissing, {after, failedName, why});
        } else {
            boot.anomaly = makeFinding(FindingId::BootFileFailed, {after, failedName, why});
        }
        return;
    }
    if (!kernelAt) {
        if (nowUs >= lastTftp + limits.settleUs) {
            boot.anomaly =
                makeFinding(FindingId::BootStalled,
                            {lastOkName.empty() ? "DHCP" : lastOkName, seconds(limits.settleUs)});
        }
        return;
    }
    if (refusedMount) {
        boot.anomaly =
            makeFinding(FindingId::BootNfsRefused,
                        {refusedMount->file.empty() ? std::string("the root") : refusedMount->file,
                         refusedMount->error.empty() ? std::string("refused") : refusedMount->error,
                         refusedMount->address.empty() ? address : refusedMount->address});
        return;
    }
    if (nowUs >= filesDoneAt + limits.nfsWaitUs) {
        boot.anomaly = makeFinding(FindingId::BootNoNfsMount,
                                   {seconds(limits.nfsWaitUs),
                                    address.empty() ? std::string("the Pi's address") : address});
    }
}

Fleet buildFleet(std::vector<BootEvent> events, const Limits& limits, std::uint64_t nowUs) {
    std::stable_sort(events.begin(), events.end(), [](const BootEvent& a, const BootEvent& b) {
        return a.timestampUs < b.timestampUs;
    });
    struct Draft {
        Pi pi;
        std::vector<BootEvent> events;
    };
    std::vector<Draft> drafts;
    std::map<std::string, std::size_t> bySerial, byMac, byAddress;
    std::map<std::string, std::size_t> unattributed;
    auto lookup = [](const std::map<std::string, std::size_t>& m, const std::string& key) {
        auto it = key.empty() ? m.end() : m.find(key);
        return it == m.end() ? std::optional<std::size_t>() : std::optional(it->second);
    };
    for (auto& e : events) {
        auto index = lookup(bySerial, e.serial);
        if (!index) {
            index = lookup(byMac, e.mac);
            // A MAC already known with another serial is another Pi.
            if (index && !e.serial.empty() && !drafts[*index].pi.serial.empty()) index.reset();
        }
        if (!index) {
            // An event with only the address (a file from the TFTP root, a NETCONSOLE line in UDP
            // mode) belongs to the Pi DHCP last gave that address, if it does not say otherwise.
            index = lookup(byAddress, e.address);
            if (index) {
                const Pi& p = drafts[*index].pi;
                if ((!e.serial.empty() && !p.serial.empty()) || (!e.mac.empty() && !p.mac.empty()))
                    index.reset();
            }
        }
        if (!index) {
            if (e.serial.empty() && e.mac.empty()) {
                ++unattributed[e.address.empty() ? std::string("(no address)") : e.address];
                continue;
            }
            index = drafts.size();
            drafts.emplace_back();
        }
        Draft& d = drafts[*index];
        if (!e.serial.empty() && d.pi.serial.empty()) {
            d.pi.serial = e.serial;
            bySerial[e.serial] = *index;
        }
        if (!e.mac.empty() && d.pi.mac.empty()) {
            d.pi.mac = e.mac;
            byMac[e.mac] = *index;
        }
        if (isDhcp(e.step) && !e.address.empty()) {
            d.pi.address = e.address;
            byAddress[e.address] = *index;
        }
        if (!e.model.empty()) d.pi.model = e.model;
        d.pi.lastSeenUs = std::max(d.pi.lastSeenUs, e.timestampUs);
        d.events.push_back(std::move(e));
    }

    Fleet fleet;
    for (auto& d : drafts) {
        Pi& pi = d.pi;
        Boot current;
        std::uint64_t previous = 0;
        bool past = false;  // the current boot went past the boot ROM
        for (auto& e : d.events) {
            // The OS phase (the kernel's DHCP, then the OS's renewals, hours apart) belongs to
            // the boot that started that OS: it neither starts a boot nor keeps one going.
            if (isOsPhase(e) && !current.events.empty()) {
                current.events.push_back(std::move(e));
                continue;
            }
            const bool gap = !current.events.empty() && e.timestampUs > previous + limits.bootGapUs;
            const bool restart = e.step == BootStep::Discover && past;
            if (gap || restart) {
                pi.boots.push_back(std::move(current));
                current = Boot{};
                past = false;
            }
            past = past || pastRom(e, pi.model);
            previous = e.timestampUs;
            current.events.push_back(std::move(e));
        }
        pi.boots.push_back(std::move(current));
        for (auto& boot : pi.boots) assessBoot(boot, pi.model, pi.address, limits, nowUs);
        fleet.pis.push_back(std::move(pi));
    }
    std::sort(fleet.pis.begin(), fleet.pis.end(),
              [](const Pi& a, const Pi& b) { return a.label() < b.label(); });
    for (const auto& [address, count] : unattributed)
        fleet.unattributed.push_back({address, count});
    return fleet;
}

const Pi* findPi(const Fleet& fleet, std::string_view query) {
    const auto serial = Serial::parse(query);
    const auto mac = MacAddress::parse(query);
    for (const auto& pi : fleet.pis) {
        if (serial && pi.serial == serial->str()) return &pi;
        if (mac && pi.mac == mac->str()) return &pi;
        if (!query.empty() && pi.address == query) return &pi;
    }
    return nullptr;
}

}  // namespace rpinetboot::timeline
