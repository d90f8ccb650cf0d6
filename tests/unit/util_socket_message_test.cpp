// SocketMessage: recvmsg(2) with the address and ancillary data wired once. A datagram socket
// pair (AF_UNIX): no network, no privileges.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "rpinetboot/util/socket_message.h"
#include "rpinetboot/util/unique_fd.h"

using namespace rpinetboot;

namespace {
struct Pair {
    UniqueFd a, b;
    Pair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) == 0);
        a.reset(fds[0]);
        b.reset(fds[1]);
    }
};
}  // namespace

TEST_CASE("SocketMessage receives a datagram, its sender and its ancillary data",
          "[util][socket]") {
    Pair p;
    const int on = 1;
    REQUIRE(::setsockopt(p.b.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);
    REQUIRE(::send(p.a.get(), "hello", 5, 0) == 5);

    std::uint8_t buf[64] = {};
    SocketMessage<CMSG_SPACE(sizeof(ucred))> msg(buf, sizeof buf);
    REQUIRE(msg.receive(p.b.get(), 0) == 5);
    CHECK(std::memcmp(buf, "hello", 5) == 0);
    CHECK((msg.header().msg_flags & MSG_TRUNC) == 0);
    int items = 0;
    pid_t sender = 0;
    msg.forEachControl([&](const cmsghdr& c) {
        ++items;
        if (c.cmsg_level == SOL_SOCKET && c.cmsg_type == SCM_CREDENTIALS) {
            ucred cred{};
            std::memcpy(&cred, CMSG_DATA(&c), sizeof cred);
            sender = cred.pid;
        }
    });
    CHECK(items == 1);
    CHECK(sender == ::getpid());
}

TEST_CASE("SocketMessage reports a datagram longer than the buffer", "[util][socket]") {
    Pair p;
    REQUIRE(::send(p.a.get(), "0123456789", 10, 0) == 10);
    std::uint8_t buf[4] = {};
    SocketMessage<64> msg(buf, sizeof buf);
    // MSG_TRUNC: the datagram's real length, and the flag on the message.
    CHECK(msg.receive(p.b.get(), MSG_TRUNC) == 10);
    CHECK((msg.header().msg_flags & MSG_TRUNC) != 0);
    CHECK(std::memcmp(buf, "0123", 4) == 0);
    int items = 0;
    msg.forEachControl([&](const cmsghdr&) { ++items; });
    CHECK(items == 0);
    // Nothing queued: -1 and EAGAIN, the buffer untouched.
    SocketMessage<64> none(buf, sizeof buf);
    CHECK(none.receive(p.b.get(), MSG_DONTWAIT) == -1);
    CHECK(errno == EAGAIN);
}
