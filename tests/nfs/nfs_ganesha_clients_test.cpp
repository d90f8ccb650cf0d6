// nfs-ganesha's ShowClients reply, decoded, turned into NFS_MOUNT mounts
// (rpinetboot/nfs/ganesha_clients.h). The clients below have the shape of a real reply of Debian
// 12's ganesha 4.3 (docs/nfs.md, "nfs-ganesha's clients"): eight (name, used) protocol pairs and
// IPv4-mapped addresses.
#include <catch2/catch.hpp>

#include "pi_export_record.h"
#include "rpinetboot/nfs/ganesha_clients.h"

using namespace rpinetboot;
using namespace rpinetboot::nfs;
using rpinetboot::nfs::test::record;

namespace {

// A client as ganesha 4.3 lists it, using the protocols named in `used`.
GaneshaClient client(const std::string& address, std::initializer_list<const char*> used,
                     std::uint64_t seconds = 1796547259, std::uint64_t nanoseconds = 661483244) {
    GaneshaClient c;
    c.address = address;
    for (const char* name :
         {"NFSv3", "MNT", "NMLv4", "RQUOTA", "NFSv40", "NFSv41", "NFSv42", "9P"}) {
        bool on = false;
        for (const char* u : used) on = on || std::string(u) == name;
        c.protocols.push_back({name, on});
    }
    c.lastSeconds = seconds;
    c.lastNanoseconds = nanoseconds;
    return c;
}

struct Lab {
    std::vector<PiExport> records{record("1a2b3c04", "/srv/nfs/pi/1a2b3c04", "192.0.2.10"),
                                  record("1a2b3c05", "/srv/nfs/pi/1a2b3c05", "198.51.100.0/24")};
    GaneshaClientsTracker tracker;
    int loads = 0;
    bool loadOk = true;
    std::vector<GaneshaMount> mounts;
    std::vector<std::string> warnings;

    void update(std::vector<GaneshaClient> clients, bool truncated = false) {
        GaneshaClientList reply;
        reply.seconds = 1796547260;
        reply.clients = std::move(clients);
        reply.truncated = truncated;
        mounts.clear();
        warnings.clear();
        tracker.update(
            reply,
            [this](std::vector<PiExport>& out) {
                ++loads;
                out = records;
                return loadOk;
            },
            mounts, warnings);
    }
};

}  // namespace

TEST_CASE("a ganesha client's address is its IPv4 address mapped or not", "[nfs][ganesha]") {
    std::string out, error;
    CHECK(ganeshaClientAddress("::ffff:192.0.2.10", out, error));
    CHECK(out == "192.0.2.10");
    CHECK(ganeshaClientAddress("198.51.100.66", out, error));
    CHECK(out == "198.51.100.66");
    for (const char* bad :
         {"", "::ffff:", "2001:db8::1", "::1", "<unknown>", "192.0.2.0/24", " 192.0.2.10",
          "192.0.2.10:876", "999.0.2.10", "::ffff:2001:db8::1", "3"}) {
        INFO(bad);
        error.clear();
        CHECK_FALSE(ganeshaClientAddress(bad, out, error));
        CHECK_THAT(error, Catch::Matchers::Contains("is not an IPv4 address"));
    }
    // Control bytes are not echoed.
    CHECK_FALSE(ganeshaClientAddress(std::string("\x1b[2J", 4), out, error));
    CHECK(error.find('\x1b') == std::string::npos);
}

TEST_CASE("the NFS versions a ganesha client used are the event's text", "[nfs][ganesha]") {
    CHECK(ganeshaNfsVersions(client("x", {"NFSv3", "MNT"}).protocols) == "vers=3");
    CHECK(ganeshaNfsVersions(client("x", {"NFSv40"}).protocols) == "vers=4.0");
    CHECK(ganeshaNfsVersions(client("x", {"NFSv41"}).protocols) == "vers=4.1");
    CHECK(ganeshaNfsVersions(client("x", {"NFSv42", "NFSv3"}).protocols) == "vers=3 vers=4.2");
    // MOUNT, NLM, RQUOTA or 9P alone is no NFS use; unknown names are ignored.
    CHECK(ganeshaNfsVersions(client("x", {"MNT", "NMLv4", "RQUOTA", "9P"}).protocols).empty());
    CHECK(ganeshaNfsVersions({{"NFSv5", true}, {"nfsv3", true}}).empty());
    CHECK(ganeshaNfsVersions({}).empty());
}

