// SocketPool: sockets made ahead, per family, blocking or not as the engine needs, with the
// options every transfer socket needs (socket_pool.h). Real sockets, never bound: no network.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "socket_pool.h"

using rpinetboot::tftpd::SocketPool;

namespace {

int family(int fd) {
    int v = 0;
    socklen_t len = sizeof v;
    REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0);
    return v;
}

int intOption(int fd, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    REQUIRE(::getsockopt(fd, level, name, &v, &len) == 0);
    return v;
}

bool nonBlocking(int fd) {
    return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

bool unbound(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0);
    if (ss.ss_family == AF_INET) return reinterpret_cast<sockaddr_in*>(&ss)->sin_port == 0;
    return reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port == 0;
}

}  // namespace

TEST_CASE("socket pool: made sockets carry the transfer socket's options", "[socket_pool]") {
    auto v4 = SocketPool::make(true, true);
    REQUIRE(v4);
    CHECK(family(v4.get()) == AF_INET);
    CHECK(intOption(v4.get(), SOL_SOCKET, SO_TYPE) == SOCK_DGRAM);
    CHECK(intOption(v4.get(), IPPROTO_IP, IP_RECVERR) == 1);
    CHECK(nonBlocking(v4.get()));
    CHECK((::fcntl(v4.get(), F_GETFD) & FD_CLOEXEC) != 0);

    auto v6 = SocketPool::make(false, false);
    if (!v6) {
        WARN("no IPv6 in this kernel");
        return;
    }
    CHECK(family(v6.get()) == AF_INET6);
    CHECK(intOption(v6.get(), IPPROTO_IPV6, IPV6_V6ONLY) == 1);
    CHECK(intOption(v6.get(), IPPROTO_IPV6, IPV6_RECVERR) == 1);
    CHECK_FALSE(nonBlocking(v6.get()));
}

TEST_CASE("socket pool: fills only the families in use, a step at a time", "[socket_pool]") {
    SocketPool pool(5);
    CHECK(pool.refill(100));  // nothing in use: nothing to do
    CHECK(pool.pooled(true) == 0);
    CHECK(pool.pooled(false) == 0);

    pool.use(true);
    CHECK_FALSE(pool.refill(3));  // 3 of 5 made: more to do
    CHECK(pool.pooled(true) == 3);
    CHECK(pool.refill(3));
    CHECK(pool.pooled(true) == 5);
    CHECK(pool.refill(3));  // full stays full
    CHECK(pool.pooled(true) == 5);
    CHECK(pool.pooled(false) == 0);
}

TEST_CASE("socket pool: take hands out pooled sockets, then new ones", "[socket_pool]") {
    SocketPool pool(2);
    pool.setNonBlocking(false);
    pool.use(true);
    REQUIRE(pool.refill(10));
    REQUIRE(pool.pooled(true) == 2);
    auto a = pool.take(true);
    auto b = pool.take(true);
    CHECK(pool.pooled(true) == 0);
    auto c = pool.take(true);  // empty: made on the spot, the same way
    for (const auto* fd : {&a, &b, &c}) {
        REQUIRE(*fd);
        CHECK(family(fd->get()) == AF_INET);
        CHECK_FALSE(nonBlocking(fd->get()));
        CHECK(unbound(fd->get()));
    }
    CHECK(a.get() != b.get());
    CHECK(b.get() != c.get());
}

TEST_CASE("socket pool: taking a family marks it in use", "[socket_pool]") {
    SocketPool pool(3);
    auto first = pool.take(false);
    if (!first) {
        WARN("no IPv6 in this kernel");
        return;
    }
    CHECK(pool.refill(10));
    CHECK(pool.pooled(false) == 3);
    CHECK(pool.pooled(true) == 0);
}

TEST_CASE("socket pool: switching blocking mode drops the sockets made the other way",
          "[socket_pool]") {
    SocketPool pool(2);
    pool.use(true);
    REQUIRE(pool.refill(10));  // non-blocking by default
    pool.setNonBlocking(false);
    CHECK(pool.pooled(true) == 0);
    REQUIRE(pool.refill(10));
    auto fd = pool.take(true);
    REQUIRE(fd);
    CHECK_FALSE(nonBlocking(fd.get()));
}
