#include "rpinetboot/daemon/command_line.h"

namespace po = boost::program_options;

namespace rpinetboot::daemon {

EarlyExit usageError(const char* program, const std::string& why) {
    return {2, std::string(program) + ": " + why + "\nTry '" + program + " --help'."};
}

std::optional<EarlyExit> readCommandLine(const std::vector<std::string>& args,
                                         const po::options_description& desc, const char* program,
                                         const std::function<std::string()>& helpText,
                                         po::variables_map& vm) {
    try {
        const po::positional_options_description none;
        po::store(po::command_line_parser(args).options(desc).positional(none).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return usageError(program, e.what());
    }
    if (vm.count("help")) return EarlyExit{0, helpText()};
    if (vm.count("version")) return EarlyExit{0, std::string(program) + " " RPI_NETBOOT_VERSION};
    return std::nullopt;
}

}  // namespace rpinetboot::daemon
