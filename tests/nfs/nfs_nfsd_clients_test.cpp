// knfsd's /proc/fs/nfsd/clients/<id>/info and states parsed, and NFSv4 clients matched to the Pi
// exports (rpinetboot/nfs/nfsd_clients.h). The texts follow fs/nfsd/nfs4state.c
// (client_info_show, states_show) of Linux 6.1; the last cases read the files a real knfsd wrote
// (tests/nfs/data/nfsd_clients/README.md).
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "pi_export_record.h"
#include "rpinetboot/nfs/nfsd_clients.h"

using namespace rpinetboot;
using namespace rpinetboot::nfs;
using rpinetboot::nfs::test::record;

namespace {

const char* const kInfo =
    "clientid: 0x6b4f2a1c00000001\n"
    "address: \"192.0.2.10:876\"\n"
    "status: confirmed\n"
    "seconds from last renew: 2\n"
    "name: \"Linux NFSv4.1 pi-1a2b3c04\"\n"
    "minor version: 1\n"
    "Implementation domain: \"kernel.org\"\n"
    "Implementation name: \"Linux 6.1.0-28-amd64 SMP x86_64\"\n"
    "Implementation time: [0, 0]\n"
    "callback state: UP\n"
    "callback address: 192.0.2.10:0\n";

std::string dataFile(const char* name) {
    std::ifstream f(std::string(RPI_NETBOOT_NFS_DATA) + "/nfsd_clients/" + name, std::ios::binary);
    REQUIRE(f);
    std::ostringstream text;
    text << f.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("an nfsd client's info gives its address, status and minor version",
          "[nfs][nfsd_clients]") {
    NfsdClientInfo info;
    std::string error;
    REQUIRE(parseNfsdClientInfo(kInfo, info, error));
    CHECK(info.clientId == "0x6b4f2a1c00000001");
    CHECK(info.address == "192.0.2.10");
    CHECK(info.status == "confirmed");
    CHECK(info.minorVersion == 1);
    CHECK(nfsVersionText(info.minorVersion) == "vers=4.1");
    // NFSv4.0 (SETCLIENTID) has no implementation lines; unknown keys are ignored.
    REQUIRE(
        parseNfsdClientInfo("clientid: 0x1\naddress: \"198.51.100.7:1023\"\nstatus: "
                            "unconfirmed\nminor version: 0\nadmin-revoked states: 0\n",
                            info, error));
    CHECK(info.address == "198.51.100.7");
    CHECK(info.status == "unconfirmed");
    CHECK(info.minorVersion == 0);
}

TEST_CASE("malformed and oversized info is a clear error", "[nfs][nfsd_clients]") {
    struct Case {
        std::string text, message;
    };
    for (const auto& c : std::vector<Case>{
             {"", "no address line"},
             {"address: \"192.0.2.10:876\"\n", "no minor version line"},
             {"minor version: 1\n", "no address line"},
             {"address: 192.0.2.10:876\nminor version: 1\n", "address is not quoted"},
             {"address: \"[2001:db8::1]:876\"\nminor version: 1\n", "is IPv6"},
             {"address: \"pi.example:876\"\nminor version: 1\n", "is not IPv4 ADDRESS:PORT"},
             {"address: \"192.0.2.0/24\"\nminor version: 1\n", "is not IPv4 ADDRESS:PORT"},
             {"address: \"192.0.2.10:876\"\nminor version: 3\n", "is not 0, 1 or 2"},
             {"address: \"192.0.2.10:876\"\nminor version: x\n", "is not 0, 1 or 2"},
             {"address: \"192.0.2.10:876\"\nminor version: 99999999999999999999\n",
              "is not 0, 1 or 2"},
             {"garbage\n", "line 1 is not \"key: value\""},
             {std::string("address: \"192.0.2.10:876\"\n\x01\xff\n", 29), "line 2"},
             {std::string(kMaxInfoBytes + 1, 'a'), "more than the 16384"},
         }) {
        INFO(c.text.substr(0, 80));
        NfsdClientInfo info;
        std::string error;
        CHECK_FALSE(parseNfsdClientInfo(c.text, info, error));
        CHECK_THAT(error, Catch::Matchers::Contains(c.message));
        CHECK(error.size() < 300);  // quoted input is shortened
    }
}

TEST_CASE("an nfsd client's states give the device of each opened file", "[nfs][nfsd_clients]") {
    std::vector<NfsdState> states;
    std::string error;
    REQUIRE(parseNfsdStates(
        "- 0x00000001a4d3b2c1e0f9a8b700000004: { type: open, access: r-, deny: --, superblock: "
        "\"00:1a:1234\", filename: \"sbin/init\", owner: \"open id:\\x00\\x00\\x00\\x01\" }\n"
        "- 0x00000001a4d3b2c1e0f9a8b700000005: { type: deleg, access: r, superblock: "
        "\"fd:02:99\", filename: \"etc/passwd\" }\n"
        "- 0x00000001a4d3b2c1e0f9a8b700000006: { type: lock, superblock: \"00:1a:77\", "
        "filename: \"a, b\", owner: \"lock id:\" }\n",
        states, error));
    REQUIRE(states.size() == 3);
    CHECK(states[0].type == "open");
    CHECK(states[0].major == 0);
    CHECK(states[0].minor == 0x1a);
    CHECK(states[0].inode == 1234);
    CHECK(states[1].type == "deleg");
    CHECK(states[1].major == 0xfd);
    CHECK(states[1].minor == 2);
    CHECK(states[2].type == "lock");
    CHECK(statesOnDevice(states, 0, 0x1a));
    CHECK(statesOnDevice(states, 0xfd, 2));
    CHECK_FALSE(statesOnDevice(states, 0, 0x1b));
    REQUIRE(parseNfsdStates("", states, error));
    CHECK(states.empty());
    CHECK_FALSE(statesOnDevice(states, 0, 0x1a));
}

TEST_CASE("malformed and oversized states are a clear error", "[nfs][nfsd_clients]") {
    for (const std::string& text : {
             std::string("garbage\n"),
             std::string("- 0x1: { type: open, access: r- }\n"),
             std::string("- 0x1: { type: open, superblock: \"00:1a\" }\n"),
             std::string("- 0x1: { type: open, superblock: \"zz:1a:1\" }\n"),
             std::string("- 0x1: { type: open, superblock: \"00:1a:1 }\n"),
             std::string("- 0x1: { type: open, superblock: \"00:1a:1\"\n"),
             std::string("- 0x1: { type: open, superblock: \"00:1a:-1\" }\n"),
             std::string(kMaxStatesBytes + 1, '-'),
         }) {
        INFO(text.substr(0, 80));
        std::vector<NfsdState> states{NfsdState{}};
        std::string error;
        CHECK_FALSE(parseNfsdStates(text, states, error));
        CHECK_FALSE(error.empty());
        CHECK(error.size() < 300);
        CHECK(states.empty());
    }
}

TEST_CASE("an NFSv4 client is matched to the Pi exported to its address", "[nfs][nfsd_clients]") {
    std::vector<PiExport> records{record("1a2b3c04", "/srv/nfs/pi/1a2b3c04", "192.0.2.10"),
                                  record("1a2b3c05", "/srv/nfs/pi/1a2b3c05", "198.51.100.0/24"),
                                  record("1a2b3c06", "/srv/nfs/pi/1a2b3c06", "*")};
    CHECK(exportForClient(records, "192.0.2.10") == &records[0]);
    CHECK(exportForClient(records, "198.51.100.77") == &records[1]);
    CHECK(exportForClient(records, "192.0.2.11") == nullptr);  // only "*": no Pi named
    CHECK(exportForClient(records, "garbage") == nullptr);
    // A host export wins over a network holding the same address; two networks name no Pi.
    records.push_back(record("1a2b3c07", "/srv/nfs/pi/1a2b3c07", "198.51.100.77"));
    CHECK(exportForClient(records, "198.51.100.77") == &records[3]);
    records.push_back(record("1a2b3c08", "/srv/nfs/pi/1a2b3c08", "198.51.100.64/26"));
    CHECK(exportForClient(records, "198.51.100.70") == nullptr);
}

TEST_CASE("the seen clients are bounded and follow the directory", "[nfs][nfsd_clients]") {
    SeenClients seen(2);
    CHECK(seen.insert("1@5"));
    CHECK(seen.insert("1@5"));
    CHECK(seen.insert("2@6"));
    CHECK_FALSE(seen.insert("3@7"));  // full
    CHECK(seen.size() == 2);
    CHECK(seen.contains("1@5"));
    CHECK_FALSE(seen.contains("3@7"));
    seen.retain({"2@6", "3@7"});  // client 1 left
    CHECK(seen.size() == 1);
    CHECK_FALSE(seen.contains("1@5"));
    CHECK(seen.insert("3@7"));
}

TEST_CASE("a real knfsd's info and states of a Pi's NFSv4.1 root client", "[nfs][nfsd_clients]") {
    NfsdClientInfo info;
    std::string error;
    REQUIRE(parseNfsdClientInfo(dataFile("v4.1-info"), info, error));
    CHECK(info.clientId == "0x844f1d7a6b15241f");
    CHECK(info.address == "192.0.2.10");
    CHECK(info.status == "confirmed");
    CHECK(info.minorVersion == 1);
    CHECK(nfsVersionText(info.minorVersion) == "vers=4.1");
    std::vector<NfsdState> states;
    REQUIRE(parseNfsdStates(dataFile("v4.1-states"), states, error));
    REQUIRE(states.size() == 2);  // the Pi's init: busybox and the /sbin/init script
    CHECK(states[0].type == "open");
    CHECK(states[0].inode == 196);
    CHECK(states[1].type == "open");
    CHECK(states[1].inode == 198);
    CHECK(statesOnDevice(states, 0, 0x0a));  // the server guest's root tmpfs
    CHECK_FALSE(statesOnDevice(states, 0, 0x0b));
    std::vector<PiExport> records{record("1a2b3c01", "/srv/nfs/pi/1a2b3c01", "192.0.2.10")};
    CHECK(exportForClient(records, info.address) == &records[0]);
}
