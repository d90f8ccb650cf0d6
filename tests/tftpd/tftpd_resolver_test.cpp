// Path normalisation and confinement on a real temporary tree: per-serial, MAC and symlinked
// shared trees, the layout template, case folding, pinning, and every escape we know of.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "path_resolver.h"
#include "sanitize.h"

using namespace rpinetboot::tftpd;

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

TEST_CASE("client strings are sanitised for logs", "[sanitize]") {
    CHECK(sanitize("bf9fed6f/start4.elf") == "bf9fed6f/start4.elf");
    CHECK(sanitize(std::string("a\nb\"\\\x01", 6)) == "a\\x0ab\\x22\\x5c\\x01");
    CHECK(sanitize(std::string(500, 'x')).size() == 163);
}
