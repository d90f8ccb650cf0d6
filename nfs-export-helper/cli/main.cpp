// rpi-nfs-exports: command-line parsing (Boost.program_options) and dispatch. The help text is the
// source of the man page, so it lists every command, option and exit status.
#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "app.h"

namespace po = boost::program_options;
using namespace rpinetboot::nfs;

namespace {

const char* kUsageText =
    "Usage: rpi-nfs-exports [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "Manage per-Raspberry-Pi NFS root exports safely: one drop-in file owned by this tool,\n"
    "validated with the real exportfs before it is written, applied atomically with rollback,\n"
    "and verified live over RPC. /etc/exports and other drop-ins are never modified.\n"
    "\n"
    "Commands:\n"
    "  add SERIAL --client ADDR[/LEN] [--path PATH] [--options LIST] [--nfs-version 3|4]\n"
    "                      export PATH (default BASE/SERIAL) read-write to the Pi at ADDR\n"
    "  remove SERIAL       remove the Pi's export\n"
    "  list [--json]       print the Pi exports this tool manages\n"
    "  check               state file vs other exports vs what the server exports live\n"
    "  apply               re-apply the state file (exportfs -ra, or SIGHUP to ganesha)\n"
    "  provision SERIAL --from ROOT --client ADDR --server ADDR [--hostname NAME]\n"
    "                      [--options LIST] [--nfs-version 3|4]\n"
    "                      copy ROOT to BASE/SERIAL (cp -a --reflink=auto), rewrite its\n"
    "                      cmdline.txt for an NFS root, disable SD-card fstab lines, clear\n"
    "                      machine-id and SSH host keys, set the hostname, then add it\n"
    "\n"
    "Global options may also follow the command, unless the command has an option of the\n"
    "same name: after `provision`, --server is the address written into nfsroot=.\n"
    "Run `rpi-nfs-exports COMMAND --help` for the options of one command.\n";

const char* kExitCodes =
    "Exit status:\n"
    "  0  success\n"
    "  1  usage error (unknown command or option, missing argument)\n"
    "  2  invalid input: serial, path, client, options, or an unknown serial for remove\n"
    "  3  conflict: with another export, rejected by exportfs, or state file edited by hand\n"
    "  4  applying failed (exportfs -ra or the ganesha reload); the previous file was restored\n"
    "  5  another exports file is already broken (file and line are printed); nothing changed\n"
    "  6  the server does not export what the state file says (check, or after a change)\n"
    "  7  the NFS server (rpcbind/mountd/nfsd or ganesha) is not running (check)\n"
    "  8  system error: I/O, permissions, lock timeout, missing tools\n"
    "\n"
    "Serials are the 8 hex digits of the board serial (the /proc/cpuinfo form\n"
    "10000000bf9fed6f is accepted and shortened). Clients are IPv4 addresses or CIDR blocks;\n"
    "a network or * with no_root_squash is refused unless --force.\n";

po::options_description globalOptions(Config& cfg, int& verifySeconds) {
    po::options_description g("Global options");
    g.add_options()("help,h", "print this help and exit")("version", "print the version and exit")(
        "backend", po::value(&cfg.backend)->default_value(cfg.backend),
        "knfsd (kernel server: exports drop-in + exportfs) or ganesha (NFS-Ganesha include "
        "file + SIGHUP)")("exports-d", po::value(&cfg.exportsDir)->default_value(cfg.exportsDir),
                          "directory of the drop-in (exportfs reads only /etc/exports.d)")(
        "file", po::value(&cfg.fileName)->default_value(cfg.fileName),
        "name of the drop-in owned by this tool (must end in .exports)")(
        "exports", po::value(&cfg.exportsFile)->default_value(cfg.exportsFile),
        "the main exports file, read (never written) for conflict checks")(
        "base", po::value(&cfg.base)->default_value(cfg.base),
        "directory that holds the Pi roots; every exported path must be inside it")(
        "exportfs", po::value(&cfg.exportfs)->default_value(cfg.exportfs), "exportfs program")(
        "server", po::value(&cfg.server)->default_value(cfg.server),
        "IPv4 address at which mountd/nfsd (or ganesha) are asked over RPC")(
        "no-reload", po::bool_switch(&cfg.noReload),
        "only write the file: no exportfs validation or reload, no SIGHUP, no live check")(
        "no-verify", po::bool_switch(&cfg.noVerify), "skip the live RPC verification")(
        "force", po::bool_switch(&cfg.force),
        "allow no_root_squash for a network or * client, and overlapping exports")(
        "require-nosuid-nodev", po::bool_switch(&cfg.requireNosuidNodev),
        "refuse (add, provision) or fail (check) a no_root_squash export on a file system "
        "mounted without nosuid and nodev, instead of warning")(
        "verify-timeout", po::value(&verifySeconds)->default_value(10),
        "seconds to wait for the server to show a change")(
        "ganesha-config", po::value(&cfg.ganeshaConfig)->default_value(cfg.ganeshaConfig),
        "main ganesha configuration (read for %include and used Export_Ids)")(
        "ganesha-include", po::value(&cfg.ganeshaInclude)->default_value(cfg.ganeshaInclude),
        "include file owned by this tool; ganesha.conf must %include it")(
        "ganesha-pid-file", po::value(&cfg.ganeshaPidFile)->default_value(cfg.ganeshaPidFile),
        "pid file of the running ganesha.nfsd (it gets SIGHUP after a change)")(
        "ganesha-fsal", po::value(&cfg.ganeshaFsal)->default_value(cfg.ganeshaFsal),
        "FSAL name for the EXPORT blocks")(
        "ganesha-verify-client",
        po::value(&cfg.ganeshaVerifyClient)->default_value(cfg.ganeshaVerifyClient),
        "address given metadata-only, all-squashed access to each export so that the live "
        "check can see it (ganesha lists exports only to their clients); empty to disable");
    return g;
}

struct CommandSpec {
    po::options_description options{"Command options"};
    std::vector<std::string> positional;  // names of required positional arguments
};

void printHelp(const po::options_description& global) {
    std::cout << kUsageText << "\n"
              << global << "\n"
              << "Options of add (and provision):\n"
                 "  --client ADDR[/LEN]   the Pi's IPv4 address (or a CIDR block, or *)\n"
                 "  --path PATH           directory to export (default BASE/SERIAL)\n"
                 "  --options LIST        comma-separated: ro, root_squash, all_squash, secure,\n"
                 "                        insecure, crossmnt, nohide, no_wdelay, no_acl, fsid=N,\n"
                 "                        anonuid=N, anongid=N, sec=...; rw, sync,\n"
                 "                        no_subtree_check and no_root_squash are the defaults\n"
                 "  --nfs-version 3|4     the version the Pi's nfsroot= uses (default 3)\n"
                 "Options of provision:\n"
                 "  --from ROOT           the base root file system to copy\n"
                 "  --server ADDR         the NFS server address written into nfsroot=\n"
                 "  --hostname NAME       the Pi's host name (default pi-SERIAL)\n"
                 "Options of list:\n"
                 "  --json                JSON array of {serial, path, client, options,\n"
                 "                        nfs_version[, export_id]}\n"
                 "\n"
              << kExitCodes << "\n"
              << "Example:\n"
                 "  rpi-nfs-exports add bf9fed6f --client 192.0.2.10\n"
                 "  rpi-nfs-exports list --json\n"
                 "  rpi-nfs-exports check\n"
                 "  rpi-nfs-exports remove bf9fed6f\n";
}

// Index in args of the command: the first token that is neither a global option nor the value of
// one ("--base /srv" takes two tokens, "--base=/srv" one). args.size() if there is none.
std::size_t findCommand(const std::vector<std::string>& args, const po::options_description& g) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.size() < 2 || a.front() != '-') return i;
        if (a.find('=') != std::string::npos) continue;
        auto name = a.substr(a.find_first_not_of('-'));
        const auto* d = g.find_nothrow(name, false);
        if (d && d->semantic()->max_tokens() > 0) ++i;
    }
    return args.size();
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    int verifySeconds = 10;
    Reporter rep{std::cout, std::cerr};
    auto global = globalOptions(cfg, verifySeconds);
    po::options_description hidden;
    hidden.add_options()("args", po::value<std::vector<std::string>>());
    po::options_description globalAndArgs;
    globalAndArgs.add(global).add(hidden);
    po::positional_options_description pos;
    pos.add("args", -1);

    // Global options go before the command; after it, the command's own options come first (so
    // that provision's --server, the address for nfsroot=, is not the global --server), and the
    // remaining options are global ones again.
    std::vector<std::string> all(argv + 1, argv + argc);
    std::size_t at = findCommand(all, global);
    std::vector<std::string> before(all.begin(), all.begin() + static_cast<long>(at));
    std::string command = at < all.size() ? all[at] : "";
    std::vector<std::string> after;
    if (at < all.size()) after.assign(all.begin() + static_cast<long>(at) + 1, all.end());
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(before).options(global).run(), vm);
    } catch (const po::error& e) {
        rep.error(e.what());
        return kUsage;
    }
    if (vm.count("version")) {
        std::cout << "rpi-nfs-exports " << RPI_NETBOOT_VERSION << "\n";
        return kOk;
    }
    bool help = vm.count("help") > 0;
    if (command.empty()) {
        if (help) {
            printHelp(global);
            return kOk;
        }
        rep.error("no command given (add, remove, list, check, apply, provision); see --help");
        return kUsage;
    }
    AddRequest add;
    ProvisionRequest prov;
    bool json = false;
    po::options_description opts("Options of " + command);
    std::vector<std::string> positional;
    if (command == "add") {
        opts.add_options()("client", po::value(&add.client)->required(),
                           "the Pi's IPv4 address or CIDR")(
            "path", po::value(&add.path), "directory to export (default BASE/SERIAL)")(
            "options", po::value(&add.options), "comma-separated export options")(
            "nfs-version", po::value(&add.nfsVersion)->default_value(3), "3 or 4");
        positional = {"SERIAL"};
    } else if (command == "remove") {
        positional = {"SERIAL"};
    } else if (command == "list") {
        opts.add_options()("json", po::bool_switch(&json), "print JSON");
    } else if (command == "check" || command == "apply") {
    } else if (command == "provision") {
        opts.add_options()("from", po::value(&prov.from)->required(), "base root to copy")(
            "client", po::value(&prov.client)->required(), "the Pi's IPv4 address")(
            "server", po::value(&prov.server)->required(), "NFS server address for nfsroot=")(
            "hostname", po::value(&prov.hostname), "host name (default pi-SERIAL)")(
            "options", po::value(&prov.options), "comma-separated export options")(
            "nfs-version", po::value(&prov.nfsVersion)->default_value(3), "3 or 4");
        positional = {"SERIAL"};
    } else {
        rep.error("unknown command \"" + command + "\"; see --help");
        return kUsage;
    }
    std::vector<std::string> args;
    try {
        po::variables_map cvm;
        auto parsed = po::command_line_parser(after).options(opts).allow_unregistered().run();
        auto leftover = po::collect_unrecognized(parsed.options, po::include_positional);
        po::store(parsed, cvm);
        // What the command did not take: global options (once only) and positional arguments.
        auto rest = po::command_line_parser(leftover).options(globalAndArgs).positional(pos).run();
        for (const auto& o : rest.options)
            if (o.string_key != "args" && vm.count(o.string_key) && !vm[o.string_key].defaulted()) {
                rep.error("option --" + o.string_key + " is given twice");
                return kUsage;
            }
        po::store(rest, vm);
        po::notify(vm);
        if (vm.count("args")) args = vm["args"].as<std::vector<std::string>>();
        if (vm.count("help")) help = true;
        if (!help) po::notify(cvm);
    } catch (const po::error& e) {
        rep.error(command + ": " + e.what() + "; see " + command + " --help");
        return kUsage;
    }
    if (cfg.backend != "knfsd" && cfg.backend != "ganesha") {
        rep.error("--backend must be knfsd or ganesha");
        return kUsage;
    }
    if (verifySeconds < 0 || verifySeconds > 3600) {
        rep.error("--verify-timeout must be 0..3600 seconds");
        return kUsage;
    }
    cfg.verifyTimeout = std::chrono::seconds(verifySeconds);
    if (help) {
        std::cout << "Usage: rpi-nfs-exports [GLOBAL OPTIONS] " << command;
        for (const auto& p : positional) std::cout << " " << p;
        std::cout << " [OPTIONS]\n\n"
                  << opts << "\nSee rpi-nfs-exports --help for global options "
                  << "and exit codes.\n";
        return kOk;
    }
    if (args.size() != positional.size()) {
        rep.error(command + " takes " +
                  (positional.empty() ? std::string("no arguments") : "a " + positional[0]) +
                  "; see " + command + " --help");
        return kUsage;
    }
    if ((command == "add" && add.nfsVersion != 3 && add.nfsVersion != 4) ||
        (command == "provision" && prov.nfsVersion != 3 && prov.nfsVersion != 4)) {
        rep.error("--nfs-version must be 3 or 4 (Debian 12 has no NFSv2)");
        return kInvalid;
    }
    if (command == "add") {
        add.serial = args[0];
        return cmdAdd(cfg, rep, add);
    }
    if (command == "remove") return cmdRemove(cfg, rep, args[0]);
    if (command == "list") return cmdList(cfg, rep, json);
    if (command == "check") return cmdCheck(cfg, rep);
    if (command == "apply") return cmdApply(cfg, rep);
    prov.serial = args[0];
    return cmdProvision(cfg, rep, prov);
}
