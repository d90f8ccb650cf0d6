// Storm client for the hook's multi-threading test: many DHCP clients at once on one interface,
// each a Pi boot stage built by core (exact packets) or any BOOTP payload, with a bounded number
// of queries in flight so that a multi-threaded kea-dhcp4 is kept busy without overflowing its
// packet queue. Prints one JSON line per client, then one summary line.
//
//   dhcp_storm --interface IF [--in-flight N] [--timeout-ms N] [--attempts N] [--deadline-s N]
//   stdin, one JSON object a line:
//     {"model": "rom3|bootcode|pi4|pi5", "mac": "...", "serial": "..."}   a Pi
//     {"payload_hex": "..."}                                               another client
//     {"payload_hex": "...", "request": true}       another client that REQUESTs its OFFER
//
// A rom3 Pi, once OFFERed, comes back from the same MAC as bootcode.bin does (shape B, the same
// address expected); pi4 and pi5 REQUEST the OFFER (and DISCOVER again after a NAK); other
// clients only DISCOVER. A query without
// a reply is sent again after --timeout-ms, at most --attempts times. Every loop is bounded by
// --deadline-s. Exit status: 0 after the storm (whatever was answered), 2 on bad usage, 1 on
// errors.
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpinetboot/classify.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/discover.h"
#include "rpinetboot/probe/raw_dhcp_client.h"
#include "rpinetboot/probe/request_from_discover.h"
#include "rpinetboot/util/hex.h"

using namespace rpinetboot;
using namespace rpinetboot::probe;
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

