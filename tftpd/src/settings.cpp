#include "settings.h"

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>
#include <sstream>
#include <type_traits>

#include "negotiation.h"
#include "rpinetboot/event_sink.h"

namespace po = boost::program_options;

namespace rpinetboot::tftpd {

const daemon::Program kProgram{
    "rpi-tftpd",
    "Usage: rpi-tftpd --root DIR [OPTIONS]\n"
    "A read-only TFTP server for Raspberry Pi network boot trees.\n"
    "SIGHUP reloads the configuration and drops cached files without ending running "
    "transfers; SIGTERM exits.\n",
    kDefaultConfigFile};

namespace {

// The defaults are Settings' member initialisers and each number's range is declared here: --help
// shows both and parseSettings checks the ranges, so the text cannot drift from the code.
const Settings kDefaults;
struct Range {
    const char* key;
    unsigned lo, hi;
};
constexpr Range kBlksize{"max-blksize", 8, 65464}, kWindow{"max-windowsize", 1, 64},
    kTimeout{"timeout-ms", 100, 10000}, kMaxTimeout{"max-timeout-ms", 100, 60000},
    kRetries{"retries", 1, 20}, kHalfOpen{"half-open-timeout-ms", 500, 60000},
    kTransfers{"max-transfers", 1, 100000}, kPerClient{"max-per-client", 1, 100000},
    kCacheMb{"cache-mb", 0, 1u << 20}, kCachedFileMb{"max-cached-file-mb", 0, 1u << 20},
    kReceiveBuffer{"receive-buffer", 65536, 1u << 30};

std::string span(const Range& r) {
    return "(" + std::to_string(r.lo) + ".." + std::to_string(r.hi) + ")";
}
template <typename T>
std::string byDefault(T v) {
    if constexpr (std::is_same_v<T, bool>) {
        return v ? " Default: true." : " Default: false.";
    } else {
        return " Default: " + std::to_string(v) + ".";
    }
}

po::options_description describe() {
    const auto general = daemon::generalOptions(kProgram);
    po::options_description serve("Serving");
    serve.add_options()  //
        ("listen,l", po::value<std::vector<std::string>>(),
         "Address to listen on, ADDR:PORT, [ADDR6]:PORT or ADDR (port 69). Repeatable. "
         "Default: 0.0.0.0:69 and [::]:69. Ignored under systemd socket activation.")  //
        ("root,r", po::value<std::string>(),
         "Directory served. A request <prefix>/<file> reads <root>/<prefix>/<file>, where "
         "<prefix> is a serial (bf9fed6f), a MAC (dc-a6-32-01-36-c2) or any custom prefix; "
         "<prefix> may be a symlink to a shared tree. Required. Roots that expose the host are "
         "refused: /, system directories as a whole (/etc, /usr, /var, /home, /srv, ...) and "
         "anything inside /etc, /dev, /proc, /sys, /run or /root.")  //
        ("allow-root", po::value<std::vector<std::string>>(),
         "Extra directory that symlinks in the --root tree may point into. Repeatable. "
         "Nothing outside --root and these directories is ever served.")  //
        ("layout", po::value<std::string>(),
         "Map a request <prefix>/<path> to a template such as /srv/rpi/{serial}/boot/{path} "
         "({prefix} is a synonym of {serial}). When the template directory of a prefix does "
         "not exist, the request is served from --root. A request for <prefix> never leaves "
         "that Pi's directory (/srv/rpi/<prefix>, which may be a symlink to a shared tree in "
         "--root or an --allow-root): symlinks the Pi plants there cannot reach other Pis. "
         "The static directory must not contain, or lie in, --root or an --allow-root.")  //
        ("case-insensitive", po::value<bool>()->implicit_value(true),
         ("Match file names case-insensitively (trees copied from FAT)." +
          byDefault(kDefaults.resolver.caseInsensitive))
             .c_str())  //
        ("pin", po::value<std::vector<std::string>>(),
         "PREFIX=IP[,IP...]: serve the tree of PREFIX (a serial, MAC or custom prefix, in any "
         "case) only to these client addresses. The pin follows the directory PREFIX resolves "
         "to (under --root, and under the layout's directory), so other names and symlinks "
         "leading there are pinned too. Repeatable.");
    po::options_description proto("Protocol");
    proto.add_options()  //
        (kBlksize.key, po::value<unsigned>(),
         ("Largest block size granted " + span(kBlksize) + "." + byDefault(kDefaults.maxBlockSize))
             .c_str())  //
        ("mtu-clamp", po::value<bool>()->implicit_value(true),
         ("Also clamp the block size to the path MTU minus IP, UDP and TFTP headers (1468 on "
          "an IPv4 1500-byte MTU, 1448 on IPv6) so that no DATA is fragmented." +
          byDefault(kDefaults.mtuClamp))
             .c_str())  //
        (kWindow.key, po::value<unsigned>(),
         ("Largest RFC 7440 window granted " + span(kWindow) + "." +
          byDefault(kDefaults.maxWindowSize))
             .c_str())  //
        (kTimeout.key, po::value<unsigned>(),
         ("First retransmit timeout in milliseconds " + span(kTimeout) +
          " until the client's round trip is measured; then the round trip sets it (RFC 6298, "
          "at least 200 ms, at most this). Doubled on each retry. A client's timeout option of "
          "1..5 s overrides it (larger "
          "ones are not granted), and no transfer waits more than 30 s for an ACK (a Pi gives "
          "up a file after 30 s)." +
          byDefault(kDefaults.timeoutMs))
             .c_str())  //
        (kMaxTimeout.key, po::value<unsigned>(),
         ("Retransmit backoff ceiling in milliseconds." + byDefault(kDefaults.maxTimeoutMs))
             .c_str())  //
        (kRetries.key, po::value<unsigned>(),
         ("Retransmits of one window before a transfer fails " + span(kRetries) + "." +
          byDefault(kDefaults.retries))
             .c_str())  //
        (kHalfOpen.key, po::value<unsigned>(),
         ("A transfer whose first OACK or DATA is never acknowledged ends after this many "
          "milliseconds " +
          span(kHalfOpen) + "." + byDefault(kDefaults.halfOpenTimeoutMs))
             .c_str());
    po::options_description ops("Limits and operations");
    ops.add_options()  //
        (kTransfers.key, po::value<unsigned>(),
         ("Concurrent transfers in total; when full, the transfer that has made the least "
          "progress for longest makes room (half-open ones first, then any without an ACK for "
          "2 s), else the request gets an ERROR." +
          byDefault(kDefaults.maxTransfers))
             .c_str())  //
        (kPerClient.key, po::value<unsigned>(),
         ("Concurrent transfers per client address; when a client's are all in use, its own "
          "oldest half-open (or stalled) transfer makes room." +
          byDefault(kDefaults.maxPerClient))
             .c_str())  //
        (kCacheMb.key, po::value<unsigned>(),
         ("Memory for file contents, MiB, including files held by running transfers; past it "
          "files are streamed from disk in 64 KiB chunks." +
          byDefault(kDefaults.cacheBytes >> 20))
             .c_str())  //
        (kCachedFileMb.key, po::value<unsigned>(),
         ("Files larger than this (MiB) are streamed from disk instead of cached." +
          byDefault(kDefaults.maxCachedFileBytes >> 20))
             .c_str())  //
        (kReceiveBuffer.key, po::value<unsigned>(),
         ("Receive buffer of each listening socket, bytes." + byDefault(kDefaults.receiveBuffer))
             .c_str())  //
        ("user,u", po::value<std::string>(),
         "Drop privileges to this user (and its groups) after binding the sockets.")  //
        ("metrics-listen", po::value<std::string>(),
         "Serve Prometheus metrics over HTTP at http://ADDR:PORT/metrics (ADDR:PORT or "
         "[ADDR6]:PORT; the port is required). Bound before privileges are dropped; a port in "
         "use is a startup error. Default: off.")  //
        ("events", po::value<std::string>(),
         "Where one TFTP_FILE boot event per request goes (client address, the Pi's serial or "
         "MAC from the request's directory, file, bytes, duration, outcome): auto, journal, "
         "stderr, json:PATH or none. Opened before privileges are dropped; changes on restart. "
         "Default: none.")  //
        ("log-level", po::value<std::string>(),
         "trace, debug, info, warn or error. Probes (a client's early terminate) are logged at "
         "debug, transfers at info. Default: info.");
    po::options_description all;
    all.add(general).add(serve).add(proto).add(ops);
    return all;
}

bool canonicalIp(const std::string& text, std::string& out) {
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(text, ec);
    if (ec) return false;
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
        addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
    }
    out = addr.to_string();
    return true;
}

template <typename T>
bool inRange(const po::variables_map& vm, const Range& r, T& out, std::string& error) {
    if (!vm.count(r.key)) return true;
    auto v = vm[r.key].as<unsigned>();
    if (v < r.lo || v > r.hi) {
        error = std::string("--") + r.key + " must be between " + std::to_string(r.lo) + " and " +
                std::to_string(r.hi);
        return false;
    }
    out = static_cast<T>(v);
    return true;
}

}  // namespace

