// Conflicts with foreign exports, judged as nfs-utils acts (docs/nfs.md: duplicate client:path
// keeps the first and fails; fsid=0 changes NFSv4 paths).
#include <catch2/catch.hpp>

#include "rpinetboot/nfs/conflicts.h"

using namespace rpinetboot;
using namespace rpinetboot::nfs;

namespace {
PiExport cand(const char* path = "/srv/nfs/pi/bf9fed6f", const char* client = "192.0.2.10") {
    PiExport r;
    r.serial = *Serial::parse("bf9fed6f");
    r.path = path;
    r.client = *parseClient(client);
    r.options = buildOptions("").options;
    return r;
}
std::vector<ExportEntry> foreign(const char* text) {
    return parseExports(text, "/etc/exports").entries;
}
}  // namespace

TEST_CASE("conflicts: none for unrelated exports", "[nfs][conflicts]") {
    auto r = findConflicts(cand(), foreign("/srv/media 192.0.2.0/24(ro)\n"), {});
    CHECK(r.items.empty());
    CHECK(r.nfs4Path == "/srv/nfs/pi/bf9fed6f");
}

TEST_CASE("conflicts: duplicate client:path is fatal", "[nfs][conflicts]") {
    auto r = findConflicts(cand(), foreign("\n/srv/nfs/pi/bf9fed6f 192.0.2.10(ro)\n"), {});
    REQUIRE(r.fatal());
    CHECK(r.items[0].line == 2);
    CHECK(r.items[0].message.find("duplicate") != std::string::npos);
}

TEST_CASE("conflicts: an overlapping client on the same path shadows", "[nfs][conflicts]") {
    CHECK(findConflicts(cand(), foreign("/srv/nfs/pi/bf9fed6f 192.0.2.0/24(ro)\n"), {}).fatal());
    CHECK(findConflicts(cand(), foreign("/srv/nfs/pi/bf9fed6f *(ro)\n"), {}).fatal());
    // The space-before-paren world export is caught too.
    CHECK(findConflicts(cand(), foreign("/srv/nfs/pi/bf9fed6f 192.0.2.99 (rw)\n"), {}).fatal());
    // A different host on the same path is not our business.
    CHECK_FALSE(
        findConflicts(cand(), foreign("/srv/nfs/pi/bf9fed6f 192.0.2.11(ro)\n"), {}).fatal());
    // Names cannot be judged: a warning.
    auto named = findConflicts(cand(), foreign("/srv/nfs/pi/bf9fed6f pi.example(ro)\n"), {});
    CHECK_FALSE(named.fatal());
    CHECK(named.items.size() == 1);
}

TEST_CASE("conflicts: nested exports warn, crossmnt named", "[nfs][conflicts]") {
    auto r = findConflicts(cand(), foreign("/srv/nfs 192.0.2.0/24(rw,crossmnt)\n"), {});
    CHECK_FALSE(r.fatal());
    REQUIRE(r.items.size() == 1);
    CHECK(r.items[0].message.find("crossmnt") != std::string::npos);
    auto inner = findConflicts(cand(), foreign("/srv/nfs/pi/bf9fed6f/home 192.0.2.9(rw)\n"), {});
    REQUIRE(inner.items.size() == 1);
    CHECK_FALSE(inner.fatal());
    // String prefix is not path containment.
    CHECK(findConflicts(cand(), foreign("/srv/nfs/pi/bf9 192.0.2.10(rw)\n"), {}).items.empty());
}

TEST_CASE("conflicts: fsid=0 pseudo-root gives the NFSv4 path", "[nfs][conflicts]") {
    auto r = findConflicts(cand(), foreign("/srv/nfs 192.0.2.0/24(ro,fsid=0,crossmnt)\n"), {});
    CHECK(r.pseudoRoot == "/srv/nfs");
    CHECK(r.nfs4Path == "/pi/bf9fed6f");
    auto v4 = cand("/export/pi/bf9fed6f");
    v4.nfsVersion = 4;
    auto outside = findConflicts(v4, foreign("/srv/nfs 192.0.2.77(ro,fsid=root)\n"), {});
    CHECK(outside.fatal());
    CHECK(outside.nfs4Path.empty());
    CHECK(nfs4PathUnder("/srv/nfs", "/srv/nfs") == "/");
    CHECK(nfs4PathUnder("/a/b", "/") == "/a/b");
}

TEST_CASE("conflicts: our own entries may not share or nest roots", "[nfs][conflicts]") {
    PiExport other = cand("/srv/nfs/pi/bf9fed6f", "192.0.2.11");
    other.serial = *Serial::parse("deadbeef");
    CHECK(findConflicts(cand(), {}, {other}).fatal());
    other.path = "/srv/nfs/pi";
    CHECK(findConflicts(cand(), {}, {other}).fatal());
    other.path = "/srv/nfs/pi/deadbeef";
    CHECK_FALSE(findConflicts(cand(), {}, {other}).fatal());
}
