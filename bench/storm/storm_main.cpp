// rpinetboot-bench-storm: the boot storm's load generator. One process, one
// thread per emulated Pi: each sends its DISCOVER at its slot within --spread-ms, takes the OFFER
// (and, for Pi 4/5, REQUESTs and takes the ACK) through probe/dhcp's RawDhcpClient, checks that
// the OFFER would make a real Pi boot (option 43 with the boot menu), then walks its TFTP boot
// against the server the OFFER names (option 66, else the server id) with probe/tftp's
// Pi-pattern client. A Pi 3B ROM Pi fetches bootcode.bin, then does DHCP again as bootcode.bin
// (shape B, same MAC) and must be OFFERed the same address before the rest of its walk.
//
//   rpinetboot-bench-storm fleet --pis N [--seed S]
//       one JSON line per Pi: model, MAC, serial and the files its walk needs (to build a tree)
//   rpinetboot-bench-storm run --interface IF --pis N [--seed S] [--spread-ms 1000]
//       [--dhcp-window-ms 4000] [--dhcp-attempts 3] [--pi-retries 0|1] [--select I,J,...]
//       [--tftp-port 69]
//       one JSON line per Pi, then one summary line; exit 0 when every Pi booted, 1 otherwise.
//       --pi-retries 1: each loader's own DHCP retry pattern instead of the window/attempts;
//       --select: boot only these fleet indices (the fleet of --pis stays the same).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "pi_fleet.h"
#include "rpinetboot/classify.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/discover.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/probe/pi_tftp.h"
#include "rpinetboot/probe/raw_dhcp_client.h"
#include "rpinetboot/util/big_endian.h"
#include "rpinetboot/util/decimal.h"

using namespace rpinetboot;
using Clock = std::chrono::steady_clock;

