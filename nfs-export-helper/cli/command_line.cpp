#include "command_line.h"

#include <boost/program_options.hpp>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "rpinetboot/nfs/host_identity.h"

namespace po = boost::program_options;

namespace rpinetboot::nfs {

namespace {

const char* const kProgram = "rpi-nfs-exports";

const char* const kDescription =
    "Manage per-Raspberry-Pi NFS root exports safely: one drop-in file owned by this tool,\n"
    "validated with the real exportfs before it is written, applied atomically with rollback,\n"
    "and verified live over RPC. /etc/exports and other drop-ins are never modified.\n";

const char* const kOrder =
    "Global options may also follow the command, unless the command has an option of the\n"
    "same name: after `provision`, --server is the address written into nfsroot=.\n"
    "Run `rpi-nfs-exports COMMAND --help` for the options of one command.\n";

const char* const kExitCodes =
    "Exit status:\n"
    "  0  success\n"
    "  1  usage error (unknown command or option, missing argument)\n"
    "  2  invalid input: serial, path, client, options, an unknown serial for remove, or\n"
    "     (with --require-nosuid-nodev) a no_root_squash export on a file system mounted\n"
    "     without nosuid,nodev\n"
    "  3  conflict: with another export, rejected by exportfs, or state file edited by hand\n"
    "  4  applying failed (exportfs -ra or the ganesha reload); the previous file was restored\n"
    "  5  another exports file is already broken (file and line are printed); nothing changed\n"
    "  6  the server does not export what the state file says (check, or after a change)\n"
    "  7  the NFS server (rpcbind/mountd/nfsd or ganesha) is not running (check)\n"
    "  8  system error: I/O, permissions, lock timeout, missing tools\n";

const char* const kNotes =
    "Serials are the 8 hex digits of the board serial (the /proc/cpuinfo form\n"
    "10000000bf9fed6f is accepted and shortened). Clients are IPv4 addresses or CIDR blocks;\n"
    "a network or * with no_root_squash is refused unless --force.\n"
    "\n"
    "A Pi root is exported no_root_squash, so the Pi can create setuid-root programs and\n"
    "device nodes in it: add, provision and check warn when the exported file system is\n"
    "mounted without nosuid and nodev (--require-nosuid-nodev refuses instead).\n";

const char* const kExamples =
    "Example:\n"
    "  rpi-nfs-exports add bf9fed6f --client 192.0.2.10\n"
    "  rpi-nfs-exports provision bf9fed6f --from /srv/golden --client 192.0.2.10 \\\n"
    "      --server 192.0.2.1\n"
    "  rpi-nfs-exports list --json\n"
    "  rpi-nfs-exports check\n"
    "  rpi-nfs-exports remove bf9fed6f\n";

// Options add and provision share (one declaration, bound to the command's own request).
void exportOptions(po::options_description& o, std::string& client, std::string& options,
                   int& nfsVersion) {
    o.add_options()("client", po::value(&client)->required()->value_name("ADDR[/LEN]"),
                    "the Pi's IPv4 address (or a CIDR block, or *)")(
        "options", po::value(&options)->value_name("LIST"),
        "comma-separated: ro, root_squash, all_squash, secure, insecure, crossmnt, nohide, "
        "no_wdelay, no_acl, fsid=N, anonuid=N, anongid=N, sec=...; rw, sync, no_subtree_check "
        "and no_root_squash are the defaults")(
        "nfs-version", po::value(&nfsVersion)->default_value(nfsVersion)->value_name("3|4"),
        "the NFS version the Pi's nfsroot= uses");
}

bool validVersion(int v) {
    return v == 3 || v == 4;
}

int versionError(const Reporter& rep) {
    rep.error("--nfs-version must be 3 or 4 (Debian 12 has no NFSv2)");
    return kInvalid;
}

}  // namespace

const std::vector<CommandSpec>& commandSpecs() {
    static const std::vector<CommandSpec> specs{
        {"add",
         {"SERIAL"},
         "export PATH (default BASE/SERIAL) read-write to the Pi at ADDR",
         [](po::options_description& o, CommandArgs& a) {
             o.add_options()("path", po::value(&a.add.path)->value_name("PATH"),
                             "directory to export (default BASE/SERIAL)");
             exportOptions(o, a.add.client, a.add.options, a.add.nfsVersion);
         },
         [](const Config& cfg, const Reporter& rep, CommandArgs& a) {
             if (!validVersion(a.add.nfsVersion)) return versionError(rep);
             a.add.serial = a.positional[0];
             return cmdAdd(cfg, rep, a.add);
         }},
        {"remove",
         {"SERIAL"},
         "remove the Pi's export",
         [](po::options_description&, CommandArgs&) {},
         [](const Config& cfg, const Reporter& rep, CommandArgs& a) {
             return cmdRemove(cfg, rep, a.positional[0]);
         }},
        {"list",
         {},
         "print the Pi exports this tool manages",
         [](po::options_description& o, CommandArgs& a) {
             o.add_options()("json", po::bool_switch(&a.json),
                             "JSON array of {serial, path, client, options, nfs_version[, "
                             "export_id]}");
         },
         [](const Config& cfg, const Reporter& rep, CommandArgs& a) {
             return cmdList(cfg, rep, a.json);
         }},
        {"check",
         {},
         "state file vs other exports vs what the server exports live, and the "
         "exported file systems' nosuid,nodev",
         [](po::options_description&, CommandArgs&) {},
         [](const Config& cfg, const Reporter& rep, CommandArgs&) { return cmdCheck(cfg, rep); }},
        {"apply",
         {},
         "re-apply the state file (exportfs -ra, or SIGHUP to ganesha)",
         [](po::options_description&, CommandArgs&) {},
         [](const Config& cfg, const Reporter& rep, CommandArgs&) { return cmdApply(cfg, rep); }},
        {"provision",
         {"SERIAL"},
         "copy ROOT to BASE/SERIAL (cp -a --reflink=auto; ROOT must be a directory, "
         "not a symlink, and is never written), rewrite its cmdline.txt for an NFS "
         "root, disable SD-card fstab lines, reset the per-machine files (see --help), "
         "set the hostname, then add it",
         [](po::options_description& o, CommandArgs& a) {
             o.add_options()("from", po::value(&a.prov.from)->required()->value_name("ROOT"),
                             "the base root file system to copy")(
                 "server", po::value(&a.prov.server)->required()->value_name("ADDR"),
                 "the NFS server address written into nfsroot=")(
                 "hostname", po::value(&a.prov.hostname)->value_name("NAME"),
                 "the Pi's host name (default pi-SERIAL)");
             exportOptions(o, a.prov.client, a.prov.options, a.prov.nfsVersion);
         },
         [](const Config& cfg, const Reporter& rep, CommandArgs& a) {
             if (!validVersion(a.prov.nfsVersion)) return versionError(rep);
             a.prov.serial = a.positional[0];
             return cmdProvision(cfg, rep, a.prov);
         }},
        {"watch-mounts",
         {},
         "read rpc.mountd's log (plain lines, or journalctl -o json) and emit one NFS_MOUNT "
         "boot event per mount of a Pi root this tool exports, with the Pi's serial and "
         "address; refused mounts are events with outcome failed. NFSv4 mounts never reach "
         "mountd: knfsd's NFSv4 clients are polled beside the log, and a new client at a Pi's "
         "address that opens a file on that Pi's root is one NFS_MOUNT event with the text "
         "vers=4.MINOR. nfs-ganesha has neither: its clients are asked over D-Bus, and a new "
         "client at a Pi's address that used NFS is one NFS_MOUNT event with the text vers=3 "
         "or vers=4.MINOR. Ends where the log ends",
         [](po::options_description& o, CommandArgs& a) {
             o.add_options()(
                 "input",
                 po::value(&a.watch.input)->default_value(a.watch.input)->value_name("FILE"),
                 "mountd's log lines (- for standard input, e.g. from journalctl "
                 "-u nfs-mountd -f -o json), or none to poll only (--nfsd-clients, "
                 "--ganesha-bus) until stopped")(
                 "events",
                 po::value(&a.watch.events)->default_value(a.watch.events)->value_name("SPEC"),
                 "where events go: auto, journal, stderr, json:PATH or none")(
                 "nfsd-clients",
                 po::value(&a.watch.nfsdClients)
                     ->default_value(a.watch.nfsdClients)
                     ->value_name("DIR"),
                 "knfsd's NFSv4 client directory (Linux 5.3 or later), polled for NFSv4 "
                 "mounts; none to watch only the log. Absent or unreadable: a warning, and "
                 "the log is still watched")(
                 "ganesha-bus",
                 po::value(&a.watch.ganeshaBus)
                     ->default_value(a.watch.ganeshaBus)
                     ->value_name("BUS"),
                 "where nfs-ganesha's clients are asked (ShowClients of its D-Bus client "
                 "manager): system (the system bus, or DBUS_SYSTEM_BUS_ADDRESS), a D-Bus address "
                 "such as unix:path=/run/dbus/system_bus_socket, none, or auto: system with "
                 "--backend ganesha, else none. No bus or no ganesha on it: a warning, asked "
                 "again every poll interval")(
                 "poll-interval",
                 po::value(&a.watch.pollSeconds)
                     ->default_value(a.watch.pollSeconds)
                     ->value_name("S"),
                 "seconds between two looks at --nfsd-clients and nfs-ganesha's clients (1..3600)");
         },
         [](const Config& cfg, const Reporter& rep, CommandArgs& a) {
             return cmdWatchMounts(cfg, rep, a.watch);
         }},
    };
    return specs;
}

po::options_description globalOptions(Config& cfg, int& verifySeconds) {
    po::options_description g("Global options");
    g.add_options()("help,h", "print this help and exit")("version", "print the version and exit")(
        "backend", po::value(&cfg.backend)->default_value(cfg.backend)->value_name("NAME"),
        "knfsd (kernel server: exports drop-in + exportfs) or ganesha (NFS-Ganesha include "
        "file + SIGHUP)")(
        "exports-d", po::value(&cfg.exportsDir)->default_value(cfg.exportsDir)->value_name("DIR"),
        "directory of the drop-in (exportfs reads only /etc/exports.d)")(
        "file", po::value(&cfg.fileName)->default_value(cfg.fileName)->value_name("NAME"),
        "name of the drop-in owned by this tool (must end in .exports)")(
        "exports", po::value(&cfg.exportsFile)->default_value(cfg.exportsFile)->value_name("FILE"),
        "the main exports file, read (never written) for conflict checks")(
        "base", po::value(&cfg.base)->default_value(cfg.base)->value_name("DIR"),
        "directory that holds the Pi roots; every exported path must be inside it")(
        "exportfs", po::value(&cfg.exportfs)->default_value(cfg.exportfs)->value_name("PROGRAM"),
        "exportfs program")("server",
                            po::value(&cfg.server)->default_value(cfg.server)->value_name("ADDR"),
                            "IPv4 address at which mountd/nfsd (or ganesha) are asked over RPC")(
        "no-reload", po::bool_switch(&cfg.noReload),
        "only write the file: no exportfs validation or reload, no SIGHUP, no live check")(
        "no-verify", po::bool_switch(&cfg.noVerify), "skip the live RPC verification")(
        "force", po::bool_switch(&cfg.force),
        "allow no_root_squash for a network or * client, and overlapping exports")(
        "require-nosuid-nodev", po::bool_switch(&cfg.requireNosuidNodev),
        "refuse (add, provision) or fail (check) a no_root_squash export on a file system "
        "mounted without nosuid and nodev, instead of warning")(
        "verify-timeout", po::value(&verifySeconds)->default_value(verifySeconds)->value_name("S"),
        "seconds to wait for the server to show a change (0..3600)")(
        "ganesha-config",
        po::value(&cfg.ganeshaConfig)->default_value(cfg.ganeshaConfig)->value_name("FILE"),
        "main ganesha configuration (read for %include and used Export_Ids)")(
        "ganesha-include",
        po::value(&cfg.ganeshaInclude)->default_value(cfg.ganeshaInclude)->value_name("FILE"),
        "include file owned by this tool; ganesha.conf must %include it")(
        "ganesha-pid-file",
        po::value(&cfg.ganeshaPidFile)->default_value(cfg.ganeshaPidFile)->value_name("FILE"),
        "pid file of the running ganesha.nfsd (it gets SIGHUP after a change)")(
        "ganesha-fsal",
        po::value(&cfg.ganeshaFsal)->default_value(cfg.ganeshaFsal)->value_name("NAME"),
        "FSAL name for the EXPORT blocks")(
        "ganesha-verify-client",
        po::value(&cfg.ganeshaVerifyClient)
            ->default_value(cfg.ganeshaVerifyClient)
            ->value_name("ADDR"),
        "address given metadata-only, all-squashed access to each export so that the live "
        "check can see it (ganesha lists exports only to their clients); empty to disable");
    return g;
}

po::options_description commandOptions(const CommandSpec& spec, CommandArgs& args) {
    po::options_description o("Options of " + spec.name);
    spec.declare(o, args);
    return o;
}

namespace {

std::string usageOf(const CommandSpec& spec) {
    std::string u = spec.name;
    for (const auto& p : spec.positional) u += " " + p;
    return u;
}

const std::size_t kColumn = 26, kWidth = 80;

// "  NAME" then `text` from column kColumn, wrapped at kWidth, always at least two spaces from the
// name (help2man tells name from description by that gap).
// With an empty name and column 0, a paragraph.
void printEntry(std::ostream& out, const std::string& name, const std::string& text,
                std::size_t column = kColumn) {
    if (name.empty() || name.size() + 2 <= column)
        out << name << std::string(column - name.size(), ' ');
    else
        out << name << "\n" << std::string(column, ' ');
    std::size_t at = column;
    std::istringstream words(text);
    std::string word;
    bool first = true;
    while (words >> word) {
        if (!first && at + 1 + word.size() > kWidth) {
            out << "\n" << std::string(column, ' ');
            at = column;
            first = true;
        }
        if (!first) {
            out << ' ';
            ++at;
        }
        out << word;
        at += word.size();
        first = false;
    }
    out << "\n";
}

// An option group: "  -h, --name PARAM (=default)" and its description.
void printOptions(std::ostream& out, const std::string& title,
                  const po::options_description& group) {
    out << title << ":\n";
    for (const auto& o : group.options()) {
        auto shortName = o->canonical_display_name(po::command_line_style::allow_dash_for_short);
        std::string name = "  " + (shortName.size() == 2 ? shortName + ", " : std::string()) +
                           "--" + o->long_name();
        std::string param = o->format_parameter();
        if (!param.empty()) name += " " + param;
        printEntry(out, name, o->description());
    }
}

int verifySecondsDefault() {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::seconds>(Config{}.verifyTimeout).count());
}

}  // namespace

