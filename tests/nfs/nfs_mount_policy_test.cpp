// The mount-option policy: which exports can plant setuid programs or device nodes, and which mount
// of /proc/self/mountinfo holds a path.
#include <catch2/catch.hpp>

#include "rpinetboot/nfs/mount_policy.h"

using namespace rpinetboot::nfs;

namespace {
PiExport record(const std::vector<std::string>& options) {
    PiExport r;
    r.serial = *rpinetboot::Serial::parse("bf9fed6f");
    r.path = "/srv/nfs/pi/bf9fed6f";
    r.options = options;
    return r;
}

// Shapes of real lines (proc_pid_mountinfo(5)): optional fields, an escaped space, an overmount.
const char* kMountinfo =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "30 22 0:25 / /srv/nfs rw,nosuid,nodev,relatime shared:12 - xfs /dev/sdb1 rw\n"
    "31 30 0:26 / /srv/nfs/pi\\040roots rw,nosuid - tmpfs tmpfs rw\n"
    "32 22 0:27 / /srv/nfs2 rw,nodev - tmpfs tmpfs rw\n"
    "33 30 0:28 / /srv/nfs rw,relatime - tmpfs tmpfs rw\n";
}  // namespace

TEST_CASE("only exports whose client root writes as root are a planting risk") {
    CHECK(rootWritesAsRoot({"rw", "sync", "no_subtree_check", "no_root_squash"}));
    CHECK_FALSE(rootWritesAsRoot({"rw", "root_squash"}));
    CHECK_FALSE(rootWritesAsRoot({"rw", "all_squash"}));
    CHECK_FALSE(rootWritesAsRoot({"ro", "no_root_squash"}));
}

TEST_CASE("the risk names what is missing, and is empty when nosuid and nodev are both set") {
    auto r = record({"rw", "no_root_squash"});
    CHECK(plantRisk(r, {"/srv", true, true}).empty());
    CHECK(plantRisk(record({"rw", "root_squash"}), {"/srv", false, false}).empty());
    auto both = plantRisk(r, {"/srv", false, false});
    CHECK(both.find("from /srv, which is mounted without nosuid,nodev") != std::string::npos);
    CHECK(both.find("Pi bf9fed6f") != std::string::npos);
    CHECK(plantRisk(r, {"/srv", true, false}).find("without nodev:") != std::string::npos);
    CHECK(plantRisk(r, {"/srv", false, true}).find("without nosuid:") != std::string::npos);
}

TEST_CASE("mountOf picks the longest containing mount point, the last of equal ones") {
    auto m = mountOf(kMountinfo, "/srv/nfs/pi/bf9fed6f");
    REQUIRE(m);
    // 33 is mounted over 30 at /srv/nfs: it is the one that holds the path.
    CHECK(m->mountPoint == "/srv/nfs");
    CHECK_FALSE(m->nosuid);
    CHECK_FALSE(m->nodev);
    m = mountOf(kMountinfo, "/srv/nfs/pi roots/bf9fed6f");
    REQUIRE(m);
    CHECK(m->mountPoint == "/srv/nfs/pi roots");
    CHECK(m->nosuid);
    CHECK_FALSE(m->nodev);
    m = mountOf(kMountinfo, "/srv/nfs2/x");
    REQUIRE(m);
    CHECK(m->mountPoint == "/srv/nfs2");
    CHECK(m->nodev);
    // A name that only starts like a mount point is not inside it.
    m = mountOf(kMountinfo, "/srv/nfs3/x");
    REQUIRE(m);
    CHECK(m->mountPoint == "/");
    CHECK_FALSE(mountOf("", "/srv").has_value());
    CHECK_FALSE(mountOf("garbage\n", "/srv").has_value());
}
