// rpinetboot-bench-templates: writes perfdhcp template files (hex BOOTP payloads) for the hook
// overhead benchmark, and a JSON index with the offsets perfdhcp needs (-X, -O, -S, -I).
// `--decode-option43 HEX` instead prints core's decoding of a reply's option 43 as JSON, so the
// benchmark checks OFFERs with the same decoder the probe uses.
//
// Pi templates are core's exact DISCOVER/REQUEST bytes (rpinetboot::buildDiscover/buildRequest),
// so no Pi packet is written twice. The only changes are the relay fields perfdhcp needs, because
// it acts as a relay agent: hops = 1 and giaddr = perfdhcp's own address (docs/kea.md).
// Non-Pi templates are ordinary clients that share the DHCP server with the Pis: a Linux dhclient
// and an x86 PXE ROM, which sends the same vendor class as a Pi (PXEClient:Arch:00000:...).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_packets.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/option43.h"
#include "rpinetboot/util/hex.h"

namespace {

using rpinetboot::Bytes;
using namespace rpinetboot::bench;

bool writeHex(const std::string& path, const Bytes& packet) {
    std::ofstream f(path);
    f << rpinetboot::toHex(packet) << '\n';
    return static_cast<bool>(f);
}

int usage() {
    std::cerr << "usage: rpinetboot-bench-templates --giaddr A.B.C.D --out DIR [--no-hostname]\n"
                 "Writes DIR/<name>-discover.hex, DIR/<name>-request.hex and DIR/templates.json;\n"
                 "with --no-hostname no template sends option 12.\n"
                 "       rpinetboot-bench-templates --decode-option43 HEX\n"
                 "Prints core's decoding of an option 43 payload as JSON.\n";
    return 2;
}

int decodeOption43(const std::string& hex) {
    const auto bytes = rpinetboot::fromHex(hex);
    if (!bytes) {
        std::cerr << "rpinetboot-bench-templates: not hex (an even number of digits)\n";
        return 2;
    }
    const Bytes& data = *bytes;
    using json = nlohmann::ordered_json;
    std::string error;
    const auto decoded = rpinetboot::decodeOption43(data, &error);
    json out;
    if (!decoded) {
        out = {{"ok", false}, {"error", error}};
    } else {
        json suboptions = json::object();
        for (const auto& [code, value] : decoded->suboptions) {
            suboptions[std::to_string(code)] = rpinetboot::toHex(value);
        }
        out = {{"ok", true},
               {"discovery_control",
                decoded->discoveryControl ? json(*decoded->discoveryControl) : json(nullptr)},
               {"menu_text", decoded->menuText ? json(*decoded->menuText) : json(nullptr)},
               {"has_end", decoded->hasEnd},
               {"suboptions", suboptions}};
    }
    // A menu text may hold any bytes: invalid UTF-8 becomes U+FFFD rather than an exception.
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--decode-option43") return decodeOption43(argv[2]);
    std::optional<std::uint32_t> giaddr;
    std::string dir;
    bool hostnames = true;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--giaddr" && i + 1 < argc) {
            giaddr = rpinetboot::parseIpv4(argv[++i]);
            if (!giaddr) {
                std::cerr << "rpinetboot-bench-templates: bad --giaddr '" << argv[i] << "'\n";
                return 2;
            }
        } else if (arg == "--out" && i + 1 < argc) {
            dir = argv[++i];
        } else if (arg == "--no-hostname") {
            hostnames = false;
        } else {
            return usage();
        }
    }
    if (!giaddr || dir.empty()) return usage();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        std::cerr << "rpinetboot-bench-templates: cannot create " << dir << ": " << ec.message()
                  << "\n";
        return 1;
    }

    std::ofstream index(dir + "/templates.json");
    index << "{\n  \"xid_offset\": " << kXidOffset << ",\n  \"random_offset\": " << kRandomOffset
          << ",\n  \"templates\": [";
    bool first = true;
    for (Template& t : allTemplates(hostnames)) {
        makeRelayed(t.discover, *giaddr);
        const std::string base = dir + "/" + t.name;
        if (!writeHex(base + "-discover.hex", t.discover)) {
            std::cerr << "rpinetboot-bench-templates: cannot write " << base << "-discover.hex\n";
            return 1;
        }
        index << (first ? "\n" : ",\n") << "    {\"name\": \"" << t.name
              << "\", \"pi\": " << (t.pi ? "true" : "false") << ", \"base_mac\": \"" << t.mac.str()
              << "\", \"discover\": \"" << base << "-discover.hex\""
              << ", \"discover_length\": " << t.discover.size();
        if (t.sendsRequest) {
            makeRelayed(t.request, *giaddr);
            const auto srvid = optionOffset(t.request, 54);
            const auto reqip = optionOffset(t.request, 50);
            if (!srvid || !reqip || !writeHex(base + "-request.hex", t.request)) {
                std::cerr << "rpinetboot-bench-templates: bad request template " << t.name << "\n";
                return 1;
            }
            index << ", \"request\": \"" << base << "-request.hex\", \"srvid_offset\": " << *srvid
                  << ", \"reqip_offset\": " << *reqip;
        }
        index << "}";
        first = false;
    }
    index << "\n  ]\n}\n";
    if (!index) {
        std::cerr << "rpinetboot-bench-templates: cannot write " << dir << "/templates.json\n";
        return 1;
    }
    return 0;
}
