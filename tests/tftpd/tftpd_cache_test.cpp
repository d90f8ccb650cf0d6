// File contents: one shared copy per file version, memory bounded by the cache limit even while
// transfers hold files, files past the limit streamed in chunks, and every read done on the
// reader thread (completions come back through the test's own queue, as through the loop).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "file_cache.h"
#include "file_reader.h"
#include "file_stream.h"

using namespace rpinetboot::tftpd;
using rpinetboot::UniqueFd;

namespace {

// Stands in for the io_context: the reader posts here, the test runs what arrived.
struct Loop {
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::function<void()>> q;
    FileReader::Post post() {
        return [this](std::function<void()> f) {
            {
                std::lock_guard<std::mutex> lock(m);
                q.push_back(std::move(f));
            }
            cv.notify_one();
        };
    }
    // Runs what was posted so far.
    void poll() {
        for (;;) {
            std::function<void()> f;
            {
                std::lock_guard<std::mutex> lock(m);
                if (q.empty()) return;
                f = std::move(q.front());
                q.pop_front();
            }
            f();
        }
    }
    // Runs posted work until `done` holds; false after 5 s.
    template <typename Pred>
    bool runUntil(Pred done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!done()) {
            std::function<void()> f;
            {
                std::unique_lock<std::mutex> lock(m);
                if (!cv.wait_until(lock, deadline, [this] { return !q.empty(); })) return false;
                f = std::move(q.front());
                q.pop_front();
            }
            f();
        }
        return true;
    }
};

struct Dir {
    std::string base;
    Dir() {
        char tmpl[] = "/tmp/rpinb-cache-XXXXXX";
        base = ::mkdtemp(tmpl);
    }
    ~Dir() { (void)!std::system(("rm -rf '" + base + "'").c_str()); }
    std::string write(const std::string& name, const std::string& text) {
        std::ofstream(base + "/" + name, std::ios::binary) << text;
        return base + "/" + name;
    }
};

FilePtr get(FileCache& cache, const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd);
    struct stat st {};
    REQUIRE(::fstat(fd.get(), &st) == 0);
    return cache.get(std::move(fd), st);
}

std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + seed) & 0xff);
    return s;
}

std::string bytes(const std::uint8_t* p, std::size_t n) {
    return std::string(reinterpret_cast<const char*>(p), n);
}

}  // namespace

TEST_CASE("file cache: one shared copy per file version, loaded off the caller's thread",
          "[cache]") {
    Loop loop;
    FileReader reader(loop.post());
    FileCache cache({1 << 20, 1 << 20}, reader);
    Dir d;
    const auto path = d.write("start4.elf", "serial tree");
    auto f1 = get(cache, path);
    auto f2 = get(cache, path);
    CHECK(f1 == f2);
    CHECK(cache.hits() == 1);
    CHECK(f1->inMemory());
    REQUIRE(loop.runUntil([&] { return f1->loaded() == f1->size(); }));
    CHECK(bytes(f1->bytes(0, 6), 6) == "serial");
    CHECK(f1->bytes(6, 10) == nullptr);  // past the end
    // Rewritten with another size: a new entry; the old one stays valid for its users.
    d.write("start4.elf", "serial tree, version 2");
    auto f3 = get(cache, path);
    CHECK(f3 != f1);
    CHECK(f1->size() == 11);
    CHECK(f3->size() == 22);
    CHECK(cache.bytesHeld() == 33);
}

TEST_CASE("file cache: find returns a cached version without a descriptor, else nothing",
          "[cache]") {
    Loop loop;
    FileReader reader(loop.post());
    FileCache cache({1 << 20, 1 << 20}, reader);
    Dir d;
    const auto path = d.write("kernel8.img", "kernel");
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(cache.find(st) == nullptr);  // never seen: the caller opens the file
    CHECK(cache.hits() == 0);
    auto f1 = get(cache, path);
    CHECK(cache.find(st) == f1);
    CHECK(cache.hits() == 1);
    REQUIRE(loop.runUntil([&] { return f1->loaded() == f1->size(); }));
    // Another version of the file (size and mtime differ): not the cached one.
    d.write("kernel8.img", "kernel, rebuilt");
    struct stat changed {};
    REQUIRE(::stat(path.c_str(), &changed) == 0);
    CHECK(cache.find(changed) == nullptr);
    // Past the per-file limit a file is streamed, never cached: find keeps missing it.
    FileCache small({1 << 20, 4}, reader);
    auto streamed = get(small, path);
    CHECK_FALSE(streamed->inMemory());
    CHECK(small.find(changed) == nullptr);
}

