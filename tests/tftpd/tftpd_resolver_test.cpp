// Path normalisation and confinement on a real temporary tree: per-serial, MAC and symlinked
// shared trees, the layout template, case folding, pinning, and every escape we know of.
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "path_resolver.h"
#include "sanitize.h"

using namespace rpinetboot::tftpd;
using rpinetboot::UniqueFd;

namespace {

struct TempTree {
    std::string base;
    TempTree() {
        char tmpl[] = "/tmp/rpinb-resolver-XXXXXX";
        base = ::mkdtemp(tmpl);
        for (const char* d : {"/root", "/root/bf9fed6f", "/root/shared", "/root/shared/overlays",
                              "/outside", "/trees", "/trees/pi4", "/srv", "/srv/1234abcd",
                              "/srv/1234abcd/boot", "/root/FAT", "/root/FAT/Overlays"}) {
            ::mkdir((base + d).c_str(), 0755);
        }
        write("/root/bootcode.bin", "rom");
        write("/root/bf9fed6f/start4.elf", "serial tree");
        write("/root/shared/config.txt", "shared");
        write("/root/shared/overlays/a.dtbo", "overlay");
        write("/outside/secret", "secret");
        write("/trees/pi4/cmdline.txt", "allowed elsewhere");
        write("/srv/1234abcd/boot/kernel8.img", "layout");
        write("/root/FAT/Overlays/Foo.DTBO", "fat");
        link("shared", "/root/dc-a6-32-01-36-c2");      // MAC tree -> shared (relative)
        link(base + "/root/shared", "/root/e45f0198");  // absolute, inside the root
        link(base + "/outside", "/root/escape");        // absolute, outside
        link("../outside/secret", "/root/shared/up");   // relative, outside
        link(base + "/trees/pi4", "/root/aaaabbbb");    // into an allowed root
        link("loop2", "/root/loop1");
        link("loop1", "/root/loop2");
        link("/proc/self/root/etc/passwd", "/root/magic");
        ::mkfifo((base + "/root/fifo").c_str(), 0644);
    }
    ~TempTree() { (void)!std::system(("rm -rf '" + base + "'").c_str()); }
    void write(const std::string& rel, const std::string& text) {
        std::ofstream(base + rel) << text;
    }
    void link(const std::string& target, const std::string& rel) {
        REQUIRE(::symlink(target.c_str(), (base + rel).c_str()) == 0);
    }
    PathResolver resolver(ResolverConfig c) {
        if (c.root.empty()) c.root = base + "/root";
        std::string error;
        auto r = PathResolver::create(c, &error);
        INFO(error);
        REQUIRE(r);
        return std::move(*r);
    }
};

std::string content(const ResolveResult& r) {
    REQUIRE(r.file);
    char buf[64] = {};
    auto n = ::pread(r.file->fd.get(), buf, sizeof buf - 1, 0);
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace

TEST_CASE("request names are normalised or refused lexically", "[resolver]") {
    const char* reason = nullptr;
    auto p = splitRequestName("//bf9fed6f///./start4.elf", &reason);
    REQUIRE(p);
    CHECK(*p == std::vector<std::string>{"bf9fed6f", "start4.elf"});
    CHECK(*splitRequestName("\\pxelinux.0", &reason) == std::vector<std::string>{"pxelinux.0"});
    for (const std::string& bad :
         std::vector<std::string>{"../etc/passwd", "a/../../b", "..", "a/..", "..\\..\\etc",
                                  std::string("a\x01"
                                              "b"),
                                  std::string("a\nb"), std::string("a\x7f"), std::string(2000, 'a'),
                                  std::string(300, 'b') + "/x"}) {
        CHECK_FALSE(splitRequestName(bad, &reason));
    }
    CHECK(splitRequestName("...", &reason));  // a legal name, not a parent reference
}

TEST_CASE("prefixes compare in canonical form", "[resolver]") {
    CHECK(canonicalPrefix("10000000BF9FED6F") == "bf9fed6f");
    CHECK(canonicalPrefix("DC:A6:32:01:36:C2") == "dc-a6-32-01-36-c2");
    CHECK(canonicalPrefix("lab-rack-3") == "lab-rack-3");
}

TEST_CASE("per-serial, MAC and symlinked trees resolve inside the root", "[resolver]") {
    TempTree t;
    auto r = t.resolver({});
    CHECK(content(r.resolve("bf9fed6f/start4.elf", "192.0.2.1")) == "serial tree");
    CHECK(content(r.resolve("/bootcode.bin", "192.0.2.1")) == "rom");
    CHECK(content(r.resolve("dc-a6-32-01-36-c2/config.txt", "192.0.2.1")) == "shared");
    CHECK(content(r.resolve("e45f0198/overlays/a.dtbo", "192.0.2.1")) == "overlay");
    // A missing serial directory is file-not-found, so the Pi falls back to the root.
    auto missing = r.resolve("deadbeef/start4.elf", "192.0.2.1");
    CHECK_FALSE(missing.file);
    CHECK(missing.error == ResolveError::NotFound);
}

TEST_CASE("path-only results decide alike and open the same file later", "[resolver]") {
    TempTree t;
    ResolverConfig c;
    c.allowRoots = {t.base + "/trees"};
    auto r = t.resolver(c);
    // Plain names (one openat2 beneath the root), names through symlinks (the walk), missing
    // files in both, escapes, loops and special files: PathOnly must answer as Readable does,
    // with the openat2 fast path and with the component walk.
    const std::vector<std::string> names = {"bf9fed6f/start4.elf",
                                            "bootcode.bin",
                                            "dc-a6-32-01-36-c2/config.txt",
                                            "e45f0198/overlays/a.dtbo",
                                            "aaaabbbb/cmdline.txt",
                                            "bf9fed6f/missing",
                                            "deadbeef/start4.elf",
                                            "e45f0198/missing",
                                            "escape/secret",
                                            "shared/up",
                                            "loop1/x",
                                            "magic",
                                            "fifo",
                                            "shared",
                                            "bootcode.bin/x"};
    for (bool openat2 : {true, false}) {
        PathResolver::useOpenat2(openat2);
        for (const auto& name : names) {
            INFO(name << (openat2 ? " (openat2)" : " (walk)"));
            auto readable = r.resolve(name, "192.0.2.1");
            auto pathOnly = r.resolve(name, "192.0.2.1", PathResolver::Open::PathOnly);
            REQUIRE(static_cast<bool>(readable.file) == static_cast<bool>(pathOnly.file));
            if (!readable.file) {
                CHECK(readable.error == pathOnly.error);
                continue;
            }
            CHECK(readable.file->readable());
            CHECK_FALSE(pathOnly.file->readable());
            CHECK(pathOnly.file->st.st_ino == readable.file->st.st_ino);
            char c1 = 0;
            CHECK(::pread(pathOnly.file->fd.get(), &c1, 1, 0) < 0);  // O_PATH: not readable
            ResolveError error{};
            const char* reason = "";
            REQUIRE(r.openForReading(*pathOnly.file, error, reason));
            CHECK(pathOnly.file->readable());
            CHECK(content(pathOnly) == content(readable));
            CHECK(r.openForReading(*pathOnly.file, error, reason));  // once is enough
        }
    }
    PathResolver::useOpenat2(true);
    // Missing files keep their answer: not found, never an access violation.
    auto missing = r.resolve("bf9fed6f/missing", "192.0.2.1", PathResolver::Open::PathOnly);
    CHECK(missing.error == ResolveError::NotFound);
    CHECK(r.resolve("escape/secret", "192.0.2.1", PathResolver::Open::PathOnly).error ==
          ResolveError::AccessViolation);
    // Without /proc the later open is by name, and must still be the inode checked.
    PathResolver::useProcReopen(false);
    auto byName = r.resolve("bf9fed6f/start4.elf", "192.0.2.1", PathResolver::Open::PathOnly);
    REQUIRE(byName.file);
    t.write("/root/bf9fed6f/start4.elf.new", "replaced");
    REQUIRE(::rename((t.base + "/root/bf9fed6f/start4.elf.new").c_str(),
                     (t.base + "/root/bf9fed6f/start4.elf").c_str()) == 0);
    ResolveError error{};
    const char* reason = "";
    CHECK_FALSE(r.openForReading(*byName.file, error, reason));
    CHECK(error == ResolveError::NotFound);
    auto again = r.resolve("bf9fed6f/start4.elf", "192.0.2.1", PathResolver::Open::PathOnly);
    REQUIRE(again.file);
    CHECK(r.openForReading(*again.file, error, reason));
    CHECK(content(again) == "replaced");
    PathResolver::useProcReopen(true);
}

TEST_CASE("nothing outside the allowed roots can be opened", "[resolver]") {
    TempTree t;
    for (bool openat2 : {true, false}) {
        PathResolver::useOpenat2(openat2);
        auto r = t.resolver({});
        for (const char* name :
             {"escape/secret", "shared/up", "aaaabbbb/cmdline.txt", "loop1", "magic", "fifo",
              "shared", "../outside/secret", "", "/", "bf9fed6f"}) {
            INFO(name);
            CHECK_FALSE(r.resolve(name, "192.0.2.1").file);
        }
        CHECK(content(r.resolve("e45f0198/overlays/a.dtbo", "192.0.2.1")) == "overlay");
    }
    PathResolver::useOpenat2(true);
    // With an --allow-root, symlinks may point there, and only there.
    ResolverConfig c;
    c.allowRoots = {t.base + "/trees"};
    auto r = t.resolver(c);
    CHECK(content(r.resolve("aaaabbbb/cmdline.txt", "192.0.2.1")) == "allowed elsewhere");
    CHECK_FALSE(r.resolve("escape/secret", "192.0.2.1").file);
    CHECK_FALSE(r.resolve("shared/up", "192.0.2.1").file);
}

TEST_CASE("case-insensitive lookup for trees copied from FAT", "[resolver]") {
    TempTree t;
    CHECK_FALSE(t.resolver({}).resolve("fat/overlays/foo.dtbo", "192.0.2.1").file);
    ResolverConfig c;
    c.caseInsensitive = true;
    auto r = t.resolver(c);
    CHECK(content(r.resolve("fat/overlays/foo.dtbo", "192.0.2.1")) == "fat");
    CHECK_FALSE(r.resolve("FAT/../../outside/secret", "192.0.2.1").file);
    CHECK_FALSE(r.resolve("ESCAPE/secret", "192.0.2.1").file);
}

TEST_CASE("layout template maps <prefix>/<path> and falls back to the root", "[resolver]") {
    TempTree t;
    ResolverConfig c;
    c.layout = t.base + "/srv/{serial}/boot/{path}";
    auto r = t.resolver(c);
    CHECK(content(r.resolve("1234abcd/kernel8.img", "192.0.2.1")) == "layout");
    CHECK(content(r.resolve("bf9fed6f/start4.elf", "192.0.2.1")) == "serial tree");  // fallback
    CHECK(content(r.resolve("shared/overlays/a.dtbo", "192.0.2.1")) == "overlay");
    CHECK_FALSE(r.resolve("1234abcd/../boot/kernel8.img", "192.0.2.1").file);
    std::string why;
    CHECK_FALSE(validLayout("srv/{serial}/{path}", &why));
    CHECK_FALSE(validLayout("/srv/{serial}/x", &why));
    CHECK_FALSE(validLayout("/srv/boot/{path}", &why));
    CHECK_FALSE(validLayout("/srv/../{serial}/{path}", &why));
    CHECK(validLayout("/srv/rpi/{prefix}/boot/{path}", &why));
}

TEST_CASE("per-serial pinning serves a tree only to its clients", "[resolver]") {
    TempTree t;
    ResolverConfig c;
    c.pins["bf9fed6f"] = {"192.0.2.10"};
    auto r = t.resolver(c);
    CHECK(r.resolve("bf9fed6f/start4.elf", "192.0.2.10").file);
    auto denied = r.resolve("bf9fed6f/start4.elf", "192.0.2.11");
    CHECK_FALSE(denied.file);
    CHECK(denied.error == ResolveError::AccessViolation);
    CHECK(r.resolve("bootcode.bin", "192.0.2.11").file);  // the root stays open to all
}

TEST_CASE("a pin protects the tree its prefix resolves to, under any name", "[resolver][pin]") {
    TempTree t;
    ::mkdir((t.base + "/root/Lab-Rack").c_str(), 0755);
    t.write("/root/Lab-Rack/cmdline.txt", "rack");
    t.link("bf9fed6f", "/root/dc-a6-32-01-36-c3");  // a MAC-named symlink to the pinned tree
    t.link("Lab-Rack", "/root/innocent");
    for (bool folding : {false, true}) {
        ResolverConfig c;
        c.caseInsensitive = folding;
        c.pins["bf9fed6f"] = {"192.0.2.10"};
        c.pins["lab-rack"] = {"192.0.2.30"};  // pinned in another case than the directory
        c.pinRefresh = std::chrono::milliseconds(0);
        auto r = t.resolver(c);
        INFO("case-insensitive " << folding);
        // 1. Through a MAC-named symlink: the file is in the pinned tree, so it stays pinned.
        auto viaMac = r.resolve("dc-a6-32-01-36-c3/start4.elf", "192.0.2.11");
        CHECK_FALSE(viaMac.file);
        CHECK(viaMac.error == ResolveError::AccessViolation);
        CHECK(content(r.resolve("dc-a6-32-01-36-c3/start4.elf", "192.0.2.10")) == "serial tree");
        // 2. A custom prefix in another case (folded to the pinned directory), or by a symlink.
        for (const char* name : {"LAB-RACK/cmdline.txt", "Lab-Rack/cmdline.txt",
                                 "lab-rack/cmdline.txt", "innocent/cmdline.txt"}) {
            INFO(name);
            auto other = r.resolve(name, "192.0.2.11");
            CHECK_FALSE(other.file);
            CHECK(other.error == ResolveError::AccessViolation);
        }
        CHECK(content(r.resolve("innocent/cmdline.txt", "192.0.2.30")) == "rack");
        CHECK(r.resolve("bootcode.bin", "192.0.2.11").file);
    }
    // A tree created (or re-linked) after start is protected at the next refresh.
    ResolverConfig c;
    c.pins["0c0ffee1"] = {"192.0.2.40"};
    c.pinRefresh = std::chrono::milliseconds(0);
    auto r = t.resolver(c);
    ::mkdir((t.base + "/root/late").c_str(), 0755);
    t.write("/root/late/kernel.img", "late");
    t.link("late", "/root/0c0ffee1");
    t.link("late", "/root/alias");
    CHECK_FALSE(r.resolve("alias/kernel.img", "192.0.2.11").file);
    CHECK(content(r.resolve("alias/kernel.img", "192.0.2.40")) == "late");
}

TEST_CASE("layout requests stay in their own Pi's directory", "[resolver][layout][pin]") {
    TempTree t;
    // Two Pis' directories: each an NFS root with its boot partition; the Pi can write both.
    for (const char* d :
         {"/srv/5678abcd", "/srv/5678abcd/boot", "/srv/5678abcd/etc", "/srv/1234abcd/etc"}) {
        ::mkdir((t.base + d).c_str(), 0755);
    }
    t.write("/srv/5678abcd/boot/kernel8.img", "other pi");
    t.write("/srv/5678abcd/etc/shadow", "other pi's secret");
    t.write("/srv/1234abcd/etc/hostname", "own root");
    // Planted by Pi 1234abcd in its own boot directory.
    t.link("../../5678abcd/boot", "/srv/1234abcd/boot/rel");
    t.link(t.base + "/srv/5678abcd", "/srv/1234abcd/boot/abs");
    t.link("../etc/hostname", "/srv/1234abcd/boot/own");
    t.link("../../../root/bootcode.bin", "/srv/1234abcd/boot/toroot");
    for (bool pinned : {false, true}) {
        INFO("pinned " << pinned);
        ResolverConfig c;
        c.layout = t.base + "/srv/{serial}/boot/{path}";
        if (pinned) c.pins["5678abcd"] = {"192.0.2.20"};
        auto r = t.resolver(c);
        for (const char* name : {"1234abcd/rel/kernel8.img", "1234abcd/abs/etc/shadow",
                                 "1234abcd/abs/boot/kernel8.img", "1234abcd/toroot"}) {
            INFO(name);
            auto res = r.resolve(name, "192.0.2.12");
            CHECK_FALSE(res.file);
            CHECK(res.error == ResolveError::AccessViolation);
        }
        CHECK(content(r.resolve("1234abcd/own", "192.0.2.12")) == "own root");
        CHECK(content(r.resolve("1234abcd/kernel8.img", "192.0.2.12")) == "layout");
        CHECK(r.resolve("5678abcd/kernel8.img", "192.0.2.12").file.has_value() == !pinned);
        CHECK(content(r.resolve("5678abcd/kernel8.img", "192.0.2.20")) == "other pi");
    }
    // A Pi's directory that is (or contains) the layout's directory is refused.
    t.link(".", "/srv/0badf00d");
    ResolverConfig c;
    c.layout = t.base + "/srv/{serial}/{path}";
    auto r = t.resolver(c);
    auto self = r.resolve("0badf00d/1234abcd/etc/hostname", "192.0.2.12");
    CHECK_FALSE(self.file);
    CHECK(self.error == ResolveError::AccessViolation);
}

TEST_CASE("roots and layouts that expose the host are refused", "[resolver][roots]") {
    for (const char* bad : {"/", "/etc", "/etc/ssh", "/usr", "/usr/lib", "/var", "/var/lib",
                            "/home", "/home/alice", "/root", "/root/tftp", "/proc/1", "/sys",
                            "/dev/shm", "/run/x", "/boot", "/srv", "/tmp", "/opt"}) {
        INFO(bad);
        CHECK(hostExposure(bad));
    }
    for (const char* good :
         {"/srv/tftp", "/srv/rpi", "/var/lib/tftpboot", "/tftpboot", "/usr/lib/raspi-firmware",
          "/boot/firmware", "/home/alice/pi", "/tmp/rpinb-x"}) {
        INFO(good);
        CHECK_FALSE(hostExposure(good));
    }
    TempTree t;
    t.link("/", "/rootlink");
    t.link("/etc", "/etclink");
    auto refused = [&](ResolverConfig c, const std::string& needle) {
        if (c.root.empty()) c.root = t.base + "/root";
        std::string error;
        CHECK_FALSE(PathResolver::create(c, &error));
        INFO(error);
        CHECK(error.find(needle) != std::string::npos);
        CHECK(error.find("expose") != std::string::npos);
    };
    ResolverConfig c;
    c.allowRoots = {"/"};
    refused(c, "--allow-root /");
    c.allowRoots = {t.base + "/etclink"};
    refused(c, "--allow-root " + t.base + "/etclink");
    c = {};
    c.root = t.base + "/rootlink";  // a symlink to / is / all the same
    refused(c, "--root " + t.base + "/rootlink");
    c = {};
    c.layout = "/{serial}/{path}";
    refused(c, "--layout /{serial}/{path}");
    c.layout = "/etc/{serial}/{path}";
    refused(c, "--layout /etc/{serial}/{path}");
    // The layout's directory and another root must not contain one another.
    c = {};
    c.root = t.base + "/root";
    c.layout = t.base + "/srv/{serial}/boot/{path}";
    c.allowRoots = {t.base};
    std::string error;
    CHECK_FALSE(PathResolver::create(c, &error));
    INFO(error);
    CHECK(error.find("--allow-root " + t.base) != std::string::npos);
    c.allowRoots = {};
    c.root = t.base + "/srv/1234abcd";
    CHECK_FALSE(PathResolver::create(c, &error));
    CHECK(error.find("--root " + t.base + "/srv/1234abcd") != std::string::npos);
}

namespace {

// Counts IN_OPEN events on `path` while `fn` runs.
template <typename Fn>
int opensDuring(const std::string& path, Fn fn) {
    UniqueFd in(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    REQUIRE(in);
    REQUIRE(::inotify_add_watch(in.get(), path.c_str(), IN_OPEN) >= 0);
    fn();
    int events = 0;
    alignas(struct inotify_event) char buf[4096];
    for (;;) {
        auto n = ::read(in.get(), buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t off = 0; off < n;) {
            auto* e = reinterpret_cast<struct inotify_event*>(buf + off);
            if (e->mask & IN_OPEN) ++events;
            off += static_cast<ssize_t>(sizeof *e + e->len);
        }
    }
    return events;
}

}  // namespace

TEST_CASE("device nodes and FIFOs are refused without being opened", "[resolver][special]") {
    TempTree t;
    const std::string fifo = t.base + "/root/bf9fed6f/fifo";
    const std::string dev = t.base + "/root/bf9fed6f/null";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    const bool haveDev =
        ::mknod(dev.c_str(), S_IFCHR | 0644, ::makedev(1, 3)) == 0;  // as /dev/null
    // The watch sees a real open, so the check below can fail...
    CHECK(opensDuring(fifo, [&] { UniqueFd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK)); }) ==
          1);
    // ...and O_PATH opens report none on current kernels (older ones did: then only the refusal
    // can be checked, and the test says so).
    const bool pathSilent =
        opensDuring(fifo, [&] { UniqueFd fd(::open(fifo.c_str(), O_PATH)); }) == 0;
    if (!pathSilent) WARN("this kernel reports O_PATH opens: only the refusal is checked");
    for (bool openat2 : {true, false}) {
        for (bool proc : {true, false}) {
            PathResolver::useOpenat2(openat2);
            PathResolver::useProcReopen(proc);
            auto r = t.resolver({});
            INFO("openat2 " << openat2 << ", /proc reopen " << proc);
            for (const std::string& name :
                 {std::string("bf9fed6f/fifo"), std::string("bf9fed6f/null")}) {
                if (name.find("null") != std::string::npos && !haveDev) continue;
                INFO(name);
                ResolveResult res;
                int opens = opensDuring(t.base + "/root/" + name,
                                        [&] { res = r.resolve(name, "192.0.2.1"); });
                CHECK_FALSE(res.file);
                CHECK(res.error == ResolveError::NotFound);
                if (pathSilent) CHECK(opens == 0);
            }
            // A regular file is still opened, readable.
            CHECK(content(r.resolve("bf9fed6f/start4.elf", "192.0.2.1")) == "serial tree");
        }
    }
    PathResolver::useOpenat2(true);
    PathResolver::useProcReopen(true);
    if (!haveDev) WARN("mknod refused (not root?): the device node was not checked");
}

TEST_CASE("client strings are sanitised for logs", "[sanitize]") {
    CHECK(sanitize("bf9fed6f/start4.elf") == "bf9fed6f/start4.elf");
    CHECK(sanitize(std::string("a\nb\"\\\x01", 6)) == "a\\x0ab\\x22\\x5c\\x01");
    CHECK(sanitize(std::string(500, 'x')).size() == 163);
}
