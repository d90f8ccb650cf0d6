// Typed Pi records, the strict line generator and the drop-in file model.
#include <catch2/catch.hpp>

#include "rpinetboot/nfs/dropin.h"
#include "rpinetboot/nfs/exports_parser.h"
#include "rpinetboot/nfs/pi_export.h"

using namespace rpinetboot;
using namespace rpinetboot::nfs;

namespace {
PiExport pi(const char* serial, const char* path, const char* client, const char* opts = "") {
    PiExport r;
    r.serial = *Serial::parse(serial);
    r.path = path;
    r.client = *parseClient(client);
    r.options = buildOptions(opts).options;
    return r;
}
}  // namespace

TEST_CASE("client: addresses and CIDR blocks only", "[nfs][record]") {
    CHECK(parseClient("192.0.2.10")->str() == "192.0.2.10");
    CHECK(parseClient("192.0.2.0/24")->str() == "192.0.2.0/24");
    CHECK(parseClient("*")->prefix() == 0);
    for (auto bad : {"192.0.2.10 ", "192.0.2.10 (rw)", "192.0.2.1/24", "192.0.2", "256.1.1.1",
                     "pi.example.org", "@pis", "192.0.2.*", "010.0.0.1", "", "192.0.2.10/33"})
        CHECK_FALSE(parseClient(bad));
    CHECK(ClientNet::parseLoose("192.0.2.0/255.255.255.0")->str() == "192.0.2.0/24");
    CHECK(ClientNet::parse("192.0.2.0/24")->contains(*ClientNet::parse("192.0.2.77")));
    CHECK_FALSE(ClientNet::parse("192.0.2.0/25")->contains(*ClientNet::parse("192.0.2.200")));
}

TEST_CASE("options: explicit defaults, whitelist, contradictions", "[nfs][record]") {
    CHECK(buildOptions("").options ==
          std::vector<std::string>{"rw", "sync", "no_subtree_check", "no_root_squash"});
    CHECK(buildOptions("ro,root_squash,fsid=17").options ==
          std::vector<std::string>{"ro", "sync", "no_subtree_check", "root_squash", "fsid=17"});
    CHECK(buildOptions("async").error.find("sync") != std::string::npos);
    CHECK(buildOptions("subtree_check").error.find("no_subtree_check") != std::string::npos);
    CHECK_FALSE(buildOptions("fsid=0").error.empty());
    CHECK_FALSE(buildOptions("fsid=root").error.empty());
    // nfs-utils 2.6 exports.c: fsid is strtoul(value, 0) ("00" is 0, the pseudo-root) or a UUID
    // that valid_uuid() accepts: exactly 32 hex digits, other characters ignored.
    CHECK_FALSE(buildOptions("fsid=00").error.empty());
    CHECK_FALSE(buildOptions("fsid=4294967296").error.empty());
    CHECK(buildOptions("fsid=4294967295").error.empty());
    CHECK(buildOptions("fsid=0123abcd-0123-abcd-0123-0123456789ab").error.empty());
    CHECK_FALSE(buildOptions("fsid=0123abcd-0123-abcd-0123-0123456789abc").error.empty());
    CHECK_FALSE(buildOptions("fsid=0123abcd-0123-abcd-0123-0123456789a").error.empty());
    CHECK_FALSE(buildOptions("rw,ro").error.empty());
    CHECK_FALSE(buildOptions("root_squash,no_root_squash").error.empty());
    CHECK_FALSE(buildOptions("bogus").error.empty());
    CHECK_FALSE(buildOptions("rw (sync)").error.empty());
    CHECK_FALSE(buildOptions(" rw").error.empty());
    CHECK_FALSE(buildOptions("anonuid=x").error.empty());
    CHECK_FALSE(buildOptions("sec=foo").error.empty());
    CHECK(buildOptions("sec=krb5:sys").error.empty());
}

