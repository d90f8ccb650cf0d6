// rpi-nfs-exports' command line: every command, its arguments and options, and the global options
// are declared once here (Boost.Program_options, as rpi-tftpd), with their defaults taken from
// Config and the request structs. --help, each COMMAND --help, and through help2man the man page,
// are printed from these declarations; nfs_cli_test and cli_help_man.py check that they agree.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "app.h"

namespace rpinetboot::nfs {

// What a command's options and positional arguments fill in.
struct CommandArgs {
    AddRequest add;
    ProvisionRequest prov;
    WatchRequest watch;
    bool json = false;
    std::vector<std::string> positional;
};

struct CommandSpec {
    std::string name;
    std::vector<std::string> positional;  // names of the required positional arguments
    std::string summary;                  // one line or more, for --help
    std::function<void(boost::program_options::options_description&, CommandArgs&)> declare;
    std::function<int(const Config&, const Reporter&, CommandArgs&)> run;
};

const std::vector<CommandSpec>& commandSpecs();

// The global options, bound to cfg (defaults are cfg's values) and verifySeconds.
boost::program_options::options_description globalOptions(Config& cfg, int& verifySeconds);

// The options of one command, bound to args.
boost::program_options::options_description commandOptions(const CommandSpec& spec,
                                                           CommandArgs& args);

void printHelp(std::ostream& out);
void printCommandHelp(std::ostream& out, const CommandSpec& spec);

// The whole program: parses argv (without argv[0]), runs the command, returns the exit code.
int runCommandLine(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

}  // namespace rpinetboot::nfs
