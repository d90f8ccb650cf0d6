#include "options.h"

#include <boost/program_options.hpp>
#include <cstdio>
#include <random>
#include <sstream>

#include "rpinetboot/daemon/command_line.h"
#include "rpinetboot/dhcp_packet.h"

namespace po = boost::program_options;

namespace rpinetboot::probe {

namespace {

// Declared once, shown by --help and used by parseOptions: the defaults (ProbeOptions'
// initialisers and the serial here), the --timeout-ms range and the models (core's table).
const ProbeOptions kDefaults;
constexpr std::uint32_t kDefaultSerial = 0x12345678;
constexpr long kMinTimeoutMs = 100, kMaxTimeoutMs = 60000;

// Items joined by `sep`, the last by `last`: "rom3, bootcode, pi4 or pi5".
template <typename Items>
std::string joined(const Items& items, const char* sep, const char* last) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += i + 1 == items.size() ? last : sep;
        out += items[i];
    }
    return out;
}

std::string modelNames(const char* sep, const char* last) {
    std::vector<std::string> names;
    for (PiModel m : kPiModels) names.emplace_back(piModelName(m));
    return joined(names, sep, last);
}

// "b8:27:eb for rom3 and bootcode, dc:a6:32 for pi4, ...": each emulated OUI with its models.
std::string emulatedOuis() {
    std::vector<std::pair<std::uint32_t, std::vector<std::string>>> groups;
    for (PiModel m : kPiModels) {
        const std::uint32_t oui = facts(m).emulatedOui;
        if (groups.empty() || groups.back().first != oui) groups.push_back({oui, {}});
        groups.back().second.emplace_back(piModelName(m));
    }
    std::vector<std::string> parts;
    for (const auto& [oui, models] : groups) {
        char text[9];
        std::snprintf(text, sizeof text, "%02x:%02x:%02x", oui >> 16 & 0xffu, oui >> 8 & 0xffu,
                      oui & 0xffu);
        parts.push_back(std::string(text) + " for " + joined(models, ", ", " and "));
    }
    return joined(parts, ", ", ", ");
}

constexpr const char* kDescription =
    "Behaves like one network-booting Raspberry Pi on interface IF and tells why it would or\n"
    "would not boot. It broadcasts the model's exact DHCPDISCOVER, collects every OFFER (several\n"
    "servers may answer), checks each as the Pi would (option 43 \"Raspberry Pi Boot\" text and\n"
    "ROM padding, option 66 as text, option 54), sends the DHCPREQUEST where the model does\n"
    "(Pi 4 and Pi 5; the Pi 3 boot ROM and bootcode.bin never do), then walks the model's TFTP\n"
    "boot: the <serial>/ prefix probe, config.txt, firmware, device tree, cmdline.txt, kernel\n"
    "and initramfs, each probed with tsize/blksize and early terminate, then fetched. When\n"
    "cmdline.txt names an NFS root it asks that server's mountd whether the path is exported to\n"
    "the address the Pi got. Packets leave only through IF.\n"
    "\n"
    "Models: rom3 (Pi 3B boot ROM), bootcode (bootcode.bin on Pi 1/2/3/Zero, Pi 3B+ ROM),\n"
    "pi4 (Pi 4/400/CM4 EEPROM), pi5 (Pi 5/500/CM5 EEPROM).\n";

std::string epilogueDefaults() {
    char serial[9];
    std::snprintf(serial, sizeof serial, "%08x", kDefaultSerial);
    return "\nDefaults: --serial " + std::string(serial) +
           "; the MAC is built from the model's Raspberry Pi OUI\n(" + emulatedOuis() +
           ") and the serial's low\n"
           "three bytes, as on real Pi 1-3 boards. For rom3 and bootcode a --mac without --serial\n"
           "gives the serial 00 + the MAC's low three bytes.\n";
}

constexpr const char* kEpilogue =
    "\n"
    "Output: a timeline (time since start, stage, verdict, step) and a diagnosis in plain\n"
    "words; with --json the same as one JSON object (keys model, mac, serial, interface,\n"
    "address, tftp_server, prefix, nfs_root, nfs_exported, sound, offers, timeline, files,\n"
    "findings). Every diagnosis has a stable code, for example no-offer, no-option-43,\n"
    "no-pi-boot-text, no-rom-padding, option66-binary, tftp-unreachable, serial-dir-missing,\n"
    "no-oack, file-missing, file-unreadable, kernel-too-many-blocks, cmdline-no-vers,\n"
    "nfs-not-exported (all codes: README, section rpi-netboot-probe).\n"
    "\n"
    "Exit status: 0 the whole boot path is sound; 1 the Pi would not boot (the findings say\n"
    "why); 2 usage error or bad input; 3 local error (interface missing, no permission for\n"
    "raw sockets: run as root or with CAP_NET_RAW).\n"
    "\n"
    "Example: rpi-netboot-probe --interface eth1 --model pi4 --serial bf9fed6f\n";

