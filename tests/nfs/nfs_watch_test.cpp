// watch-mounts end to end on files: a Pi export made by `add --no-reload`, a mountd log, and a
// directory laid out as knfsd's /proc/fs/nfsd/clients (fs/nfsd/nfs4state.c; one case reads the
// files a real knfsd wrote, tests/nfs/data/nfsd_clients/README.md; tests/nfs/nfsv4_watch.py runs
// watch-mounts against a real knfsd). Checks the event count per client across
// polls, and that a missing directory or a bad client file costs a warning, not the log.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_run.h"
#include "command_line.h"

using namespace rpinetboot::nfs;
namespace fs = std::filesystem;

namespace {

using test::Run;
using test::run;

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary);
    f << text;
}

std::vector<std::string> lines(const fs::path& p) {
    std::vector<std::string> out;
    std::ifstream f(p);
    for (std::string l; std::getline(f, l);) out.push_back(l);
    return out;
}

// The fields every NFSv4 NFS_MOUNT event below carries: the step, the Pi's address, vers=4.1.
void checkV41Mount(const std::string& event, const std::string& address) {
    CHECK_THAT(event, Catch::Matchers::Contains("\"step\":\"NFS_MOUNT\""));
    CHECK_THAT(event, Catch::Matchers::Contains("\"address\":\"" + address + "\""));
    CHECK_THAT(event, Catch::Matchers::Contains("\"text\":\"vers=4.1\""));
}

struct Lab {
    fs::path dir;
    std::vector<std::string> global;
    fs::path root, clients, events;
    std::string device;  // "MAJ:MIN" of the Pi root's file system, as states prints it

    Lab() {
        std::string tmpl = (fs::temp_directory_path() / "rpinb-watch-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()));
        dir = tmpl;
        root = dir / "base" / "1a2b3c04";
        clients = dir / "clients";
        events = dir / "events.jsonl";
        fs::create_directories(root);
        fs::create_directories(clients);
        global = {"--exports-d", (dir / "exports.d").string(),
                  "--base",      (dir / "base").string(),
                  "--exports",   "/dev/null",
                  "--no-reload"};
        auto add = global;
        for (const char* a : {"add", "1a2b3c04", "--client", "192.0.2.10", "--nfs-version", "4"})
            add.push_back(a);
        REQUIRE(run(add).rc == kOk);
        struct stat st {};
        REQUIRE(::stat(root.c_str(), &st) == 0);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%02x:%02x", major(st.st_dev), minor(st.st_dev));
        device = buf;
    }
    ~Lab() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    void client(const std::string& id, const std::string& address, const std::string& status,
                const std::string& states) {
        write(clients / id / "info", "clientid: 0x6b4f2a1c0000000" + id + "\naddress: \"" +
                                         address + ":876\"\nstatus: " + status +
                                         "\nname: \"Linux NFSv4.1 pi\"\nminor version: 1\n");
        write(clients / id / "states", states);
    }
    std::string openOnRoot() const {
        return "- 0x000000010000000200000003: { type: open, access: r-, deny: --, superblock: \"" +
               device + ":1234\", filename: \"sbin/init\", owner: \"open id:\" }\n";
    }
    Run watch(const std::string& input, const std::string& clientsDir) {
        auto argv = global;
        for (const std::string& a : {std::string("watch-mounts"), std::string("--input"), input,
                                     std::string("--nfsd-clients"), clientsDir,
                                     std::string("--events"), "json:" + events.string()})
            argv.push_back(a);
        return run(argv);
    }
};

// watch-mounts over the Lab's NFSv4 client directory, no log: the one event it must print.
std::string watchOneEvent(Lab& lab) {
    auto r = lab.watch("/dev/null", lab.clients.string());
    INFO(r.err);
    CHECK(r.rc == kOk);
    auto ev = lines(lab.events);
    REQUIRE(ev.size() == 1);
    return ev[0];
}

}  // namespace

TEST_CASE("an NFSv4 client of a Pi with a file open on its root is one NFS_MOUNT event",
          "[nfs][watch]") {
    Lab lab;
    lab.client("1", "192.0.2.10", "confirmed", lab.openOnRoot());
    // One poll when it starts and one when the log ends: still one event.
    const auto event = watchOneEvent(lab);
    checkV41Mount(event, "192.0.2.10");
    CHECK_THAT(event, Catch::Matchers::Contains("\"serial\":\"1a2b3c04\""));
    CHECK_THAT(event, Catch::Matchers::Contains("\"file\":\"" + lab.root.string() + "\""));
}