TEST_CASE("a Pi's ganesha client that used NFS is one mount and the stranger a warning",
          "[nfs][ganesha]") {
    Lab lab;
    lab.update({client("::ffff:127.0.0.1", {"MNT"}), client("::ffff:192.0.2.10", {"NFSv3", "MNT"}),
                client("::ffff:198.51.100.66", {"NFSv3", "MNT", "NFSv40"}, 5, 0),
                client("::ffff:203.0.113.9", {"NFSv41"})});
    REQUIRE(lab.mounts.size() == 2);
    CHECK(lab.mounts[0].record.serial.str() == "1a2b3c04");
    CHECK(lab.mounts[0].record.path == "/srv/nfs/pi/1a2b3c04");
    CHECK(lab.mounts[0].address == "192.0.2.10");
    CHECK(lab.mounts[0].text == "vers=3");
    CHECK(lab.mounts[0].timestampUs == 1796547259661483);
    // A network export names the Pi when it is the only one holding the address.
    CHECK(lab.mounts[1].record.serial.str() == "1a2b3c05");
    CHECK(lab.mounts[1].text == "vers=3 vers=4.0");
    CHECK(lab.mounts[1].timestampUs == 5000000);
    REQUIRE(lab.warnings.size() == 1);
    CHECK_THAT(lab.warnings[0],
               Catch::Matchers::Contains("203.0.113.9 is not a Pi this tool exports a root to"));
    CHECK(lab.loads == 1);

    // The same reply again, and the Pi using NFSv4 too: nothing new, nothing read.
    lab.update({client("::ffff:127.0.0.1", {"MNT"}),
                client("::ffff:192.0.2.10", {"NFSv3", "MNT", "NFSv40"}, 1796547300, 0),
                client("::ffff:198.51.100.66", {"NFSv3", "MNT", "NFSv40"}, 5, 0),
                client("::ffff:203.0.113.9", {"NFSv41"})});
    CHECK(lab.mounts.empty());
    CHECK(lab.warnings.empty());
    CHECK(lab.loads == 1);
}

TEST_CASE("a ganesha client is a mount once it sends an NFS request and again after it left",
          "[nfs][ganesha]") {
    Lab lab;
    lab.update({client("::ffff:192.0.2.10", {"MNT"})});  // MOUNT came first: not yet
    CHECK(lab.mounts.empty());
    CHECK(lab.loads == 0);
    lab.update({client("::ffff:192.0.2.10", {"MNT", "NFSv41"})});
    REQUIRE(lab.mounts.size() == 1);
    CHECK(lab.mounts[0].text == "vers=4.1");
    lab.update({client("::ffff:192.0.2.10", {"MNT", "NFSv41"})});
    CHECK(lab.mounts.empty());
    // A restarted ganesha lists no clients; when the Pi comes back it is a client again.
    lab.update({});
    lab.update({client("::ffff:192.0.2.10", {"NFSv41"})});
    CHECK(lab.mounts.size() == 1);
}

TEST_CASE("exports that cannot be read cost the poll and not the mount", "[nfs][ganesha]") {
    Lab lab;
    lab.loadOk = false;
    lab.update({client("::ffff:192.0.2.10", {"NFSv3"})});
    CHECK(lab.mounts.empty());
    CHECK(lab.loads == 1);
    lab.loadOk = true;
    lab.update({client("::ffff:192.0.2.10", {"NFSv3"})});
    CHECK(lab.mounts.size() == 1);
}

TEST_CASE("malformed ganesha clients are warnings each once and no mount", "[nfs][ganesha]") {
    Lab lab;
    const std::vector<GaneshaClient> bad{
        client("2001:db8::10", {"NFSv41"}), client("<unknown>", {"NFSv3"}),
        client("::ffff:192.0.2.10", {"NFSv3"}, 1796547259, 1000000000),  // nanoseconds
        client("::ffff:198.51.100.7", {"NFSv3"}, ~std::uint64_t{0}, 0),  // no time
    };
    lab.update(bad);
    CHECK(lab.mounts.empty());
    REQUIRE(lab.warnings.size() == 4);
    CHECK_THAT(lab.warnings[0], Catch::Matchers::Contains("\"2001:db8::10\" is not an IPv4"));
    CHECK_THAT(lab.warnings[2], Catch::Matchers::Contains("is not a time"));
    CHECK_THAT(lab.warnings[3], Catch::Matchers::Contains("is not a time"));
    lab.update(bad);
    CHECK(lab.warnings.empty());
    CHECK(lab.mounts.empty());
    // The same address twice in one reply is one client.
    Lab twice;
    twice.update({client("::ffff:192.0.2.10", {"NFSv3"}), client("::ffff:192.0.2.10", {"NFSv3"})});
    CHECK(twice.mounts.size() == 1);
}

TEST_CASE("a reply with more clients than the bound is cut and reported once", "[nfs][ganesha]") {
    Lab lab;
    std::vector<GaneshaClient> many;
    for (std::size_t i = 0; i < kMaxGaneshaClients + 10; ++i)
        many.push_back(client(
            "::ffff:10." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + ".1",
            {"NFSv3"}));
    many.push_back(client("::ffff:192.0.2.10", {"NFSv3"}));  // beyond the bound: not looked at
    lab.update(many, true);
    CHECK(lab.mounts.empty());
    CHECK(lab.loads == 1);
    // One warning for the cut, one per stranger looked at.
    REQUIRE(lab.warnings.size() == kMaxGaneshaClients + 1);
    CHECK_THAT(lab.warnings[0], Catch::Matchers::Contains("more than 4096 clients"));
    lab.update(many, true);
    CHECK(lab.warnings.empty());
}
