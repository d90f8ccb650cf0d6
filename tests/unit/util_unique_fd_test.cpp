// UniqueFd closes what it owns exactly once, and only that.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cerrno>
#include <utility>

#include "rpinetboot/util/unique_fd.h"

using rpinetboot::UniqueFd;

namespace {
bool isOpen(int fd) {
    return fcntl(fd, F_GETFD) != -1;
}
}  // namespace

TEST_CASE("UniqueFd closes on destruction and on reset", "[util][fd]") {
    int raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(raw >= 0);
    {
        UniqueFd fd(raw);
        CHECK(fd);
        CHECK(fd.get() == raw);
        CHECK(isOpen(raw));
    }
    CHECK_FALSE(isOpen(raw));

    raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
    UniqueFd fd(raw);
    errno = ENOENT;
    fd.reset();
    CHECK(errno == ENOENT);  // callers report errno after letting a descriptor go
    CHECK_FALSE(fd);
    CHECK_FALSE(isOpen(raw));
}

TEST_CASE("UniqueFd moves ownership and releases without closing", "[util][fd]") {
    int raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(raw >= 0);
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    CHECK_FALSE(a);
    CHECK(b.get() == raw);
    UniqueFd c;
    c = std::move(b);
    CHECK(c.get() == raw);
    CHECK(isOpen(raw));
    const int released = c.release();
    CHECK(released == raw);
    CHECK_FALSE(c);
    CHECK(isOpen(raw));
    ::close(raw);
    CHECK_FALSE(UniqueFd());
}