TEST_CASE("a real knfsd's NFSv4.1 client files are one NFS_MOUNT event with vers=4.1",
          "[nfs][watch]") {
    Lab lab;
    auto read = [](const char* name) {
        std::ifstream f(std::string(RPI_NETBOOT_NFS_DATA) + "/nfsd_clients/" + name,
                        std::ios::binary);
        REQUIRE(f);
        std::ostringstream text;
        text << f.rdbuf();
        return text.str();
    };
    // The recorded superblock is the server guest's root tmpfs (00:0a); here the Pi's root is
    // lab.root, so its device replaces that one (the only change to the files).
    std::string states = read("v4.1-states");
    for (std::size_t at; (at = states.find("\"00:0a:")) != std::string::npos;)
        states.replace(at + 1, 5, lab.device);
    REQUIRE(states.find(lab.device + ":196") != std::string::npos);
    write(lab.clients / "3" / "info", read("v4.1-info"));
    write(lab.clients / "3" / "states", states);
    // The recorded client is 192.0.2.10, which the Lab's export names (serial 1a2b3c04 here).
    const auto event = watchOneEvent(lab);
    checkV41Mount(event, "192.0.2.10");
}

TEST_CASE("no event before the client opens a file on the Pi's root or while it is unconfirmed",
          "[nfs][watch]") {
    Lab lab;
    lab.client("1", "192.0.2.10", "confirmed", "");
    lab.client("2", "192.0.2.10", "unconfirmed", lab.openOnRoot());
    lab.client("3", "192.0.2.10", "confirmed",
               "- 0x1: { type: open, access: r-, deny: --, superblock: \"ff:ff:1\", filename: "
               "\"x/y\", owner: \"o\" }\n");
    auto r = lab.watch("/dev/null", lab.clients.string());
    INFO(r.err);
    CHECK(r.rc == kOk);
    CHECK(lines(lab.events).empty());
}

TEST_CASE("other clients and bad client files are warnings and the log is still read",
          "[nfs][watch]") {
    Lab lab;
    lab.client("1", "198.51.100.99", "confirmed", lab.openOnRoot());
    write(lab.clients / "2" / "info", "address: \"[2001:db8::1]:876\"\nminor version: 1\n");
    write(lab.clients / "3" / "info", std::string(20000, 'x'));
    lab.client("4", "192.0.2.10", "confirmed", "garbage\n");
    write(lab.dir / "mountd.log",
          "rpc.mountd: authenticated mount request from 192.0.2.10:850 for " + lab.root.string() +
              " (" + lab.root.string() + ")\n");
    auto r = lab.watch((lab.dir / "mountd.log").string(), lab.clients.string());
    CHECK(r.rc == kOk);
    CHECK_THAT(r.err, Catch::Matchers::Contains(
                          "NFSv4 client 198.51.100.99 is not a Pi this tool exports a root to"));
    CHECK_THAT(r.err, Catch::Matchers::Contains("/2/info: address [2001:db8::1]:876 is IPv6"));
    CHECK_THAT(r.err, Catch::Matchers::Contains("/3/info: info is 20000 bytes"));
    CHECK_THAT(r.err, Catch::Matchers::Contains("/4/states: states line 1 is not"));
    auto ev = lines(lab.events);
    REQUIRE(ev.size() == 1);  // the NFSv3 mount from the log
    CHECK_THAT(ev[0], Catch::Matchers::Contains("\"serial\":\"1a2b3c04\""));
    CHECK(ev[0].find("\"text\"") == std::string::npos);
}

TEST_CASE("without the nfsd client directory the log is still watched", "[nfs][watch]") {
    Lab lab;
    write(lab.dir / "mountd.log",
          "rpc.mountd: authenticated mount request from 192.0.2.10:850 for " + lab.root.string() +
              " (" + lab.root.string() + ")\n");
    auto r = lab.watch((lab.dir / "mountd.log").string(), (lab.dir / "absent").string());
    CHECK(r.rc == kOk);
    CHECK_THAT(r.err, Catch::Matchers::Contains("absent: No such file or directory; NFSv4 mounts "
                                                "are not seen"));
    CHECK(lines(lab.events).size() == 1);
    r = lab.watch("none", "none");
    CHECK(r.rc == kInvalid);
    CHECK_THAT(r.err, Catch::Matchers::Contains("nothing to watch"));
}