namespace {

constexpr unsigned kMaxPis = 4096;  // bounded: one thread and one raw socket each

struct Options {
    std::string interface;
    unsigned pis = 0;
    std::uint32_t seed = 7;
    unsigned spreadMs = 1000;
    unsigned dhcpWindowMs = 4000;
    unsigned dhcpAttempts = 3;
    std::uint16_t tftpPort = 69;
    bool piRetries = false;
    std::vector<unsigned> select;  // empty: every Pi of the fleet
};

// How long a loader waits for a reply and how often it asks: the Pi 3 ROM (and bootcode.bin)
// sends 5 DISCOVERs 5 s apart (raspberrypi/documentation boot-net.adoc); the Pi 4/5 bootloader
// re-sends every DHCP_REQ_TIMEOUT (4 s by default) until DHCP_TIMEOUT (45 s) ends the attempt
// (raspberrypi/documentation eeprom-bootloader.adoc).
struct RetryPattern {
    unsigned windowMs;
    unsigned attempts;
};

RetryPattern retryPattern(PiModel model, const Options& o) {
    if (!o.piRetries) return {o.dhcpWindowMs, o.dhcpAttempts};
    if (shapeOf(model) == DiscoverShape::C) return {4000, 11};
    return {5000, 5};
}

struct PiOutcome {
    std::optional<double> discoverMs, offerMs, ackMs, doneMs;
    unsigned discovers = 0;
    unsigned requests = 0;
    std::uint32_t yiaddr = 0;
    std::optional<double> stage2Ms;  // Pi 3B ROM: bootcode.bin's OFFER
    std::optional<std::uint32_t> stage2Yiaddr;
    std::uint32_t tftpServer = 0;
    bool bootMenu = false;
    bool booted = false;
    std::uint64_t bytes = 0;
    unsigned files = 0;
    std::string error;
};

double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

using json = nlohmann::ordered_json;

// Error texts may hold any bytes: invalid UTF-8 becomes U+FFFD rather than an exception.
std::string line(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json optional(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}

std::optional<std::uint32_t> be32Option(const DhcpPacket& p, std::uint8_t code) {
    const Bytes* v = p.option(code);
    if (!v || v->size() != 4) return std::nullopt;
    return readBe32(v->data());
}

// Sends `packet` and waits for a reply of `type`, re-sending up to `attempts` times, `windowMs`
// apart (retryPattern). A DHCPNAK ends the wait.
std::optional<probe::DhcpReply> exchange(probe::RawDhcpClient& client, const PiIdentity& pi,
                                         const Bytes& packet, std::uint8_t type,
                                         RetryPattern pattern, PiOutcome& out) {
    // Shapes A and B use the ROM's constant xid, shape C its own (docs/protocol/dhcp.md).
    const std::uint32_t xid = shapeOf(pi.model) == DiscoverShape::C ? pi.xid : kRomXid;
    for (unsigned attempt = 0; attempt < pattern.attempts; ++attempt) {
        client.send(pi.mac, packet);
        ++(type == 2 ? out.discovers : out.requests);
        const auto replies =
            client.collect(xid, pi.mac, std::chrono::milliseconds(pattern.windowMs), 1);
        for (const auto& r : replies) {
            const auto t = r.packet.messageType();
            if (t == type) return r;
            if (t == 6) {
                out.error = "DHCPNAK";
                return std::nullopt;
            }
        }
    }
    out.error = type == 2 ? "no DHCPOFFER" : "no DHCPACK";
    return std::nullopt;
}

struct Leased {
    std::uint32_t yiaddr = 0;
    std::uint32_t tftpServer = 0;
};

// One DHCP round of `pi` (DISCOVER, and REQUEST where the model sends one) on a raw socket opened
// now: a raw socket queues every frame on the link, and one that waited through the others'
// DISCOVERs would start full and drop this Pi's own OFFER. Checks what a real Pi needs in the
// replies: option 43 with the boot menu (it boots from no other OFFER), 60 and 66
// (docs/protocol/dhcp.md).
std::optional<Leased> dhcpRound(const PiIdentity& pi, const Options& o, PiOutcome& out,
                                Clock::time_point t0, bool stage2) {
    probe::RawDhcpClient client(o.interface);
    // The OFFER latency counts from here, the DISCOVER leaving, not from before the socket was
    // opened: with 200 Pis opening theirs at once (AF_PACKET, promiscuous membership) that took
    // most of the 8-13 ms the storm used to report, against Kea's 0.4 ms in a capture.
    if (!stage2) out.discoverMs = msSince(t0);
    const RetryPattern pattern = retryPattern(pi.model, o);
    // A REQUEST unanswered through its retransmissions (or NAKed) sends the client back to
    // DISCOVER (RFC 2131 sections 3.1 and 4.1); with the loaders' pattern the bootloader's
    // DHCP_TIMEOUT, 45 s, bounds the whole (raspberrypi/documentation eeprom-bootloader.adoc).
    const RetryPattern requests = o.piRetries ? RetryPattern{pattern.windowMs, 3} : pattern;
    const auto started = Clock::now();
    for (unsigned round = 0;; ++round) {
        const auto offer = exchange(client, pi, buildDiscover(pi), 2, pattern, out);
        if (!offer) return std::nullopt;
        (stage2 ? out.stage2Ms : out.offerMs) = msSince(t0);
        Leased got;
        got.yiaddr = offer->packet.yiaddr;
        bool menu = false;
        if (const Bytes* o43 = offer->packet.option(kOptionVendorEncapsulated)) {
            const auto decoded = decodeOption43(*o43, nullptr);
            menu = decoded && decoded->discoveryControl == 3 && decoded->menuText &&
                   decoded->menuText->find(kDefaultMenuText) != std::string::npos;
        }
        out.bootMenu = (stage2 ? out.bootMenu : true) && menu;
        if (!out.bootMenu) {
            out.error = "OFFER without the Raspberry Pi boot menu in option 43";
            return std::nullopt;
        }
        if (!offer->packet.option(60) || !offer->packet.option(kOptionTftpServerName)) {
            out.error = "OFFER without option 60 or 66";
            return std::nullopt;
        }
        // Option 66 as dotted-quad text, else the server that offered (firmware#801,
        // docs/protocol/dhcp.md).
        std::optional<std::uint32_t> server;
        if (const Bytes* o66 = offer->packet.option(kOptionTftpServerName)) {
            server = parseIpv4(std::string(o66->begin(), o66->end()));
        }
        const auto serverId = be32Option(offer->packet, 54);
        if (!server) server = serverId ? serverId : std::optional<std::uint32_t>(offer->srcIp);
        got.tftpServer = *server;
        if (!sendsRequest(pi.model)) return got;
        if (!serverId) {
            out.error = "OFFER without a server identifier";
            return std::nullopt;
        }
        const auto ack =
            exchange(client, pi, buildRequest(pi, got.yiaddr, *serverId), 5, requests, out);
        if (ack) {
            out.ackMs = msSince(t0);
            if (ack->packet.yiaddr != got.yiaddr) {
                out.error = "ACK for " + ipv4ToString(ack->packet.yiaddr) + " after an OFFER of " +
                            ipv4ToString(got.yiaddr);
                return std::nullopt;
            }
            out.error.clear();
            return got;  // the raw socket closes here, before the TFTP stream it would copy
        }
        if (!o.piRetries || round >= 3 ||
            Clock::now() - started >= std::chrono::milliseconds(45000)) {
            return std::nullopt;
        }
    }
}

// Walks `steps` against `server`; false (and out.error) when a required file failed.
bool walk(const std::vector<BootFileStep>& steps, std::uint32_t server, const PiIdentity& pi,
          const Options& o, PiOutcome& out, probe::PiBootWalk& result) {
    const auto tftp = probe::TftpServer::parse(ipv4ToString(server), o.tftpPort);
    if (!tftp) {
        out.error = "bad TFTP server " + ipv4ToString(server);
        return false;
    }
    probe::PiBootOptions boot;
    boot.prefix = pi.serial.str();
    boot.keepData = false;
    boot.stopAtFailure = true;
    result = probe::runPiBoot(*tftp, steps, boot);
    for (const auto& step : result.steps) {
        if (step.fetched) {
            out.bytes += step.fetch.bytes;
            ++out.files;
        }
        if (!step.ok && out.error.empty()) {
            const auto& r = step.fetched ? step.fetch : step.probe;
            out.error =
                "TFTP " + step.requested + " from " + ipv4ToString(server) + ": " + r.describe();
        }
    }
    return result.ok;
}

void bootOne(const PiIdentity& pi, const Options& o, Clock::time_point t0, Clock::time_point slot,
             PiOutcome& out) {
    std::this_thread::sleep_until(slot);
    out.discoverMs = msSince(t0);
    const auto leased = dhcpRound(pi, o, out, t0, false);
    if (!leased) return;
    out.yiaddr = leased->yiaddr;
    out.tftpServer = leased->tftpServer;

    auto steps = bench::bootSequence(pi.model);
    probe::PiBootWalk result;
    if (pi.model == PiModel::Rom3) {
        // The ROM fetches bootcode.bin (and bootsig.bin) from the root; bootcode.bin then asks
        // DHCP again, as shape B from the same MAC, and must be OFFERed the same address.
        std::vector<BootFileStep> rom;
        while (!steps.empty() && steps.front().kind == StepKind::RootFile) {
            rom.push_back(steps.front());
            steps.erase(steps.begin());
        }
        if (!walk(rom, leased->tftpServer, pi, o, out, result)) {
            out.doneMs = msSince(t0);
            return;
        }
        PiIdentity stage2 = pi;
        stage2.model = PiModel::Bootcode;
        const auto again = dhcpRound(stage2, o, out, t0, true);
        if (!again) return;
        out.stage2Yiaddr = again->yiaddr;
        out.tftpServer = again->tftpServer;
        if (again->yiaddr != leased->yiaddr) {
            out.error = "bootcode.bin was OFFERed " + ipv4ToString(again->yiaddr) +
                        " after the ROM's " + ipv4ToString(leased->yiaddr);
            return;
        }
    }
    const bool ok = walk(steps, out.tftpServer, pi, o, out, result);
    out.doneMs = msSince(t0);
    out.booted = ok && result.prefix == pi.serial.str() + "/";
    if (ok && !out.booted) out.error = "TFTP walk fell back to the root, not " + pi.serial.str();
}

json identityJson(unsigned i, const PiIdentity& pi) {
    return {{"index", i},
            {"model", std::string(piModelName(pi.model))},
            {"sends_request", sendsRequest(pi.model)},  // core's table: boot_storm.py reads it
            {"mac", pi.mac.str()},
            {"serial", pi.serial.str()}};
}

int fleet(const Options& o) {
    const auto pis = bench::makeFleet(o.pis, o.seed);
    for (unsigned i = 0; i < pis.size(); ++i) {
        json j = identityJson(i, pis[i]);
        j["files"] = bench::requiredFiles(pis[i].model);
        std::cout << line(j) << "\n";
    }
    return 0;
}

int run(const Options& o) {
    const auto fleet = bench::makeFleet(o.pis, o.seed);
    std::vector<unsigned> index;  // fleet index of each Pi booted
    for (unsigned i = 0; i < fleet.size(); ++i) {
        if (o.select.empty() || std::find(o.select.begin(), o.select.end(), i) != o.select.end())
            index.push_back(i);
    }
    std::vector<PiIdentity> pis;
    for (unsigned i : index) pis.push_back(fleet[i]);
    std::vector<PiOutcome> outcomes(pis.size());
    // Threads start before the first slot, so the spread is the DISCOVERs'.
    const auto t0 = Clock::now() + std::chrono::milliseconds(300 + pis.size() * 2);
    std::vector<std::thread> threads;
    threads.reserve(pis.size());
    for (unsigned i = 0; i < pis.size(); ++i) {
        const auto slot =
            t0 + std::chrono::microseconds(std::uint64_t{o.spreadMs} * 1000u * i / pis.size());
        threads.emplace_back([&, i, slot] {
            try {
                bootOne(pis[i], o, t0, slot, outcomes[i]);
            } catch (const std::exception& e) {
                outcomes[i].error = e.what();
            }
        });
    }
    for (auto& t : threads) t.join();

    unsigned booted = 0;
    double lastMs = 0;
    for (unsigned i = 0; i < pis.size(); ++i) {
        const PiOutcome& r = outcomes[i];
        booted += r.booted ? 1 : 0;
        if (r.doneMs) lastMs = std::max(lastMs, *r.doneMs);
        json j = identityJson(index[i], pis[i]);
        j["discover_ms"] = optional(r.discoverMs);
        j["discovers"] = r.discovers;
        j["requests"] = r.requests;
        j["offer_ms"] = optional(r.offerMs);
        j["ack_ms"] = optional(r.ackMs);
        j["yiaddr"] = r.offerMs ? json(ipv4ToString(r.yiaddr)) : json(nullptr);
        j["stage2_ms"] = optional(r.stage2Ms);
        j["stage2_yiaddr"] = r.stage2Yiaddr ? json(ipv4ToString(*r.stage2Yiaddr)) : json(nullptr);
        j["boot_menu"] = r.bootMenu;
        j["tftp_server"] = r.tftpServer ? json(ipv4ToString(r.tftpServer)) : json(nullptr);
        j["files"] = r.files;
        j["bytes"] = r.bytes;
        j["done_ms"] = optional(r.doneMs);
        j["booted"] = r.booted;
        j["error"] = r.error;
        std::cout << line(j) << "\n";
    }
    // The generator's own CPU (all threads): it shares the machine with the daemons it measures.
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double cpuS = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    std::cout << line({{"summary", true},
                       {"pis", pis.size()},
                       {"booted", booted},
                       {"last_done_ms", lastMs},
                       {"cpu_s", cpuS}})
              << std::endl;
    return booted == pis.size() ? 0 : 1;
}

int usage(const std::string& why) {
    std::cerr << "rpinetboot-bench-storm: " << why
              << "\nusage: rpinetboot-bench-storm fleet --pis N [--seed S]\n"
                 "       rpinetboot-bench-storm run --interface IF --pis N [--seed S] "
                 "[--spread-ms MS] [--dhcp-window-ms MS] [--dhcp-attempts N] [--pi-retries 0|1] "
                 "[--select I,J,...] [--tftp-port P]\n";
    return 2;
}

bool parseUnsigned(const char* text, unsigned long max, unsigned long& out) {
    const auto v = parseDecimal(text, max);
    if (v) out = static_cast<unsigned long>(*v);
    return v.has_value();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage("missing command");
    const std::string command = argv[1];
    if (command != "fleet" && command != "run") return usage("unknown command '" + command + "'");
    Options o;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) return usage("missing value for " + arg);
        const char* value = argv[++i];
        unsigned long n = 0;
        if (arg == "--interface") {
            o.interface = value;
            continue;
        }
        if (arg == "--select") {  // fleet indices, comma-separated
            std::string text = value;
            std::size_t at = 0;
            while (at <= text.size()) {
                const std::size_t comma = std::min(text.find(',', at), text.size());
                if (!parseUnsigned(text.substr(at, comma - at).c_str(), kMaxPis - 1, n))
                    return usage("bad --select '" + text + "'");
                o.select.push_back(static_cast<unsigned>(n));
                at = comma + 1;
            }
            continue;
        }
        const unsigned long max = arg == "--pis"              ? kMaxPis
                                  : arg == "--seed"           ? 0xffffffffUL
                                  : arg == "--tftp-port"      ? 65535
                                  : arg == "--dhcp-attempts"  ? 10
                                  : arg == "--spread-ms"      ? 60000
                                  : arg == "--dhcp-window-ms" ? 30000
                                  : arg == "--pi-retries"     ? 1
                                                              : 0;
        if (max == 0) return usage("unknown option " + arg);
        if (!parseUnsigned(value, max, n))
            return usage("bad value '" + std::string(value) + "' for " + arg);
        if (arg == "--pis") o.pis = static_cast<unsigned>(n);
        if (arg == "--seed") o.seed = static_cast<std::uint32_t>(n);
        if (arg == "--tftp-port") o.tftpPort = static_cast<std::uint16_t>(n);
        if (arg == "--dhcp-attempts") o.dhcpAttempts = static_cast<unsigned>(n);
        if (arg == "--spread-ms") o.spreadMs = static_cast<unsigned>(n);
        if (arg == "--dhcp-window-ms") o.dhcpWindowMs = static_cast<unsigned>(n);
        if (arg == "--pi-retries") o.piRetries = n == 1;
    }
    if (o.pis == 0) return usage("--pis must be 1.." + std::to_string(kMaxPis));
    for (unsigned i : o.select) {
        if (i >= o.pis) return usage("--select " + std::to_string(i) + " is not in the fleet");
    }
    if (command == "fleet") return fleet(o);
    if (o.interface.empty()) return usage("run needs --interface");
    if (o.dhcpAttempts == 0 || o.dhcpWindowMs == 0 || o.tftpPort == 0) {
        return usage("--dhcp-attempts, --dhcp-window-ms and --tftp-port must be positive");
    }
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "rpinetboot-bench-storm: " << e.what() << "\n";
        return 1;
    }
}
