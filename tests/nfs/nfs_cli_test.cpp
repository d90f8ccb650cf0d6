// rpi-nfs-exports' command line: --help lists exactly the declared commands and options with their
// declared defaults, and parsing keeps its contract (exit codes, option order) without touching
// any file: every case here fails before a command runs, or only prints help.
#include <boost/program_options.hpp>
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "cli_run.h"
#include "command_line.h"

using namespace rpinetboot::nfs;

namespace {

using test::Run;
using test::run;

// Entries of one "Title:" section of help text: lines that start with exactly two spaces.
std::vector<std::string> section(const std::string& help, const std::string& title) {
    std::vector<std::string> entries;
    std::istringstream in(help);
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] != ' ')
            inside = line == title + ":";
        else if (inside && line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != ' ')
            entries.push_back(line.substr(2));
    }
    return entries;
}

std::set<std::string> optionNames(const std::vector<std::string>& entries) {
    std::set<std::string> names;
    std::regex re("^(?:-[a-z], )?--([a-z0-9-]+)");
    for (const auto& e : entries) {
        std::smatch m;
        if (std::regex_search(e, m, re)) names.insert(m[1]);
    }
    return names;
}

std::set<std::string> declared(const boost::program_options::options_description& d) {
    std::set<std::string> names;
    for (const auto& o : d.options()) names.insert(o->long_name());
    return names;
}

}  // namespace

TEST_CASE("help output lists every declared command, once, in the declared order") {
    auto r = run({"--help"});
    REQUIRE(r.rc == 0);
    auto entries = section(r.out, "Commands");
    REQUIRE(entries.size() == commandSpecs().size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        std::string usage = commandSpecs()[i].name;
        for (const auto& p : commandSpecs()[i].positional) usage += " " + p;
        CHECK(entries[i].compare(0, usage.size() + 2, usage + "  ") == 0);
    }
}

TEST_CASE("help output lists exactly the declared global options, with Config's defaults") {
    Config cfg;
    int seconds = 10;
    auto global = globalOptions(cfg, seconds);
    auto help = run({"--help"}).out;
    auto entries = section(help, "Global options");
    CHECK(optionNames(entries) == declared(global));
    CHECK(entries.size() == global.options().size());
    for (const auto& value : {cfg.base, cfg.exportsDir, cfg.fileName, cfg.exportsFile, cfg.exportfs,
                              cfg.server, cfg.backend, cfg.ganeshaConfig})
        CHECK(help.find("(=" + value + ")") != std::string::npos);
    CHECK(help.find("--verify-timeout S (=10)") != std::string::npos);
}

TEST_CASE("help and COMMAND help output list exactly each command's declared options") {
    auto help = run({"--help"}).out;
    for (const auto& spec : commandSpecs()) {
        CommandArgs args;
        auto names = declared(commandOptions(spec, args));
        auto own = run({spec.name, "--help"});
        REQUIRE(own.rc == 0);
        CHECK(own.out.find("Usage: rpi-nfs-exports [GLOBAL OPTIONS] " + spec.name) == 0);
        CHECK(optionNames(section(help, "Options of " + spec.name)) == names);
        CHECK(optionNames(section(own.out, "Options of " + spec.name)) == names);
    }
}

TEST_CASE("the help lists every per-machine file provision resets") {
    auto help = run({"--help"}).out;
    for (const char* f : {"/etc/machine-id (emptied)", "/var/lib/dbus/machine-id",
                          "/etc/ssh/ssh_host_*_key* (removed)", "/var/lib/systemd/random-seed"})
        CHECK(help.find(f) != std::string::npos);
}

TEST_CASE("usage errors exit 1 and name the problem") {
    struct Case {
        std::vector<std::string> argv;
        std::string message;
    };
    for (const auto& c : std::vector<Case>{
             {{}, "no command given (add, remove, list, check, apply, provision, watch-mounts)"},
             {{"frobnicate"}, "unknown command \"frobnicate\""},
             {{"add", "bf9fed6f"}, "the option '--client' is required"},
             {{"add"}, "the option '--client' is required"},
             {{"add", "--client", "192.0.2.1"}, "add takes a SERIAL"},
             {{"list", "extra"}, "list takes no arguments"},
             {{"--bogus", "list"}, "unrecognised option '--bogus'"},
             {{"list", "--bogus"}, "unrecognised option '--bogus'"},
             {{"--backend", "nfsd", "list"}, "--backend must be knfsd or ganesha"},
             {{"--verify-timeout", "3601", "list"}, "--verify-timeout must be 0..3600"},
             {{"--base", "/a", "list", "--base", "/b"}, "option --base is given twice"},
             {{"provision", "bf9fed6f", "--from", "/x", "--client", "192.0.2.1"},
              "the option '--server' is required"},
         }) {
        auto r = run(c.argv);
        INFO(r.err);
        CHECK(r.rc == kUsage);
        CHECK(r.err.find(c.message) != std::string::npos);
        CHECK(r.out.empty());
    }
}

TEST_CASE("a bad NFS version is invalid input (exit 2) for add and provision") {
    auto r = run({"add", "bf9fed6f", "--client", "192.0.2.1", "--nfs-version", "2"});
    CHECK(r.rc == kInvalid);
    CHECK(r.err.find("--nfs-version must be 3 or 4") != std::string::npos);
    r = run({"provision", "bf9fed6f", "--from", "/x", "--client", "192.0.2.1", "--server",
             "192.0.2.2", "--nfs-version", "5"});
    CHECK(r.rc == kInvalid);
}

TEST_CASE("help and version need no command arguments") {
    CHECK(run({"-h"}).rc == 0);
    CHECK(run({"provision", "--help"}).rc == 0);  // its required options are not asked for
    auto v = run({"--version"});
    CHECK(v.rc == 0);
    CHECK(v.out.find("rpi-nfs-exports ") == 0);
}
