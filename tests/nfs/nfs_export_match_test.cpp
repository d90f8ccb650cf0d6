// Matching a MOUNTPROC_EXPORT reply against a Pi's address. Group forms: rpc.mountd prints the
// client as written ("192.0.2.10", "192.0.2.0/24", "*"); nfs-ganesha prints "192.0.2.10/32"
// (seen with showmount -e against ganesha 4.3 in this project's tests).
#include <catch2/catch.hpp>

#include "rpinetboot/nfs/client_net.h"
#include "rpinetboot/nfs/mount_client.h"
#include "rpinetboot/util/ipv4.h"

using namespace rpinetboot::nfs;

TEST_CASE("export match: host, CIDR, dotted mask, world, but never names", "[nfs][mount]") {
    std::vector<RemoteExport> list{
        {"/srv/a", {"192.0.2.10"}},
        {"/srv/b", {"192.0.2.0/24"}},
        {"/srv/c", {"192.0.2.20/32", "127.0.0.1/32"}},
        {"/srv/d", {"*"}},
        {"/srv/e", {"pi.example.org", "@pis"}},
        {"/srv/f", {"198.51.100.0/255.255.255.0"}},
    };
    auto ip = [](const char* s) { return *rpinetboot::parseIpv4(s); };
    CHECK(isExportedTo(list, "/srv/a", ip("192.0.2.10")));
    CHECK_FALSE(isExportedTo(list, "/srv/a", ip("192.0.2.11")));
    CHECK(isExportedTo(list, "/srv/b", ip("192.0.2.200")));
    CHECK(isExportedTo(list, "/srv/c", ip("192.0.2.20")));
    CHECK_FALSE(isExportedTo(list, "/srv/c", ip("192.0.2.21")));
    CHECK(isExportedTo(list, "/srv/d", ip("198.51.100.1")));
    CHECK_FALSE(isExportedTo(list, "/srv/e", ip("192.0.2.10")));
    CHECK(isExportedTo(list, "/srv/f", ip("198.51.100.9")));
    CHECK_FALSE(isExportedTo(list, "/srv/zzz", ip("192.0.2.10")));
}

TEST_CASE("export check: bad arguments are an Error before any RPC", "[nfs][mount]") {
    auto r = checkExport("192.0.2.1", "/srv/a", "pi.example.org", std::chrono::milliseconds(10));
    CHECK(r.status == ExportCheck::Error);
    CHECK(r.detail.find("not an IPv4 address") != std::string::npos);
    CHECK(checkExport("server", "/srv/a", "192.0.2.10").status == ExportCheck::Error);
    CHECK(checkExport("192.0.2.1", "srv/a", "192.0.2.10").status == ExportCheck::Error);
    CHECK(std::string(exportCheckName(ExportCheck::MountdNotRegistered)) ==
          "mountd-not-registered");
    CHECK(std::string(exportCheckName(ExportCheck::ServerUnreachable)) == "server-unreachable");
}
