// Flags and configuration file: same keys, flags win, every value validated.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "settings.h"

using namespace rpinetboot::tftpd;

namespace {
ParseResult parse(std::vector<std::string> args, Settings& s) {
    // Never read the host's default configuration file in tests.
    if (std::find(args.begin(), args.end(), "--config") == args.end()) {
        args.insert(args.begin(), {"--config", "/dev/null"});
    }
    return parseSettings(args, s);
}
}  // namespace

TEST_CASE("flags parse and validate", "[settings]") {
    Settings s;
    auto r = parse({"--root", "/srv/tftp", "--listen", "127.0.0.1:6969", "--listen", "[::1]:69",
                    "--max-blksize", "1024", "--pin", "10000000BF9FED6F=192.0.2.5,::ffff:192.0.2.6",
                    "--case-insensitive"},
                   s);
    INFO(r.text);
    REQUIRE(r.status == ParseStatus::Ok);
    CHECK(s.resolver.root == "/srv/tftp");
    CHECK(s.listen.size() == 2);
    CHECK(s.maxBlockSize == 1024);
    CHECK(s.resolver.caseInsensitive);
    CHECK(s.resolver.pins.at("bf9fed6f") == std::vector<std::string>{"192.0.2.5", "192.0.2.6"});
    for (auto bad : std::vector<std::vector<std::string>>{
             {},
             {"--root", "/x", "--max-blksize", "7"},
             {"--root", "/x", "--max-windowsize", "0"},
             {"--root", "/x", "--listen", "nonsense"},
             {"--root", "/x", "--pin", "bf9fed6f"},
             {"--root", "/x", "--pin", "bf9fed6f=not-an-ip"},
             {"--root", "/x", "--pin", "../bf9fed6f=192.0.2.5"},
             {"--root", "/x", "--pin", "shared/pi4=192.0.2.5"},
             {"--root", "/x", "--pin", "..=192.0.2.5"},
             {"--root", "/x", "--layout", "/srv/{serial}"},
             {"--root", "/x", "--log-level", "loud"},
             {"--root", "/x", "--bogus"},
             {"--root", "/x", "--config", "/nonexistent/rpi-tftpd.conf"}}) {
        Settings t;
        CHECK(parse(bad, t).status == ParseStatus::Error);
    }
}

TEST_CASE("the configuration file uses the same keys, and flags win", "[settings]") {
    char path[] = "/tmp/rpinb-conf-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream(path) << "# comment\nroot = /srv/a\nmax-blksize = 1468\nallow-root = /srv/b\n"
                           "allow-root = /srv/c\nlog-level = debug\n";
    Settings s;
    REQUIRE(parse({"--config", path, "--max-blksize", "512"}, s).status == ParseStatus::Ok);
    CHECK(s.resolver.root == "/srv/a");
    CHECK(s.maxBlockSize == 512);
    CHECK(s.resolver.allowRoots.size() == 2);
    CHECK(s.logLevel == "debug");
    CHECK(s.configFile == path);
    std::remove(path);
}

TEST_CASE("help output lists every key", "[settings]") {
    Settings s;
    auto r = parse({"--help"}, s);
    CHECK(r.status == ParseStatus::Help);
    for (const char* key : {"--listen", "--root", "--allow-root", "--layout", "--pin", "--user",
                            "--config", "--max-blksize", "--max-windowsize", "--max-transfers",
                            "--max-per-client", "--half-open-timeout-ms", "--case-insensitive"}) {
        CHECK(r.text.find(key) != std::string::npos);
    }
    CHECK(splitListen("0.0.0.0")->second == 69);
    CHECK(splitListen("[::]:6969")->second == 6969);
    CHECK_FALSE(splitListen("[::]6969"));
}