TEST_CASE("line: quoted, escaped, never a space before (", "[nfs][record]") {
    auto r = pi("bf9fed6f", "/srv/nfs/pi/bf9fed6f", "192.0.2.10");
    CHECK(exportsLine(r) ==
          "\"/srv/nfs/pi/bf9fed6f\" 192.0.2.10(rw,sync,no_subtree_check,no_root_squash)");
    r.path = "/srv/nfs/pi/with space#x";
    CHECK(exportsLine(r) ==
          "\"/srv/nfs/pi/with space\\043x\" 192.0.2.10(rw,sync,no_subtree_check,no_root_squash)");
    // The generated line reads back to the same record with our own parser.
    auto p = parseExports(exportsLine(r), "f");
    REQUIRE(p.entries.size() == 1);
    CHECK(p.entries[0].path == r.path);
    CHECK(p.entries[0].clients[0].options == r.options);
}

TEST_CASE("validate: no_root_squash only for a single host unless forced", "[nfs][record]") {
    CHECK(validateRecord(pi("bf9fed6f", "/srv/p/x", "192.0.2.10"), false).empty());
    CHECK_FALSE(validateRecord(pi("bf9fed6f", "/srv/p/x", "*"), false).empty());
    CHECK_FALSE(validateRecord(pi("bf9fed6f", "/srv/p/x", "192.0.2.0/24"), false).empty());
    CHECK(validateRecord(pi("bf9fed6f", "/srv/p/x", "192.0.2.0/24"), true).empty());
    CHECK(validateRecord(pi("bf9fed6f", "/srv/p/x", "*", "root_squash"), false).empty());
    CHECK_FALSE(validateRecord(pi("bf9fed6f", "/", "192.0.2.10"), false).empty());
    for (auto bad : {"relative", "/a/../b", "/a//b", "/a/", "/a/./b", "/a\"b", "/a\\b", "/a\nb"})
        CHECK_FALSE(checkPathSyntax(bad).empty());
}

TEST_CASE("drop-in: render, parse back, sorted, newline-terminated", "[nfs][dropin]") {
    std::vector<PiExport> records{pi("deadbeef", "/srv/p/deadbeef", "192.0.2.11"),
                                  pi("bf9fed6f", "/srv/p/bf9fed6f", "192.0.2.10", "ro")};
    records[0].nfsVersion = 4;
    auto text = renderDropin(records);
    CHECK(text.back() == '\n');
    CHECK(text.find("# rpi-netboot serial=bf9fed6f vers=3\n") <
          text.find("# rpi-netboot serial=deadbeef vers=4\n"));
    auto d = parseDropin(text, "f");
    CHECK(d.problems.empty());
    REQUIRE(d.records.size() == 2);
    CHECK(d.records[0] == records[1]);
    CHECK(d.records[1] == records[0]);
    CHECK(renderDropin(d.records) == text);
    CHECK(renderDropin({}).back() == '\n');
    CHECK(parseDropin("", "f").records.empty());
}

TEST_CASE("drop-in: hand edits are reported, not silently rewritten", "[nfs][dropin]") {
    auto good = renderDropin({pi("bf9fed6f", "/srv/p/bf9fed6f", "192.0.2.10")});
    auto d1 = parseDropin(good + "/srv/x 192.0.2.99(rw)\n", "f");
    REQUIRE(d1.problems.size() == 1);
    CHECK(d1.problems[0].line == 5);
    std::string edited = good;
    edited.replace(edited.find("192.0.2.10"), 10, "192.0.2.12 ");
    CHECK_FALSE(parseDropin(edited, "f").problems.empty());
    CHECK_FALSE(parseDropin(good + good.substr(good.find("# rpi-netboot")), "f").problems.empty());
    CHECK_FALSE(parseDropin("# rpi-netboot serial=BF9FED6F vers=3\n\"/a\" 192.0.2.1(rw)\n", "f")
                    .problems.empty());
}

TEST_CASE("drop-in: upsert and remove by serial", "[nfs][dropin]") {
    std::vector<PiExport> rs;
    CHECK(upsertRecord(rs, pi("bf9fed6f", "/srv/p/a", "192.0.2.10")));
    CHECK_FALSE(upsertRecord(rs, pi("bf9fed6f", "/srv/p/a", "192.0.2.10")));
    CHECK(upsertRecord(rs, pi("bf9fed6f", "/srv/p/a", "192.0.2.12")));
    CHECK(rs.size() == 1);
    CHECK(removeRecord(rs, *Serial::parse("bf9fed6f")));
    CHECK_FALSE(removeRecord(rs, *Serial::parse("bf9fed6f")));
}