TEST_CASE("file cache: memory in use by transfers counts, past the limit files stream", "[cache]") {
    Loop loop;
    FileReader reader(loop.post());
    FileCache cache({100, 80}, reader);
    Dir d;
    const auto a = d.write("a", pattern(60, 1));
    const auto b = d.write("b", pattern(60, 2));
    const auto big = d.write("big", pattern(90, 3));
    auto fa = get(cache, a);
    CHECK(fa->inMemory());
    CHECK(get(cache, big)->inMemory() == false);  // over the per-file limit
    CHECK_FALSE(cache.takeFullNotice());          // that is not the cache being full
    {
        auto fb = get(cache, b);  // a is in use: b does not fit beside it
        CHECK_FALSE(fb->inMemory());
        CHECK(cache.bytesHeld() == 60);
        CHECK(cache.takeFullNotice());
        CHECK_FALSE(cache.takeFullNotice());  // once per episode
        CHECK(get(cache, a) == fa);           // in use: found again, never a second copy
    }
    REQUIRE(loop.runUntil([&] { return fa->loaded() == 60; }));
    fa.reset();  // its transfers ended: a may now give way
    // ... once the reader and its completions let go of it too.
    for (int i = 0; i < 5000 && reader.backlog() > 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(reader.backlog() == 0);
    loop.poll();
    auto fb = get(cache, b);
    CHECK(fb->inMemory());
    CHECK(cache.bytesHeld() == 60);
    CHECK(cache.entries() == 1);
}

TEST_CASE("file stream: a streamed file comes in chunks read ahead", "[cache]") {
    Loop loop;
    FileReader reader(loop.post());
    FileCache cache({0, 0}, reader);  // nothing cached: everything streams
    Dir d;
    const std::size_t size = 3 * FileStream::kChunk + 1000;
    const auto content = pattern(size, 7);
    auto file = get(cache, d.write("kernel8.img", content));
    REQUIRE_FALSE(file->inMemory());
    FileStream stream(file, reader, 1468);
    std::string got;
    int waits = 0;
    for (std::uint64_t off = 0; off < size; off += 1468) {
        const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(1468, size - off));
        const std::uint8_t* p = nullptr;
        bool woken = false;
        while (!(p = stream.get(off, len, [&] { woken = true; }))) {
            ++waits;
            REQUIRE_FALSE(stream.failed());
            REQUIRE(loop.runUntil([&] { return woken; }));
            woken = false;
        }
        got += bytes(p, len);
        // The client's round trip: the loop runs what the reader finished meanwhile.
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        loop.poll();
    }
    CHECK(got == content);
    // Read ahead: the transfer waits at the start, not at each of the 4 chunk boundaries (one
    // more wait is tolerated: a busy machine may not run the reader within a chunk's time).
    CHECK(waits >= 1);
    CHECK(waits <= 2);
    CHECK(cache.bytesHeld() == 0);
}

TEST_CASE("file stream: a file that shrinks under a transfer fails it", "[cache]") {
    Loop loop;
    FileReader reader(loop.post());
    FileCache cache({0, 0}, reader);
    Dir d;
    const auto path = d.write("shrinks", pattern(200000, 1));
    auto file = get(cache, path);
    REQUIRE(::truncate(path.c_str(), 1000) == 0);
    FileStream stream(file, reader, 512);
    bool woken = false;
    CHECK(stream.get(0, 512, [&] { woken = true; }) == nullptr);
    REQUIRE(loop.runUntil([&] { return woken; }));
    CHECK(stream.failed());
    CHECK(stream.get(0, 512, [] {}) == nullptr);
}

TEST_CASE("file cache: a file that shrinks while loading is never served", "[cache]") {
    Loop loop;
    FileReader reader(loop.post());
    FileCache cache({8 << 20, 8 << 20}, reader);
    Dir d;
    const auto path = d.write("shrinks", pattern(3 << 20, 1));
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    REQUIRE(::fstat(fd.get(), &st) == 0);
    REQUIRE(::truncate(path.c_str(), 1000) == 0);
    auto file = cache.get(std::move(fd), st);
    REQUIRE(loop.runUntil([&] { return file->failed(); }));
    CHECK(file->bytes(0, 512) == nullptr);
    CHECK(file->bytes(2 << 20, 512) == nullptr);
    auto again = get(cache, path);  // a failed entry is not handed out again
    CHECK(again != file);
}