namespace {

enum class Phase { Discover, Request, Stage2, Done };

struct Client {
    std::optional<PiIdentity> pi;  // else `payload` is its DISCOVER
    Bytes payload;
    bool request = false;  // another client that REQUESTs its OFFER (RFC 2131 4.3.2)
    MacAddress mac;
    std::uint32_t xid = 0;
    Phase phase = Phase::Discover;
    Bytes query;  // what is sent (again) in this phase
    unsigned attempts = 0;
    Clock::time_point sentAt;
    bool inFlight = false;
    unsigned discovers = 0, requests = 0, late = 0, naks = 0;
    json replies = json::array();
    std::string error;
};

const char* phaseName(Phase p) {
    switch (p) {
        case Phase::Discover:
            return "discover";
        case Phase::Request:
            return "request";
        case Phase::Stage2:
            return "stage2";
        case Phase::Done:
            return "done";
    }
    return "?";
}

json describe(const DhcpPacket& p, Phase phase) {
    json codes = json::array();
    json reply = {{"phase", phaseName(phase)},
                  {"message_type", int(p.messageType().value_or(0))},
                  {"yiaddr", ipv4ToString(p.yiaddr)}};
    for (const auto& [code, value] : p.options) codes.push_back(int(code));
    reply["codes"] = codes;
    for (std::uint8_t code : {43, 60, 66}) {
        const Bytes* v = p.option(code);
        reply["o" + std::to_string(code)] = v ? json(toHex(*v)) : json(nullptr);
    }
    return reply;
}

// The next phase after `reply` (already checked to be the awaited one), and its query.
void advance(Client& c, const DhcpPacket& reply) {
    if (c.pi && c.phase == Phase::Discover && c.pi->model == PiModel::Rom3) {
        PiIdentity stage2 = *c.pi;  // bootcode.bin on the same Pi 3B
        stage2.model = PiModel::Bootcode;
        c.phase = Phase::Stage2;
        c.query = buildDiscover(stage2);
    } else if (c.phase == Phase::Discover && (c.pi ? sendsRequest(c.pi->model) : c.request)) {
        const auto serverId = reply.serverId();
        if (!serverId) {
            c.error = "OFFER without server identifier";
            c.phase = Phase::Done;
            return;
        }
        std::optional<Bytes> request;
        if (c.pi) {
            request = buildRequest(*c.pi, reply.yiaddr, *serverId);
        } else {
            request = requestFromDiscover(c.payload, reply.yiaddr, *serverId, &c.error);
        }
        if (!request) {
            c.phase = Phase::Done;
            return;
        }
        c.phase = Phase::Request;
        c.query = *request;
    } else {
        c.phase = Phase::Done;
        return;
    }
    c.attempts = 0;
}

int usage(const std::string& why) {
    std::cerr << "dhcp_storm: " << why
              << "\nusage: dhcp_storm --interface IF [--in-flight N] [--timeout-ms N] "
                 "[--attempts N] [--deadline-s N] < clients.jsonl\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string interface;
    unsigned long inFlight = 64, timeoutMs = 1500, attempts = 3, deadlineS = 60;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) return usage(arg + " needs a value");
        const std::string value = argv[++i];
        if (arg == "--interface") {
            interface = value;
            continue;
        }
        unsigned long n = 0;
        try {
            n = std::stoul(value);
        } catch (const std::exception&) {
            return usage("bad value for " + arg);
        }
        if (arg == "--in-flight" && n >= 1 && n <= 4096)
            inFlight = n;
        else if (arg == "--timeout-ms" && n >= 10 && n <= 60000)
            timeoutMs = n;
        else if (arg == "--attempts" && n >= 1 && n <= 10)
            attempts = n;
        else if (arg == "--deadline-s" && n >= 1 && n <= 600)
            deadlineS = n;
        else
            return usage("unknown argument or value out of range: " + arg + " " + value);
    }
    if (interface.empty()) return usage("--interface is required");

    std::vector<Client> clients;
    std::map<MacAddress, std::size_t> byMac;
    std::mt19937 rng(std::random_device{}());
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        if (clients.size() >= 20000) return usage("more than 20000 clients");
        Client c;
        try {
            const json j = json::parse(line);
            if (j.contains("payload_hex")) {
                const auto payload = fromHex(j.at("payload_hex").get<std::string>());
                std::string error;
                const auto parsed = payload ? parseDhcpPacket(*payload, &error) : std::nullopt;
                if (!parsed) return usage("not a DHCP packet: " + line);
                c.query = *payload;
                c.payload = *payload;
                c.request = j.value("request", false);
                c.mac = parsed->chaddr;
                c.xid = parsed->xid;
            } else {
                const auto model = parsePiModel(j.at("model").get<std::string>());
                const auto mac = MacAddress::parse(j.at("mac").get<std::string>());
                const auto serial = Serial::parse(j.at("serial").get<std::string>());
                if (!model || !mac || !serial) return usage("bad Pi: " + line);
                PiIdentity pi;
                pi.model = *model;
                pi.mac = *mac;
                pi.serial = *serial;
                pi.boardRevision = facts(*model).emulatedBoardRevision;
                pi.xid = rng();
                c.pi = pi;
                c.mac = *mac;
                c.xid = shapeOf(*model) == DiscoverShape::C ? pi.xid : kRomXid;
                c.query = buildDiscover(pi);
            }
        } catch (const std::exception& e) {
            return usage(std::string("bad client line: ") + e.what());
        }
        if (!byMac.emplace(c.mac, clients.size()).second) return usage("MAC twice: " + line);
        clients.push_back(std::move(c));
    }

    std::map<std::string, unsigned> sent;
    try {
        // One promiscuous socket sends every query and sees every reply (they go to the
        // emulated MACs), with a receive buffer for a storm's burst of replies.
        RawDhcpClient client(interface);
        client.setReceiveBuffer(8 << 20);
        const auto deadline = Clock::now() + std::chrono::seconds(deadlineS);
        const auto timeout = std::chrono::milliseconds(timeoutMs);
        std::size_t nextNew = 0, flying = 0, done = 0;
        while (done < clients.size() && Clock::now() < deadline) {
            // Send: retransmissions of timed-out queries first, then new clients while there is
            // room in flight.
            const auto now = Clock::now();
            auto send = [&](Client& c) {
                client.send(c.mac, c.query);
                c.sentAt = Clock::now();
                ++c.attempts;
                const bool request = c.phase == Phase::Request;
                ++(request ? c.requests : c.discovers);
                const std::string model =
                    c.pi ? std::string(piModelName(c.phase == Phase::Stage2 ? PiModel::Bootcode
                                                                            : c.pi->model))
                         : "other";
                ++sent[model + (request ? "-request" : "-discover")];
                if (!c.inFlight) ++flying;
                c.inFlight = true;
            };
            for (std::size_t i = 0; i < nextNew; ++i) {
                Client& c = clients[i];
                if (!c.inFlight || now - c.sentAt < timeout) continue;
                if (c.attempts >= attempts) {
                    c.error = std::string("no reply in phase ") + phaseName(c.phase);
                    c.phase = Phase::Done;
                    c.inFlight = false;
                    --flying;
                    ++done;
                } else {
                    send(c);
                }
            }
            while (flying < inFlight && nextNew < clients.size()) send(clients[nextNew++]);

            // Receive for a while (bounded): every reply is recorded against its client.
            const auto until = Clock::now() + std::chrono::milliseconds(20);
            while (Clock::now() < until) {
                const auto received = client.receive(std::chrono::milliseconds(5));
                if (!received) continue;
                const DhcpPacket* reply = &received->packet;
                const auto it = byMac.find(reply->chaddr);
                if (it == byMac.end()) continue;
                Client& c = clients[it->second];
                if (reply->xid != c.xid) continue;
                c.replies.push_back(describe(*reply, c.phase));
                const auto type = reply->messageType().value_or(0);
                const bool awaited = c.inFlight && ((c.phase == Phase::Request && type == 5) ||
                                                    (c.phase != Phase::Request && type == 2));
                if (c.inFlight && c.phase == Phase::Request && type == 6) {
                    // A NAK (the address went to another client meanwhile): start again with a
                    // DISCOVER, as RFC 2131 section 3.1 step 5 has a client do.
                    ++c.naks;
                    c.phase = Phase::Discover;
                    c.query = c.pi ? buildDiscover(*c.pi) : c.payload;
                    c.attempts = 0;
                    send(c);
                    continue;
                }
                if (!awaited) {
                    ++c.late;  // e.g. the OFFER to a retransmitted DISCOVER
                    continue;
                }
                c.inFlight = false;
                --flying;
                advance(c, *reply);
                if (c.phase == Phase::Done) {
                    ++done;
                } else {
                    send(c);
                }
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "dhcp_storm: " << e.what() << "\n";
        return 1;
    }

    std::size_t completed = 0;
    for (const Client& c : clients) {
        const bool ok = c.phase == Phase::Done && c.error.empty();
        completed += ok;
        json out = {{"kind", c.pi ? "pi" : "other"},
                    {"model", c.pi ? json(std::string(piModelName(c.pi->model))) : json(nullptr)},
                    {"mac", c.mac.str()},
                    {"done", ok},
                    {"error", c.error.empty() && !ok ? "deadline" : c.error},
                    {"discovers", c.discovers},
                    {"requests", c.requests},
                    {"late", c.late},
                    {"naks", c.naks},
                    {"replies", c.replies}};
        std::cout << out.dump() << "\n";
    }
    json summary = {{"summary", true}, {"clients", clients.size()}, {"completed", completed}};
    summary["sent"] = json(sent);
    std::cout << summary.dump() << std::endl;
    return 0;
}
