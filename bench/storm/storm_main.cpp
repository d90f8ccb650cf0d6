// rpinetboot-bench-storm: the boot storm's load generator. One process, one
// thread per emulated Pi: each sends its DISCOVER at its slot within --spread-ms, takes the OFFER
// (and, for Pi 4/5, REQUESTs and takes the ACK) through probe/dhcp's RawDhcpClient, checks that
// the OFFER would make a real Pi boot (option 43 with the boot menu), then walks its TFTP boot
// against the server the OFFER names (option 66, else the server id) with probe/tftp's
// Pi-pattern client.
//
//   rpinetboot-bench-storm fleet --pis N [--seed S]
//       one JSON line per Pi: model, MAC, serial and the files its walk needs (to build a tree)
//   rpinetboot-bench-storm run --interface IF --pis N [--seed S] [--spread-ms 1000]
//       [--dhcp-window-ms 4000] [--dhcp-attempts 3] [--tftp-port 69]
//       one JSON line per Pi, then one summary line; exit 0 when every Pi booted, 1 otherwise
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
    unsigned spread_ms = 1000;
    unsigned dhcp_window_ms = 4000;
    unsigned dhcp_attempts = 3;
    std::uint16_t tftp_port = 69;
};

struct PiOutcome {
    std::optional<double> discover_ms, offer_ms, ack_ms, done_ms;
    unsigned discovers = 0;
    unsigned requests = 0;
    std::uint32_t yiaddr = 0;
    std::uint32_t tftp_server = 0;
    bool boot_menu = false;
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

// Sends `packet` and waits for a reply of `type`, re-sending up to `attempts` times (the ROM
// retries DHCP every few seconds). A DHCPNAK ends the wait.
std::optional<probe::DhcpReply> exchange(probe::RawDhcpClient& client, const PiIdentity& pi,
                                         const Bytes& packet, std::uint8_t type, const Options& o,
                                         PiOutcome& out) {
    // Shapes A and B use the ROM's constant xid, shape C its own (docs/protocol/dhcp.md).
    const std::uint32_t xid = shapeOf(pi.model) == DiscoverShape::C ? pi.xid : kRomXid;
    for (unsigned attempt = 0; attempt < o.dhcp_attempts; ++attempt) {
        client.send(pi.mac, packet);
        ++(type == 2 ? out.discovers : out.requests);
        const auto replies =
            client.collect(xid, pi.mac, std::chrono::milliseconds(o.dhcp_window_ms), 1);
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

void bootOne(const PiIdentity& pi, const Options& o, Clock::time_point t0, Clock::time_point slot,
             PiOutcome& out) {
    std::this_thread::sleep_until(slot);
    // Opened at the slot, not before: a raw socket queues every frame on the link, and one that
    // waited through the others' DISCOVERs would start full and drop this Pi's own OFFER.
    std::optional<probe::RawDhcpClient> client;
    client.emplace(o.interface);
    out.discover_ms = msSince(t0);
    const auto offer = exchange(*client, pi, buildDiscover(pi), 2, o, out);
    if (!offer) return;
    out.offer_ms = msSince(t0);
    out.yiaddr = offer->packet.yiaddr;
    // A Pi only network-boots from an OFFER with the option 43 boot menu (docs/protocol/dhcp.md).
    if (const Bytes* o43 = offer->packet.option(kOptionVendorEncapsulated)) {
        const auto decoded = decodeOption43(*o43, nullptr);
        out.boot_menu = decoded && decoded->discoveryControl == 3 && decoded->menu_text &&
                        decoded->menu_text->find(kDefaultMenuText) != std::string::npos;
    }
    if (!out.boot_menu) {
        out.error = "OFFER without the Raspberry Pi boot menu in option 43";
        return;
    }
    // Option 66 as dotted-quad text, else the server that offered (firmware#801,
    // docs/protocol/dhcp.md).
    std::optional<std::uint32_t> server;
    if (const Bytes* o66 = offer->packet.option(kOptionTftpServerName)) {
        server = parseIpv4(std::string(o66->begin(), o66->end()));
    }
    const auto serverId = be32Option(offer->packet, 54);
    if (!server) server = serverId ? serverId : std::optional<std::uint32_t>(offer->srcIp);
    out.tftp_server = *server;
    if (sendsRequest(pi.model)) {
        if (!serverId) {
            out.error = "OFFER without a server identifier";
            return;
        }
        const auto ack =
            exchange(*client, pi, buildRequest(pi, offer->packet.yiaddr, *serverId), 5, o, out);
        if (!ack) return;
        out.ack_ms = msSince(t0);
        if (ack->packet.yiaddr != out.yiaddr) {
            out.error = "ACK for " + ipv4ToString(ack->packet.yiaddr) + " after an OFFER of " +
                        ipv4ToString(out.yiaddr);
            return;
        }
    }
    client.reset();  // the raw socket copies every frame: close it before the TFTP stream

    const auto tftp = probe::TftpServer::parse(ipv4ToString(*server), o.tftp_port);
    if (!tftp) {
        out.error = "bad TFTP server " + ipv4ToString(*server);
        return;
    }
    probe::PiBootOptions boot;
    boot.prefix = pi.serial.str();
    boot.keepData = false;
    const auto walk = probe::runPiBoot(*tftp, bench::bootSequence(pi.model), boot);
    for (const auto& step : walk.steps) {
        if (step.fetched) {
            out.bytes += step.fetch.bytes;
            ++out.files;
        }
        if (!step.ok && out.error.empty()) {
            const auto& r = step.fetched ? step.fetch : step.probe;
            out.error = "TFTP " + step.requested + ": " + r.describe();
        }
    }
    out.done_ms = msSince(t0);
    out.booted = walk.ok && walk.prefix == pi.serial.str() + "/";
    if (walk.ok && !out.booted) out.error = "TFTP walk fell back to the root, not " + boot.prefix;
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
    const auto pis = bench::makeFleet(o.pis, o.seed);
    std::vector<PiOutcome> outcomes(pis.size());
    // Threads start before the first slot, so the spread is the DISCOVERs'.
    const auto t0 = Clock::now() + std::chrono::milliseconds(300 + pis.size() * 2);
    std::vector<std::thread> threads;
    threads.reserve(pis.size());
    for (unsigned i = 0; i < pis.size(); ++i) {
        const auto slot =
            t0 + std::chrono::microseconds(std::uint64_t{o.spread_ms} * 1000u * i / pis.size());
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
    double last_ms = 0;
    for (unsigned i = 0; i < pis.size(); ++i) {
        const PiOutcome& r = outcomes[i];
        booted += r.booted ? 1 : 0;
        if (r.done_ms) last_ms = std::max(last_ms, *r.done_ms);
        json j = identityJson(i, pis[i]);
        j["discover_ms"] = optional(r.discover_ms);
        j["discovers"] = r.discovers;
        j["requests"] = r.requests;
        j["offer_ms"] = optional(r.offer_ms);
        j["ack_ms"] = optional(r.ack_ms);
        j["yiaddr"] = r.offer_ms ? json(ipv4ToString(r.yiaddr)) : json(nullptr);
        j["boot_menu"] = r.boot_menu;
        j["tftp_server"] = r.tftp_server ? json(ipv4ToString(r.tftp_server)) : json(nullptr);
        j["files"] = r.files;
        j["bytes"] = r.bytes;
        j["done_ms"] = optional(r.done_ms);
        j["booted"] = r.booted;
        j["error"] = r.error;
        std::cout << line(j) << "\n";
    }
    // The generator's own CPU (all threads): it shares the machine with the daemons it measures.
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    std::cout << line({{"summary", true},
                       {"pis", pis.size()},
                       {"booted", booted},
                       {"last_done_ms", last_ms},
                       {"cpu_s", cpu_s}})
              << std::endl;
    return booted == pis.size() ? 0 : 1;
}

int usage(const std::string& why) {
    std::cerr << "rpinetboot-bench-storm: " << why
              << "\nusage: rpinetboot-bench-storm fleet --pis N [--seed S]\n"
                 "       rpinetboot-bench-storm run --interface IF --pis N [--seed S] "
                 "[--spread-ms MS] [--dhcp-window-ms MS] [--dhcp-attempts N] [--tftp-port P]\n";
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
        const unsigned long max = arg == "--pis"              ? kMaxPis
                                  : arg == "--seed"           ? 0xffffffffUL
                                  : arg == "--tftp-port"      ? 65535
                                  : arg == "--dhcp-attempts"  ? 10
                                  : arg == "--spread-ms"      ? 60000
                                  : arg == "--dhcp-window-ms" ? 30000
                                                              : 0;
        if (max == 0) return usage("unknown option " + arg);
        if (!parseUnsigned(value, max, n))
            return usage("bad value '" + std::string(value) + "' for " + arg);
        if (arg == "--pis") o.pis = static_cast<unsigned>(n);
        if (arg == "--seed") o.seed = static_cast<std::uint32_t>(n);
        if (arg == "--tftp-port") o.tftp_port = static_cast<std::uint16_t>(n);
        if (arg == "--dhcp-attempts") o.dhcp_attempts = static_cast<unsigned>(n);
        if (arg == "--spread-ms") o.spread_ms = static_cast<unsigned>(n);
        if (arg == "--dhcp-window-ms") o.dhcp_window_ms = static_cast<unsigned>(n);
    }
    if (o.pis == 0) return usage("--pis must be 1.." + std::to_string(kMaxPis));
    if (command == "fleet") return fleet(o);
    if (o.interface.empty()) return usage("run needs --interface");
    if (o.dhcp_attempts == 0 || o.dhcp_window_ms == 0 || o.tftp_port == 0) {
        return usage("--dhcp-attempts, --dhcp-window-ms and --tftp-port must be positive");
    }
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "rpinetboot-bench-storm: " << e.what() << "\n";
        return 1;
    }
}
