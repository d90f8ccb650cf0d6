#include "rpinetboot/daemon/options.h"

#include <boost/asio/ip/address.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "rpinetboot/util/decimal.h"

namespace po = boost::program_options;

namespace rpinetboot::daemon {

po::options_description generalOptions(const Program& program) {
    po::options_description general("General");
    general.add_options()                           //
        ("help,h", "Print this help and exit.")     //
        ("version", "Print the version and exit.")  //
        ("config,c", po::value<std::string>(),
         ("Read settings from FILE (same keys as the long flags, `key = value`, one per line; "
          "repeatable keys may appear several times). Default: " +
          std::string(program.defaultConfigFile) +
          " when it exists. Flags given on the command line win.")
             .c_str());
    return general;
}

bool readOptions(const std::vector<std::string>& args, const po::options_description& desc,
                 const Program& program, po::variables_map& vm, std::string& configFile,
                 ParseResult& result) {
    result = ParseResult{};
    try {
        po::store(po::command_line_parser(args).options(desc).run(), vm);
        if (vm.count("help")) {
            std::ostringstream text;
            text << program.helpHead << desc;
            result.status = ParseStatus::Help;
            result.text = text.str();
            return false;
        }
        if (vm.count("version")) {
            result.status = ParseStatus::Version;
            result.text = std::string(program.name) + " " RPI_NETBOOT_VERSION "\n";
            return false;
        }
        const bool required = vm.count("config") > 0;
        const std::string file =
            required ? vm["config"].as<std::string>() : program.defaultConfigFile;
        std::ifstream in(file);
        if (in) {
            po::store(po::parse_config_file(in, desc), vm);
            configFile = file;
        } else if (required) {
            result.text = "cannot read configuration file " + file;
            return false;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        result.text = e.what();
        return false;
    }
    return true;
}

bool isLogLevel(const std::string& level) {
    return level == "trace" || level == "debug" || level == "info" || level == "warn" ||
           level == "error";
}

bool readLogLevel(const po::variables_map& vm, std::string& level, std::string& error) {
    if (!vm.count("log-level")) return true;
    const auto& given = vm["log-level"].as<std::string>();
    if (!isLogLevel(given)) {
        error = "bad --log-level " + given + ": must be " + kLogLevels;
        return false;
    }
    level = given;
    return true;
}

std::optional<std::pair<std::string, std::uint16_t>> splitHostPort(const std::string& spec,
                                                                   std::uint16_t defaultPort) {
    std::string host = spec;
    std::optional<std::string> port;
    if (!spec.empty() && spec[0] == '[') {
        const auto close = spec.find(']');
        if (close == std::string::npos) return std::nullopt;
        host = spec.substr(1, close - 1);
        if (close + 1 < spec.size()) {
            if (spec[close + 1] != ':') return std::nullopt;
            port = spec.substr(close + 2);
        }
    } else if (std::count(spec.begin(), spec.end(), ':') == 1) {
        // One colon: IPv4 with a port. More: a bare IPv6 address.
        const auto colon = spec.find(':');
        host = spec.substr(0, colon);
        port = spec.substr(colon + 1);
    }
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    if (ec) return std::nullopt;
    if (!port) return std::make_pair(host, defaultPort);
    const auto p = parseDecimal(*port, 65535);  // "ADDR:" (empty) is refused here
    if (!p) return std::nullopt;
    return std::make_pair(host, static_cast<std::uint16_t>(*p));
}

std::optional<int> exitCodeFor(const ParseResult& parsed, const Program& program) {
    switch (parsed.status) {
        case ParseStatus::Help:
        case ParseStatus::Version:
            std::cout << parsed.text;
            return 0;
        case ParseStatus::Error:
            std::cerr << program.name << ": " << parsed.text << "\nTry '" << program.name
                      << " --help'.\n";
            return 2;
        case ParseStatus::Ok:
            break;
    }
    return std::nullopt;
}

}  // namespace rpinetboot::daemon
