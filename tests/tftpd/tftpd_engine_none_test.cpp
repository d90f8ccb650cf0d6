// The daemon's engine choice as built without liburing (tftpd/src/transfer_uring_none.cpp): CI's
// machines have liburing, so this is where that build's engine is compiled and checked.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "engine_choice.h"

using namespace rpinetboot::tftpd;

TEST_CASE("tftpd built without liburing falls back to epoll and says why") {
    boost::asio::io_context io;
    auto c = chooseEngine(io, nullptr);
    CHECK(c.uring == nullptr);
    CHECK(c.error.empty());
    CHECK(c.line ==
          "transfer I/O: epoll (io_uring not available: rpi-tftpd was built without "
          "liburing)");
    auto empty = chooseEngine(io, "");
    CHECK(empty.uring == nullptr);
    CHECK(empty.line == c.line);
}

TEST_CASE("tftpd built without liburing refuses RPI_TFTPD_ENGINE=io_uring at start") {
    boost::asio::io_context io;
    auto c = chooseEngine(io, "io_uring");
    CHECK(c.uring == nullptr);
    CHECK(c.error ==
          "RPI_TFTPD_ENGINE=io_uring, but io_uring is not available: rpi-tftpd was "
          "built without liburing");
}

TEST_CASE("tftpd engine choice without liburing: epoll on request, bad values refused") {
    boost::asio::io_context io;
    auto epoll = chooseEngine(io, "epoll");
    CHECK(epoll.uring == nullptr);
    CHECK(epoll.error.empty());
    CHECK(epoll.line == "transfer I/O: epoll (RPI_TFTPD_ENGINE=epoll)");
    auto bad = chooseEngine(io, "uring\n");
    CHECK(bad.uring == nullptr);
    CHECK(bad.error.find("RPI_TFTPD_ENGINE must be epoll or io_uring, not ") == 0);
    CHECK(bad.error.find('\n') == std::string::npos);
}
