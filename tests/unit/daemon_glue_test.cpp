// The daemons' shared glue (daemon/): command line plus configuration file, log levels,
// listen addresses, and the refusals of privilege dropping that need no root; and the one-shot
// programs' command line.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "rpinetboot/daemon/command_line.h"
#include "rpinetboot/daemon/options.h"
#include "rpinetboot/daemon/privileges.h"

namespace po = boost::program_options;
using namespace rpinetboot::daemon;

namespace {

const Program kTest{"rpi-test", "Usage: rpi-test [OPTIONS]\n", "/nonexistent/rpi-test.conf"};

po::options_description describe() {
    po::options_description own("Own");
    own.add_options()                             //
        ("port", po::value<unsigned>(), "PORT.")  //
        ("log-level", po::value<std::string>(), "LEVEL.");
    po::options_description all;
    all.add(generalOptions(kTest)).add(own);
    return all;
}

std::string tempConfig(const std::string& text) {
    char path[] = "/tmp/rpinb-daemon-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream(path) << text;
    return path;
}

}  // namespace

TEST_CASE("daemon options: help, version, and errors stop the caller", "[daemon]") {
    po::variables_map vm;
    std::string file;
    ParseResult r;
    CHECK_FALSE(readOptions({"--help"}, describe(), kTest, vm, file, r));
    CHECK(r.status == ParseStatus::Help);
    CHECK(r.text.rfind("Usage: rpi-test [OPTIONS]\n", 0) == 0);
    CHECK(r.text.find("--log-level") != std::string::npos);
    CHECK(r.text.find("/nonexistent/rpi-test.conf") != std::string::npos);  // the default file

    po::variables_map vm2;
    CHECK_FALSE(readOptions({"--version"}, describe(), kTest, vm2, file, r));
    CHECK(r.status == ParseStatus::Version);
    CHECK(r.text.rfind("rpi-test ", 0) == 0);

    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{"--bogus"}, {"--port", "x"}, {"--config", "/nonexistent/x"}}) {
        po::variables_map v;
        ParseResult e;
        CHECK_FALSE(readOptions(bad, describe(), kTest, v, file, e));
        CHECK(e.status == ParseStatus::Error);
        CHECK_FALSE(e.text.empty());
    }
    // A missing default file is fine: the program runs on its flags.
    po::variables_map v;
    file.clear();
    CHECK(readOptions({"--port", "7"}, describe(), kTest, v, file, r));
    CHECK(file.empty());
    CHECK(v["port"].as<unsigned>() == 7);
}

TEST_CASE("daemon options: the configuration file has the same keys and flags win", "[daemon]") {
    const auto path = tempConfig("# comment\nport = 5\nlog-level = debug\n");
    po::variables_map vm;
    std::string file;
    ParseResult r;
    REQUIRE(readOptions({"--config", path, "--port", "9"}, describe(), kTest, vm, file, r));
    CHECK(file == path);
    CHECK(vm["port"].as<unsigned>() == 9);
    std::string level = "info";
    std::string error;
    CHECK(readLogLevel(vm, level, error));
    CHECK(level == "debug");

    const auto bad = tempConfig("port = 5\nnot-a-key = 1\n");
    po::variables_map vm2;
    CHECK_FALSE(readOptions({"--config", bad}, describe(), kTest, vm2, file, r));
    CHECK(r.status == ParseStatus::Error);
    std::remove(path.c_str());
    std::remove(bad.c_str());
}

TEST_CASE("daemon options: log levels", "[daemon]") {
    for (const char* ok : {"trace", "debug", "info", "warn", "error"}) CHECK(isLogLevel(ok));
    for (const char* bad : {"", "INFO", "loud", "fatal"}) CHECK_FALSE(isLogLevel(bad));
    po::variables_map vm;
    std::string file;
    ParseResult r;
    REQUIRE(readOptions({"--log-level", "loud"}, describe(), kTest, vm, file, r));
    std::string level = "info";
    std::string error;
    CHECK_FALSE(readLogLevel(vm, level, error));
    CHECK(level == "info");
    CHECK(error.find("loud") != std::string::npos);
}

TEST_CASE("daemon options: listen addresses with and without a port", "[daemon]") {
    const auto v4 = splitHostPort("192.0.2.1", 69);
    REQUIRE(v4);
    CHECK(v4->first == "192.0.2.1");
    CHECK(v4->second == 69);
    CHECK(splitHostPort("192.0.2.1:6969", 69)->second == 6969);
    CHECK(splitHostPort("[::1]:0", 69)->second == 0);
    const auto v6 = splitHostPort("::1", 6666);
    REQUIRE(v6);
    CHECK(v6->first == "::1");
    CHECK(v6->second == 6666);
    CHECK(splitHostPort("[2001:db8::1]", 6666)->first == "2001:db8::1");
    for (const char* bad : {"", "host.example:69", "192.0.2.1:", "192.0.2.1:70000", "[::1",
                            "[::1]6969", "[::1]:", "192.0.2.1:-1", "192.0.2.1:0x45"}) {
        INFO(bad);
        CHECK_FALSE(splitHostPort(bad, 69));
    }
}

TEST_CASE("daemon privileges: no user is no change, an unknown user is refused", "[daemon]") {
    std::string error;
    const uid_t before = ::getuid();
    CHECK(dropPrivileges("", error));
    CHECK(::getuid() == before);
    CHECK_FALSE(dropPrivileges("rpinb-no-such-user-x", error));
    CHECK(error.find("unknown user") != std::string::npos);
    CHECK(::getuid() == before);
}

namespace {

po::options_description oneShot() {
    po::options_description d;
    d.add_options()                                 //
        ("help,h", "Print this help and exit.")     //
        ("version", "Print the version and exit.")  //
        ("count", po::value<unsigned>(), "N.");
    return d;
}

std::optional<EarlyExit> readOneShot(std::vector<std::string> args, po::variables_map& vm) {
    return readCommandLine(
        args, oneShot(), "rpi-once", [] { return std::string("HELP"); }, vm);
}

}  // namespace

TEST_CASE("a one-shot program's command line: help, version, errors, or go on") {
    po::variables_map vm;
    SECTION("flags only: the program goes on with them") {
        CHECK_FALSE(readOneShot({"--count", "3"}, vm));
        CHECK(vm["count"].as<unsigned>() == 3);
    }
    SECTION("--help prints the program's help text, exit 0") {
        const auto e = readOneShot({"--count", "3", "--help"}, vm);
        REQUIRE(e);
        CHECK(e->exitCode == 0);
        CHECK(e->message == "HELP");
    }
    SECTION("--version") {
        const auto e = readOneShot({"--version"}, vm);
        REQUIRE(e);
        CHECK(e->exitCode == 0);
        CHECK(e->message.rfind("rpi-once ", 0) == 0);
        CHECK(e->message.size() > std::string("rpi-once ").size());
    }
    SECTION("a stray word, an unknown flag, a bad value: usage error, exit 2") {
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"stray"}, {"--nope"}, {"--count", "many"}, {"--count"}}) {
            po::variables_map fresh;
            const auto e = readOneShot(args, fresh);
            REQUIRE(e);
            CHECK(e->exitCode == 2);
            CHECK(e->message.rfind("rpi-once: ", 0) == 0);
            CHECK(e->message.find("\nTry 'rpi-once --help'.") != std::string::npos);
        }
    }
}

TEST_CASE("a usage error names the program and points at --help") {
    const auto e = usageError("rpi-once", "--count must be 1..9");
    CHECK(e.exitCode == 2);
    CHECK(e.message == "rpi-once: --count must be 1..9\nTry 'rpi-once --help'.");
}
