#include "options.h"

#include <boost/program_options.hpp>
#include <sstream>

#include "rpinetboot/daemon/command_line.h"

namespace po = boost::program_options;

namespace rpinetboot::timeline {
namespace {

const Limits kDefaults;
constexpr std::uint64_t kMaxSeconds = 86400;

constexpr const char* kDescription =
    "Shows how the Raspberry Pis of a fleet network-booted, from the boot events the rpi-netboot\n"
    "components emit (the Kea hook's DISCOVER, OFFER_SENT, REQUEST and ACK, rpi-tftpd's\n"
    "TFTP_FILE, rpi-nfs-exports watch-mounts' NFS_MOUNT, rpi-netconsoled's NETCONSOLE_LINE). It\n"
    "reads them from the systemd journal (MESSAGE_ID=4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5) or from\n"
    "JSON-lines files written with --events json:PATH.\n"
    "\n"
    "Without --pi it prints the fleet: one line per Pi with when it was last seen, how far its\n"
    "last boot got (dhcp, firmware, kernel, initramfs, nfs-root, os-dhcp), how long that took,\n"
    "and the first anomaly, e.g. \"OFFER sent 5 times, no TFTP request: check option 66 /\n"
    "firewall\".\n"
    "With --pi SERIAL|MAC|ADDRESS it prints that Pi's last boot as a timeline, with the time\n"
    "between steps and its bootloader's NETCONSOLE lines.\n";

constexpr const char* kEpilogue =
    "\n"
    "Events are grouped by the Pi's serial, its MAC, or the address DHCP last gave it; a\n"
    "DISCOVER after the firmware was fetched, or a silence longer than --boot-gap, starts a new\n"
    "boot. The end of the boot-file phase (BOOT_FILES_DONE) is the last of kernel and\n"
    "initramfs. Anomaly codes (the probe's findings table): boot-no-offer, boot-no-ack,\n"
    "boot-no-tftp, boot-file-missing, boot-file-failed, boot-stalled, boot-no-nfs-mount,\n"
    "boot-nfs-refused, boot-not-allowed.\n"
    "\n"
    "Exit status: 0 printed; 1 --pi names no Pi in the events; 2 usage error, or the events\n"
    "could not be read (a journal that cannot be opened, an unreadable file).\n"
    "\n"
    "Examples: rpi-netboot-timeline\n"
    "          rpi-netboot-timeline --pi 1a2b3c04\n"
    "          rpi-netboot-timeline --input /var/log/kea/rpi-events.json --json\n";

po::options_description describe() {
    po::options_description d("Options");
    d.add_options()                                 //
        ("help,h", "Print this help and exit.")     //
        ("version", "Print the version and exit.")  //
        ("pi", po::value<std::string>()->value_name("ID"),
         "Print the last boot of the Pi with this serial (8 hex digits), MAC or IPv4 address.")  //
        ("json", "Print the result as one JSON object instead of text.")                         //
        ("input,i", po::value<std::vector<std::string>>()->value_name("FILE"),
         "Read events from this JSON-lines file (\"-\": standard input) instead of the journal; "
         "may be given more than once.")  //
        ("journal-directory", po::value<std::string>()->value_name("DIR"),
         "Read the journal files in DIR instead of the local system's journal.")  //
        ("nfs-wait", po::value<std::uint64_t>()->value_name("S"),
         ("Seconds after the last boot file within which the NFS root must be mounted. "
          "Default: " +
          std::to_string(kDefaults.nfsWaitUs / 1'000'000) + ".")
             .c_str())  //
        ("settle", po::value<std::uint64_t>()->value_name("S"),
         ("Seconds within which a Pi's next DHCP or TFTP step must follow its last one. "
          "Default: " +
          std::to_string(kDefaults.settleUs / 1'000'000) + ".")
             .c_str())  //
        ("boot-gap", po::value<std::uint64_t>()->value_name("S"),
         ("Seconds of silence after which a Pi's next event starts a new boot. Default: " +
          std::to_string(kDefaults.bootGapUs / 1'000'000) + ".")
             .c_str())  //
        ("at", po::value<std::uint64_t>()->value_name("US"),
         "Judge the boots as at this moment (microseconds since the Unix epoch, as "
         "timestamp_us) instead of now.");
    return d;
}

constexpr const char* kProgram = "rpi-netboot-timeline";

ParseOutcome exitWith(const daemon::EarlyExit& e) {
    return {std::nullopt, e.exitCode, e.message};
}

ParseOutcome usageError(const std::string& why) {
    return exitWith(daemon::usageError(kProgram, why));
}

std::string helpText() {
    std::ostringstream out;
    out << "Usage: rpi-netboot-timeline [--pi SERIAL|MAC|ADDRESS] [--json] [options]\n\n"
        << kDescription << "\n"
        << describe() << kEpilogue;
    return out.str();
}

}  // namespace

ParseOutcome parseOptions(const std::vector<std::string>& args) {
    po::variables_map vm;
    if (auto early = daemon::readCommandLine(args, describe(), kProgram, helpText, vm)) {
        return exitWith(*early);
    }
    Options opt;
    if (vm.count("input")) opt.inputs = vm["input"].as<std::vector<std::string>>();
    if (vm.count("journal-directory")) {
        if (!opt.inputs.empty())
            return usageError("--journal-directory and --input exclude each other");
        opt.journalDirectory = vm["journal-directory"].as<std::string>();
        if (opt.journalDirectory.empty()) return usageError("--journal-directory: empty");
    }
    if (vm.count("pi")) {
        opt.pi = vm["pi"].as<std::string>();
        if (opt.pi.empty()) return usageError("--pi: empty");
    }
    opt.json = vm.count("json") > 0;
    struct Limit {
        const char* name;
        std::uint64_t Limits::*member;
    };
    for (const Limit& l :
         {Limit{"nfs-wait", &Limits::nfsWaitUs}, Limit{"settle", &Limits::settleUs},
          Limit{"boot-gap", &Limits::bootGapUs}}) {
        if (!vm.count(l.name)) continue;
        const std::uint64_t s = vm[l.name].as<std::uint64_t>();
        if (s == 0 || s > kMaxSeconds) {
            return usageError(std::string("--") + l.name + " must be 1.." +
                              std::to_string(kMaxSeconds) + " seconds");
        }
        opt.limits.*l.member = s * 1'000'000;
    }
    if (vm.count("at")) opt.nowUs = vm["at"].as<std::uint64_t>();
    ParseOutcome o;
    o.options = std::move(opt);
    return o;
}

}  // namespace rpinetboot::timeline