void printHelp(std::ostream& out) {
    Config cfg;
    int verifySeconds = verifySecondsDefault();
    out << "Usage: " << kProgram << " [GLOBAL OPTIONS] COMMAND [ARGS] [OPTIONS]\n"
        << kDescription << "\nCommands:\n";
    for (const auto& spec : commandSpecs()) printEntry(out, "  " + usageOf(spec), spec.summary);
    out << "\n" << kOrder << "\n";
    printOptions(out, "Global options", globalOptions(cfg, verifySeconds));
    for (const auto& spec : commandSpecs()) {
        CommandArgs args;
        auto o = commandOptions(spec, args);
        if (o.options().empty()) continue;
        out << "\n";
        printOptions(out, "Options of " + spec.name, o);
    }
    out << "\n";
    out << kExitCodes << "\n"
        << kNotes << "\n"
        << "provision resets these per-machine files in the copy (the base root is never\n"
           "written): the machine ID is emptied (systemd makes a new one at boot), the D-Bus\n"
           "copy becomes a link to it, SSH host keys are made anew (by Raspberry Pi OS's\n"
           "regenerate_ssh_host_keys unit at first boot, or else ssh-keygen -A now), and\n"
           "the rest is removed and recreated by its owner:\n"
        << hostIdentityHelp() << "\n"
        << kExamples;
}