po::options_description describe() {
    // Boost.PO pads names to 23 columns: a longer one would touch its description, and
    // help2man (the man page is made from this text) needs two spaces between them.
    po::options_description d("Options");
    d.add_options()                                 //
        ("help,h", "Print this help and exit.")     //
        ("version", "Print the version and exit.")  //
        ("interface", po::value<std::string>()->value_name("IF"),
         "Network interface to behave as a Pi on (required). Needs CAP_NET_RAW.")  //
        ("model,m", po::value<std::string>()->value_name("MODEL"),
         ("Pi boot stage to emulate: " + modelNames(", ", " or ") + " (required).").c_str())  //
        ("serial,s", po::value<std::string>()->value_name("S"),
         "Board serial, 8 hex digits (\"bf9fed6f\"; the /proc/cpuinfo form "
         "\"10000000bf9fed6f\" is accepted). Names the TFTP prefix and goes into option 97 "
         "(bootcode, pi4, pi5).")  //
        ("mac", po::value<std::string>()->value_name("M"),
         "MAC address to send from (chaddr and Ethernet source), e.g. dc:a6:32:01:36:c2.")  //
        ("json", "Print the result as one JSON object instead of text.")                    //
        ("tftp-only", po::value<std::string>()->value_name("SERVER"),
         "Skip DHCP and walk the TFTP boot against SERVER (an IPv4 address). The NFS check "
         "then uses IF's own address as the Pi's.")  //
        ("timeout-ms", po::value<long>()->value_name("N"),
         ("How long to wait for each answer, in milliseconds (" + std::to_string(kMinTimeoutMs) +
          ".." + std::to_string(kMaxTimeoutMs) +
          "): the OFFER window (the DISCOVER is sent twice if nothing answers), the ACK, each "
          "TFTP packet (sent three times in all). Default: " +
          std::to_string(kDefaults.timeout.count()) + ".")
             .c_str())  //
        ("nfs-server", po::value<std::string>()->value_name("ADDR"),
         "Ask the mountd on ADDR whether the NFS root is exported, instead of the server "
         "named in cmdline.txt's nfsroot=.");
    return d;
}

std::string helpText() {
    std::ostringstream out;
    out << "Usage: rpi-netboot-probe --interface IF --model " << modelNames("|", "|")
        << " [options]\n\n"
        << kDescription << "\n"
        << describe() << epilogueDefaults() << kEpilogue;
    return out.str();
}

constexpr const char* kProgram = "rpi-netboot-probe";

ParseOutcome exitWith(const daemon::EarlyExit& e) {
    return {std::nullopt, e.exitCode, e.message};
}

ParseOutcome usageError(const std::string& why) {
    return exitWith(daemon::usageError(kProgram, why));
}

}  // namespace

ParseOutcome parseOptions(const std::vector<std::string>& args) {
    po::variables_map vm;
    if (auto early = daemon::readCommandLine(args, describe(), kProgram, helpText, vm)) {
        return exitWith(*early);
    }
    ProbeOptions opt;
    if (!vm.count("interface") || vm["interface"].as<std::string>().empty()) {
        return usageError("--interface is required");
    }
    opt.interface = vm["interface"].as<std::string>();
    if (opt.interface.size() >= 16) return usageError("--interface: name too long");
    if (!vm.count("model"))
        return usageError("--model is required (" + modelNames(", ", ", ") + ")");
    const auto model = parsePiModel(vm["model"].as<std::string>());
    if (!model) {
        return usageError("--model \"" + vm["model"].as<std::string>() + "\" is not one of " +
                          modelNames(", ", ", "));
    }
    opt.pi.model = *model;
    std::optional<MacAddress> mac;
    if (vm.count("mac")) {
        mac = MacAddress::parse(vm["mac"].as<std::string>());
        if (!mac) return usageError("--mac \"" + vm["mac"].as<std::string>() + "\" is not a MAC");
    }
    std::optional<Serial> serial;
    if (vm.count("serial")) {
        serial = Serial::parse(vm["serial"].as<std::string>());
        if (!serial) {
            return usageError("--serial \"" + vm["serial"].as<std::string>() +
                              "\" is not a Pi serial (8 hex digits, e.g. bf9fed6f)");
        }
    } else if (mac && shapeOf(*model) != DiscoverShape::C) {
        // Pi 1-3: the MAC's low three bytes are the serial's (docs/protocol/dhcp.md).
        const auto& b = mac->bytes();
        serial = Serial(std::uint32_t{b[3]} << 16 | std::uint32_t{b[4]} << 8 | b[5]);
    } else {
        serial = Serial(kDefaultSerial);
    }
    opt.pi.serial = *serial;
    // Without --mac: the model's OUI and the serial's low three bytes, as on Pi 1-3 boards.
    opt.pi.mac = mac ? *mac : MacAddress::fromOui(facts(*model).emulatedOui, serial->value());
    opt.pi.boardRevision = facts(*model).emulatedBoardRevision;
    opt.pi.xid = std::random_device{}();
    opt.json = vm.count("json") > 0;
    if (vm.count("tftp-only")) {
        const std::string s = vm["tftp-only"].as<std::string>();
        if (!parseIpv4(s)) return usageError("--tftp-only \"" + s + "\" is not an IPv4 address");
        opt.tftpOnly = s;
    }
    if (vm.count("nfs-server")) {
        const std::string s = vm["nfs-server"].as<std::string>();
        if (!parseIpv4(s)) return usageError("--nfs-server \"" + s + "\" is not an IPv4 address");
        opt.nfsServer = s;
    }
    if (vm.count("timeout-ms")) {
        const long ms = vm["timeout-ms"].as<long>();
        if (ms < kMinTimeoutMs || ms > kMaxTimeoutMs) {
            return usageError("--timeout-ms must be " + std::to_string(kMinTimeoutMs) + ".." +
                              std::to_string(kMaxTimeoutMs));
        }
        opt.timeout = std::chrono::milliseconds(ms);
    }
    ParseOutcome o;
    o.options = opt;
    return o;
}

}  // namespace rpinetboot::probe
