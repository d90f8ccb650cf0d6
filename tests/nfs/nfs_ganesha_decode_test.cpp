// The ShowClients reply decoded from a D-Bus message (cli/ganesha_clients_watch.h), and
// watch-mounts going on without a bus for ganesha. The messages
// are built and sealed by sd-bus itself on a peer-to-peer connection over a socketpair, so the
// decoder reads exactly what it reads from the bus: the shape of Debian 12's ganesha 4.3 (eight
// protocols), a ganesha built with fewer, and replies no ganesha sends.
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_run.h"
#include "ganesha_clients_watch.h"

using namespace rpinetboot::nfs;

namespace {

struct Client {
    std::string address;
    std::vector<std::pair<std::string, bool>> protocols;
    std::uint64_t seconds, nanoseconds;
};

const std::vector<std::pair<std::string, bool>> kGanesha43{
    {"NFSv3", true},   {"MNT", true},     {"NMLv4", false},  {"RQUOTA", false},
    {"NFSv40", false}, {"NFSv41", false}, {"NFSv42", false}, {"9P", false}};

// A started sd-bus connection (one end of a socketpair): enough to make and seal messages.
class Peer {
  public:
    Peer() {
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) == 0);
        REQUIRE(sd_bus_new(&bus_) >= 0);
        REQUIRE(sd_bus_set_fd(bus_, fds_[0], fds_[0]) >= 0);
        REQUIRE(sd_bus_start(bus_) >= 0);
    }
    ~Peer() {
        sd_bus_message_unref(m_);
        sd_bus_close_unref(bus_);  // closes fds_[0]; no flush: nobody reads the other end
        ::close(fds_[1]);
    }
    sd_bus_message* start() {
        sd_bus_message_unref(m_);
        m_ = nullptr;
        REQUIRE(sd_bus_message_new_method_call(bus_, &m_, "org.ganesha.nfsd",
                                               "/org/ganesha/nfsd/ClientMgr",
                                               "org.ganesha.nfsd.clientmgr", "ShowClients") >= 0);
        return m_;
    }
    // Seals the message and rewinds it for reading, as a received one.
    sd_bus_message* sealed() {
        REQUIRE(sd_bus_message_seal(m_, ++cookie_, 0) >= 0);
        REQUIRE(sd_bus_message_rewind(m_, 1) >= 0);
        return m_;
    }
    // A reply of ganesha's shape: (tt)a(s(PROTOCOLS)(tt)).
    sd_bus_message* reply(const std::vector<Client>& clients) {
        sd_bus_message* m = start();
        REQUIRE(sd_bus_message_append(m, "(tt)", std::uint64_t{1796547259}, std::uint64_t{5}) >= 0);
        std::string protocols;
        // No clients: ganesha 4.3's element type still.
        for (std::size_t i = 0; i < (clients.empty() ? 8 : clients[0].protocols.size()); ++i)
            protocols += "(sb)";
        const std::string element = "(s(" + protocols + ")(tt))";
        const std::string fields = element.substr(1, element.size() - 2);
        REQUIRE(sd_bus_message_open_container(m, 'a', element.c_str()) >= 0);
        for (const auto& c : clients) {
            REQUIRE(sd_bus_message_open_container(m, 'r', fields.c_str()) >= 0);
            REQUIRE(sd_bus_message_append(m, "s", c.address.c_str()) >= 0);
            REQUIRE(sd_bus_message_open_container(m, 'r', protocols.c_str()) >= 0);
            for (const auto& [name, used] : c.protocols)
                REQUIRE(sd_bus_message_append(m, "(sb)", name.c_str(), used ? 1 : 0) >= 0);
            REQUIRE(sd_bus_message_close_container(m) >= 0);
            REQUIRE(sd_bus_message_append(m, "(tt)", c.seconds, c.nanoseconds) >= 0);
            REQUIRE(sd_bus_message_close_container(m) >= 0);
        }
        REQUIRE(sd_bus_message_close_container(m) >= 0);
        return sealed();
    }

  private:
    int fds_[2] = {-1, -1};
    sd_bus* bus_ = nullptr;
    sd_bus_message* m_ = nullptr;
    std::uint64_t cookie_ = 0;
};

}  // namespace

TEST_CASE("a ShowClients reply of ganesha 4.3 is decoded", "[nfs][ganesha][dbus]") {
    Peer peer;
    GaneshaClientList list;
    std::string error;
    REQUIRE(decodeShowClients(peer.reply({{"::ffff:192.0.2.10", kGanesha43, 1796547259, 661483244},
                                          {"::ffff:198.51.100.66", kGanesha43, 7, 8}}),
                              list, error));
    CHECK(list.seconds == 1796547259);
    CHECK(list.nanoseconds == 5);
    CHECK_FALSE(list.truncated);
    REQUIRE(list.clients.size() == 2);
    CHECK(list.clients[0].address == "::ffff:192.0.2.10");
    REQUIRE(list.clients[0].protocols.size() == 8);
    CHECK(list.clients[0].protocols[0].name == "NFSv3");
    CHECK(list.clients[0].protocols[0].used);
    CHECK_FALSE(list.clients[0].protocols[2].used);
    CHECK(list.clients[0].lastSeconds == 1796547259);
    CHECK(list.clients[0].lastNanoseconds == 661483244);
    CHECK(list.clients[1].lastSeconds == 7);
    CHECK(ganeshaNfsVersions(list.clients[1].protocols) == "vers=3");

    // No clients yet; a ganesha built without NLM and RQUOTA sends fewer protocol pairs.
    REQUIRE(decodeShowClients(peer.reply({}), list, error));
    CHECK(list.clients.empty());
    REQUIRE(decodeShowClients(
        peer.reply({{"192.0.2.10", {{"NFSv3", false}, {"MNT", true}, {"NFSv41", true}}, 1, 2}}),
        list, error));
    REQUIRE(list.clients.size() == 1);
    CHECK(ganeshaNfsVersions(list.clients[0].protocols) == "vers=4.1");
}

