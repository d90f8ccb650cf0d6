#include "settings.h"

#include <net/if.h>

#include <boost/program_options.hpp>

namespace po = boost::program_options;

namespace rpinetboot::netconsole {

const daemon::Program kProgram{
    "rpi-netconsoled",
    "Usage: rpi-netconsoled (--interface IF | --udp ADDR)... [OPTIONS]\n"
    "Receives Raspberry Pi bootloader log lines sent over the network (NETCONSOLE in the EEPROM "
    "configuration) and records each line as a boot event.\n"
    "SIGUSR1 logs the counters; SIGTERM exits.\n",
    kDefaultConfigFile};

namespace {

po::options_description describe() {
    const auto general = daemon::generalOptions(kProgram);
    po::options_description receive("Receiving");
    receive.add_options()  //
        ("interface,i", po::value<std::vector<std::string>>(),
         "Read every frame on this interface with a packet socket in promiscuous mode: the only "
         "way to see the bootloader's default frames, sent to MAC 00:00:00:00:00:00 and "
         "255.255.255.255. Lines are attributed to the Ethernet source MAC. Needs "
         "CAP_NET_RAW. Repeatable.")  //
        ("udp", po::value<std::vector<std::string>>(),
         "Also listen on a plain UDP socket, ADDR, ADDR:PORT or [ADDR6]:PORT (port: --port), for "
         "bootloaders from pieeprom-2022-09-02 on whose NETCONSOLE names this host's MAC. Lines "
         "are attributed to the source address only. Datagrams that arrive on an --interface "
         "are left to its packet socket. Repeatable. Ignored under systemd socket activation.")  //
        ("port,p", po::value<unsigned>(),
         "UDP destination port of the NETCONSOLE frames. Default: 6666.")  //
        ("promiscuous", po::value<bool>()->implicit_value(true),
         "Put the --interface into promiscuous mode while running (frames to the all-zero MAC "
         "are dropped by the network card otherwise). Default: true.")  //
        ("max-line-bytes", po::value<unsigned>(), "Longer lines are cut (64..4096). Default: 512.");
    po::options_description out("Output and operation");
    out.add_options()  //
        ("events,e", po::value<std::string>(),
         "Where NETCONSOLE_LINE events go: auto (the systemd journal when it runs, else JSON "
         "lines on stderr), journal, stderr, json:PATH or none. Default: auto.")  //
        ("user", po::value<std::string>(),
         "Drop privileges to this user (and its groups) after opening the sockets.")  //
        ("log-level", po::value<std::string>(),
         "trace, debug, info, warn or error. Each dropped or altered frame is logged at debug, "
         "the counters at info on SIGUSR1 and at exit. Default: info.");
    po::options_description all;
    all.add(general).add(receive).add(out);
    return all;
}

bool parseUdp(const std::string& spec, std::uint16_t defaultPort, UdpListen& out) {
    const auto hp = daemon::splitHostPort(spec, defaultPort);
    if (!hp || hp->second == 0) return false;
    out.address = hp->first;
    out.port = hp->second;
    return true;
}

}  // namespace

ParseResult parseSettings(const std::vector<std::string>& args, bool socketActivated,
                          Settings& out) {
    ParseResult result;
    const auto desc = describe();
    po::variables_map vm;
    Settings s;
    if (!daemon::readOptions(args, desc, kProgram, vm, s.configFile, result)) return result;
    std::string& error = result.text;
    if (vm.count("port")) {
        const unsigned p = vm["port"].as<unsigned>();
        if (p == 0 || p > 65535) {
            error = "--port must be between 1 and 65535";
            return result;
        }
        s.port = static_cast<std::uint16_t>(p);
    }
    if (vm.count("interface")) s.interfaces = vm["interface"].as<std::vector<std::string>>();
    for (const auto& name : s.interfaces) {
        if (name.empty() || name.size() >= IF_NAMESIZE || name.find('/') != std::string::npos) {
            error = "bad --interface name: " + name;
            return result;
        }
    }
    if (vm.count("udp")) {
        for (const auto& spec : vm["udp"].as<std::vector<std::string>>()) {
            UdpListen l;
            if (!parseUdp(spec, s.port, l)) {
                error = "bad --udp value: " + spec;
                return result;
            }
            s.udp.push_back(l);
        }
    }
    if (s.interfaces.empty() && s.udp.empty() && !socketActivated) {
        error = "nothing to listen on: give --interface and/or --udp";
        return result;
    }
    if (vm.count("promiscuous")) s.promiscuous = vm["promiscuous"].as<bool>();
    if (vm.count("max-line-bytes")) {
        const unsigned n = vm["max-line-bytes"].as<unsigned>();
        if (n < 64 || n > 4096) {
            error = "--max-line-bytes must be between 64 and 4096";
            return result;
        }
        s.limits.maxLineBytes = n;
    }
    if (vm.count("events")) s.eventsText = vm["events"].as<std::string>();
    if (!parseSinkSpec(s.eventsText, s.events, error)) return result;
    if (vm.count("user")) s.user = vm["user"].as<std::string>();
    if (!daemon::readLogLevel(vm, s.logLevel, error)) return result;
    out = s;
    result.status = ParseStatus::Ok;
    return result;
}

}  // namespace rpinetboot::netconsole