void printCommandHelp(std::ostream& out, const CommandSpec& spec) {
    CommandArgs args;
    auto o = commandOptions(spec, args);
    out << "Usage: " << kProgram << " [GLOBAL OPTIONS] " << usageOf(spec)
        << (o.options().empty() ? "" : " [OPTIONS]") << "\n";
    printEntry(out, "", spec.summary, 0);
    out << "\n";
    if (!o.options().empty()) {
        printOptions(out, "Options of " + spec.name, o);
        out << "\n";
    }
    out << "See " << kProgram << " --help for global options and exit codes.\n";
}

namespace {

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

std::string commandNames() {
    std::string names;
    for (const auto& spec : commandSpecs()) names += (names.empty() ? "" : ", ") + spec.name;
    return names;
}

}  // namespace

int runCommandLine(const std::vector<std::string>& all, std::ostream& out, std::ostream& err) {
    Config cfg;
    int verifySeconds = verifySecondsDefault();
    Reporter rep{out, err};
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
        out << kProgram << " " << RPI_NETBOOT_VERSION << "\n";
        return kOk;
    }
    bool help = vm.count("help") > 0;
    if (command.empty()) {
        if (help) {
            printHelp(out);
            return kOk;
        }
        rep.error("no command given (" + commandNames() + "); see --help");
        return kUsage;
    }
    const CommandSpec* spec = nullptr;
    for (const auto& s : commandSpecs())
        if (s.name == command) spec = &s;
    if (!spec) {
        rep.error("unknown command \"" + command + "\" (" + commandNames() + "); see --help");
        return kUsage;
    }
    CommandArgs args;
    auto opts = commandOptions(*spec, args);
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
        if (vm.count("args")) args.positional = vm["args"].as<std::vector<std::string>>();
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
        printCommandHelp(out, *spec);
        return kOk;
    }
    if (args.positional.size() != spec->positional.size()) {
        rep.error(
            command + " takes " +
            (spec->positional.empty() ? std::string("no arguments") : "a " + spec->positional[0]) +
            "; see " + command + " --help");
        return kUsage;
    }
    return spec->run(cfg, rep, args);
}

}  // namespace rpinetboot::nfs