TEST_CASE("replies that are not ganesha's are a clear error", "[nfs][ganesha][dbus]") {
    Peer peer;
    GaneshaClientList list;
    std::string error;
    SECTION("another signature") {
        sd_bus_message* m = peer.start();
        REQUIRE(sd_bus_message_append(m, "(tt)as", std::uint64_t{1}, std::uint64_t{2}, 1, "x") >=
                0);
        CHECK_FALSE(decodeShowClients(peer.sealed(), list, error));
        CHECK_THAT(error, Catch::Matchers::Contains("is not (tt)a(s((sb)...)(tt))"));
        CHECK_THAT(error, Catch::Matchers::Contains("its signature is (tt)as"));
    }
    SECTION("an empty reply") {
        peer.start();
        CHECK_FALSE(decodeShowClients(peer.sealed(), list, error));
        CHECK_THAT(error, Catch::Matchers::Contains("is not (tt)a("));
    }
    SECTION("protocols that are no (sb) pairs") {
        sd_bus_message* m = peer.start();
        REQUIRE(sd_bus_message_append(m, "(tt)a(s(sb)(tt))", std::uint64_t{1}, std::uint64_t{2}, 1,
                                      "::ffff:192.0.2.10", "NFSv3", 1, std::uint64_t{3},
                                      std::uint64_t{4}) >= 0);
        CHECK_FALSE(decodeShowClients(peer.sealed(), list, error));
        CHECK(list.clients.empty());
    }
    SECTION("an address longer than ganesha's") {
        const std::string longName(kMaxGaneshaText + 1, '1');
        CHECK_FALSE(decodeShowClients(peer.reply({{longName, kGanesha43, 1, 2}}), list, error));
        CHECK_THAT(error, Catch::Matchers::Contains("a client address of 129 bytes"));
    }
    SECTION("more protocols than any ganesha has") {
        std::vector<std::pair<std::string, bool>> many(kMaxGaneshaProtocols + 1, {"NFSv3", true});
        CHECK_FALSE(decodeShowClients(peer.reply({{"192.0.2.10", many, 1, 2}}), list, error));
        CHECK_THAT(error, Catch::Matchers::Contains("more than 32 protocols"));
    }
}

TEST_CASE("a reply with more clients than the bound is decoded up to it", "[nfs][ganesha][dbus]") {
    Peer peer;
    std::vector<Client> clients(kMaxGaneshaClients + 3, {"::ffff:192.0.2.10", kGanesha43, 1, 2});
    GaneshaClientList list;
    std::string error;
    REQUIRE(decodeShowClients(peer.reply(clients), list, error));
    CHECK(list.truncated);
    CHECK(list.clients.size() == kMaxGaneshaClients);
}

TEST_CASE("watch-mounts without a bus for ganesha still reads the log", "[nfs][ganesha][dbus]") {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "rpinb-gwatch-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()));
    const fs::path dir = tmpl;
    fs::create_directories(dir / "base" / "1a2b3c04");
    const std::vector<std::string> global{"--exports-d", (dir / "exports.d").string(),
                                          "--base",      (dir / "base").string(),
                                          "--exports",   "/dev/null",
                                          "--no-reload"};
    auto argv = global;
    for (const char* a : {"add", "1a2b3c04", "--client", "192.0.2.10"}) argv.push_back(a);
    REQUIRE(test::run(argv).rc == kOk);
    const fs::path root = dir / "base" / "1a2b3c04";
    {
        std::ofstream log(dir / "mountd.log");
        log << "rpc.mountd: authenticated mount request from 192.0.2.10:850 for " << root.string()
            << " (" << root.string() << ")\n";
    }
    argv = global;
    for (const std::string& a :
         {std::string("watch-mounts"), std::string("--input"), (dir / "mountd.log").string(),
          std::string("--nfsd-clients"), std::string("none"), std::string("--ganesha-bus"),
          "unix:path=" + (dir / "no-bus.sock").string(), std::string("--events"),
          "json:" + (dir / "events.jsonl").string()})
        argv.push_back(a);
    const auto r = test::run(argv);
    CHECK(r.rc == kOk);
    CHECK_THAT(r.err, Catch::Matchers::Contains("cannot connect to D-Bus unix:path="));
    CHECK_THAT(r.err, Catch::Matchers::Contains("the other sources are still watched"));
    std::ifstream events(dir / "events.jsonl");
    std::string line;
    REQUIRE(std::getline(events, line));
    CHECK_THAT(line, Catch::Matchers::Contains("\"serial\":\"1a2b3c04\""));
    CHECK_FALSE(std::getline(events, line));
    std::error_code ec;
    fs::remove_all(dir, ec);
}
