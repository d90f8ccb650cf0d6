// The daemons' log on stderr (daemon/src/logging.cpp): each line whole in one write(2), or,
// batched, the lines of one loop turn in one write, never lost at exit or on a crash signal.
// Each case runs a child: this binary again, running one of the hidden "daemon log child" cases
// below (a fresh process, as a daemon is: log4cplus keeps threads that a fork would not have),
// with stderr on a pipe the test reads and stdin on a pipe that paces the child.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rpinetboot/daemon/logging.h"

using namespace rpinetboot::daemon;

namespace {

struct Child {
    std::vector<std::string> reads;  // what each read(2) of the pipe got, in order
    int status = 0;
    std::string all() const {
        std::string s;
        for (const auto& r : reads) s += r;
        return s;
    }
};

// Runs the hidden case `name` in a child. After each read of its stderr the parent writes a
// byte to the child's stdin, so the child can wait until what it wrote has been read.
Child runChild(const std::string& name) {
    int out[2];
    int gate[2];
    REQUIRE(::pipe(out) == 0);
    REQUIRE(::pipe(gate) == 0);
    std::fflush(stdout);
    // The child may be gone when the parent writes to the gate: EPIPE, not a SIGPIPE that ends
    // the test run (seen in the trixie chroot).
    const auto oldPipe = std::signal(SIGPIPE, SIG_IGN);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::signal(SIGPIPE, oldPipe);
        ::dup2(out[1], STDERR_FILENO);
        ::dup2(gate[0], STDIN_FILENO);
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);  // Catch's own report
        ::execl("/proc/self/exe", "daemon_glue_test", name.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(gate[0]);
    Child c;
    std::vector<char> buf(1 << 20);
    for (int i = 0; i < 1000; ++i) {  // bounded: each read waits at most 20 s
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, 20000) <= 0) break;
        const ssize_t n = ::read(out[0], buf.data(), buf.size());
        if (n <= 0) break;
        c.reads.emplace_back(buf.data(), static_cast<std::size_t>(n));
        (void)!::write(gate[1], "g", 1);  // let the child go on
    }
    ::close(out[0]);
    ::close(gate[1]);
    std::signal(SIGPIPE, oldPipe);
    REQUIRE(::waitpid(pid, &c.status, 0) == pid);
    return c;
}

// In the child: waits until the parent has read once more (or the parent is gone).
void waitParent() {
    char b;
    (void)!::read(STDIN_FILENO, &b, 1);
}

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

// A daemon starts with the default actions; Catch installed its own handlers in this process.
void defaultCrashActions() {
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) std::signal(sig, SIG_DFL);
}

}  // namespace

// The children (hidden: they run only when named).
TEST_CASE("daemon log child: unbatched", "[.]") {
    initLogging("log-test");
    LOG4CPLUS_INFO(logger(), "first line");
    waitParent();
    LOG4CPLUS_INFO(logger(), "second line");
    waitParent();
}

TEST_CASE("daemon log child: batched turns", "[.]") {
    initLogging("log-test");
    setLogBatching(true);
    for (int i = 0; i < 100; ++i) LOG4CPLUS_INFO(logger(), "refused probe " << i);
    flushLog();
    waitParent();
    LOG4CPLUS_INFO(logger(), "after the turn");
    flushLog();
    waitParent();
    std::_Exit(0);
}

TEST_CASE("daemon log child: warning", "[.]") {
    initLogging("log-test");
    setLogBatching(true);
    LOG4CPLUS_INFO(logger(), "waiting line");
    LOG4CPLUS_WARN(logger(), "a warning");
    waitParent();
    std::_Exit(0);  // no exit handlers: only the warning's write got the lines out
}

TEST_CASE("daemon log child: exit", "[.]") {
    initLogging("log-test");
    setLogBatching(true);
    LOG4CPLUS_INFO(logger(), "said before exit");
    std::exit(3);
}

TEST_CASE("daemon log child: abort", "[.]") {
    defaultCrashActions();
    initLogging("log-test");
    setLogBatching(true);
    LOG4CPLUS_INFO(logger(), "said before abort");
    std::abort();
}

TEST_CASE("daemon log child: fault", "[.]") {
    defaultCrashActions();
    initLogging("log-test");
    setLogBatching(true);
    LOG4CPLUS_INFO(logger(), "said before the fault");
    std::raise(SIGSEGV);
}

TEST_CASE("daemon log child: long line", "[.]") {
    initLogging("log-test");
    setLogBatching(true);
    LOG4CPLUS_INFO(logger(), "short one");
    LOG4CPLUS_INFO(logger(), std::string(100000, 'x'));
    flushLog();
    std::_Exit(0);
}

TEST_CASE("daemon log: unbatched every line leaves whole in a write of its own", "[daemon]") {
    auto c = runChild("daemon log child: unbatched");
    REQUIRE(c.reads.size() == 2);
    CHECK(c.reads[0].find(" INFO  first line\n") != std::string::npos);
    CHECK(c.reads[0].back() == '\n');
    CHECK(c.reads[1].find(" INFO  second line\n") != std::string::npos);
    CHECK(WIFEXITED(c.status));
}

TEST_CASE("daemon log: batched a turn's lines leave in one write at flushLog", "[daemon]") {
    auto c = runChild("daemon log child: batched turns");
    REQUIRE(c.reads.size() == 2);
    CHECK(count(c.reads[0], "refused probe ") == 100);
    CHECK(c.reads[0].find("refused probe 0\n") < c.reads[0].find("refused probe 99\n"));
    CHECK(c.reads[1].find("after the turn\n") != std::string::npos);
}

TEST_CASE("daemon log: batched a warning takes the lines before it along", "[daemon]") {
    auto c = runChild("daemon log child: warning");
    REQUIRE(c.reads.size() == 1);
    const auto& r = c.reads[0];
    REQUIRE(r.find("WARN  a warning\n") != std::string::npos);
    CHECK(r.find("INFO  waiting line\n") < r.find("WARN  a warning\n"));
}

TEST_CASE("daemon log: batched lines are not lost at exit or on a crash signal", "[daemon]") {
    SECTION("exit") {
        auto c = runChild("daemon log child: exit");
        CHECK(c.all().find("said before exit\n") != std::string::npos);
        REQUIRE(WIFEXITED(c.status));
        CHECK(WEXITSTATUS(c.status) == 3);
    }
    SECTION("abort") {
        auto c = runChild("daemon log child: abort");
        CHECK(c.all().find("said before abort\n") != std::string::npos);
        REQUIRE(WIFSIGNALED(c.status));
        CHECK(WTERMSIG(c.status) == SIGABRT);
    }
    SECTION("segmentation fault") {
        auto c = runChild("daemon log child: fault");
        CHECK(c.all().find("said before the fault\n") != std::string::npos);
        REQUIRE(WIFSIGNALED(c.status));
        CHECK(WTERMSIG(c.status) == SIGSEGV);
    }
    SECTION("a line longer than the buffer leaves whole after what waited") {
        auto c = runChild("daemon log child: long line");
        const auto all = c.all();
        const auto longAt = all.find(std::string(100000, 'x') + "\n");
        REQUIRE(longAt != std::string::npos);
        CHECK(all.find("short one\n") < longAt);
    }
}