std::optional<std::pair<std::string, std::uint16_t>> splitListen(const std::string& spec) {
    return daemon::splitHostPort(spec, 69);
}

ParseResult parseSettings(const std::vector<std::string>& args, Settings& out) {
    ParseResult result;
    const auto desc = describe();
    po::variables_map vm;
    Settings s;
    if (!daemon::readOptions(args, desc, kProgram, vm, s.configFile, result)) return result;

    std::string& error = result.text;
    if (vm.count("listen")) s.listen = vm["listen"].as<std::vector<std::string>>();
    for (const auto& l : s.listen) {
        if (!splitListen(l)) {
            error = "bad --listen value: " + l;
            return result;
        }
    }
    if (!vm.count("root")) {
        error = "--root is required";
        return result;
    }
    s.resolver.root = vm["root"].as<std::string>();
    if (vm.count("allow-root")) {
        s.resolver.allowRoots = vm["allow-root"].as<std::vector<std::string>>();
    }
    if (vm.count("layout")) {
        s.resolver.layout = vm["layout"].as<std::string>();
        std::string why;
        if (!validLayout(s.resolver.layout, &why)) {
            error = "bad --layout: " + why;
            return result;
        }
    }
    if (vm.count("case-insensitive"))
        s.resolver.caseInsensitive = vm["case-insensitive"].as<bool>();
    if (vm.count("pin")) {
        for (const auto& pin : vm["pin"].as<std::vector<std::string>>()) {
            auto eq = pin.find('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == pin.size()) {
                error = "bad --pin value (PREFIX=IP[,IP...]): " + pin;
                return result;
            }
            // A pin names one tree: a single path component, as a request's first one.
            const std::string prefix = pin.substr(0, eq);
            if (prefix == "." || prefix == ".." ||
                prefix.find_first_of("/\\") != std::string::npos) {
                error = "bad --pin prefix (one directory name, such as a serial): " + pin;
                return result;
            }
            auto& ips = s.resolver.pins[canonicalPrefix(prefix)];
            std::istringstream list(pin.substr(eq + 1));
            std::string ip;
            while (std::getline(list, ip, ',')) {
                std::string canon;
                if (!canonicalIp(ip, canon)) {
                    error = "bad address in --pin: " + ip;
                    return result;
                }
                ips.push_back(canon);
            }
        }
    }
    if (vm.count("metrics-listen")) {
        s.metricsListen = vm["metrics-listen"].as<std::string>();
        const auto& m = s.metricsListen;
        const bool hasPort = m.find("]:") != std::string::npos ||
                             (m[0] != '[' && std::count(m.begin(), m.end(), ':') == 1);
        if (!hasPort || !splitListen(m)) {
            error = "bad --metrics-listen value (ADDR:PORT or [ADDR6]:PORT): " + m;
            return result;
        }
    }
    if (vm.count("events")) {
        s.events = vm["events"].as<std::string>();
        SinkSpec spec;
        std::string why;
        if (!parseSinkSpec(s.events, spec, why)) {
            error = "--" + why;  // "--events: ... is not auto, journal, ..."
            return result;
        }
    }
    if (vm.count("user")) s.user = vm["user"].as<std::string>();
    if (vm.count("mtu-clamp")) s.mtuClamp = vm["mtu-clamp"].as<bool>();
    auto cacheMb = static_cast<unsigned>(kDefaults.cacheBytes >> 20);
    auto maxFileMb = static_cast<unsigned>(kDefaults.maxCachedFileBytes >> 20);
    auto rcvbuf = static_cast<unsigned>(kDefaults.receiveBuffer);
    if (!inRange(vm, kBlksize, s.maxBlockSize, error) ||
        !inRange(vm, kWindow, s.maxWindowSize, error) ||
        !inRange(vm, kTimeout, s.timeoutMs, error) ||
        !inRange(vm, kMaxTimeout, s.maxTimeoutMs, error) ||
        !inRange(vm, kRetries, s.retries, error) ||
        !inRange(vm, kHalfOpen, s.halfOpenTimeoutMs, error) ||
        !inRange(vm, kTransfers, s.maxTransfers, error) ||
        !inRange(vm, kPerClient, s.maxPerClient, error) || !inRange(vm, kCacheMb, cacheMb, error) ||
        !inRange(vm, kCachedFileMb, maxFileMb, error) ||
        !inRange(vm, kReceiveBuffer, rcvbuf, error)) {
        return result;
    }
    if (s.maxTimeoutMs < s.timeoutMs) s.maxTimeoutMs = s.timeoutMs;
    s.cacheBytes = std::uint64_t{cacheMb} << 20;
    s.maxCachedFileBytes = std::uint64_t{maxFileMb} << 20;
    s.receiveBuffer = static_cast<int>(rcvbuf);
    if (!daemon::readLogLevel(vm, s.logLevel, error)) return result;
    out = std::move(s);
    result.status = ParseStatus::Ok;
    result.text.clear();
    return result;
}

}  // namespace rpinetboot::tftpd
