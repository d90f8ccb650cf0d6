// exports(5) parser. Behaviour reference: nfs-utils 2.6.2 as measured on Debian 12 (docs/nfs.md)
// and exports(5): quoting, \ooo escapes, "-options" defaults, and "host (opts)" exporting to the
// world.
#include <catch2/catch.hpp>

#include "rpinetboot/nfs/exports_parser.h"

using namespace rpinetboot::nfs;

TEST_CASE("parser: Debian's stock /etc/exports has only comments", "[nfs][parser]") {
    // nfs-kernel-server 1:2.6.2-4 ships this file.
    const char* stock =
        "# /etc/exports: the access control list for filesystems which may be exported\n"
        "#\t\tto NFS clients.  See exports(5).\n"
        "#\n"
        "# Example for NFSv2 and NFSv3:\n"
        "# /srv/homes       hostname1(rw,sync,no_subtree_check) "
        "hostname2(ro,sync,no_subtree_check)\n"
        "#\n"
        "# Example for NFSv4:\n"
        "# /srv/nfs4        gss/krb5i(rw,sync,fsid=0,crossmnt,no_subtree_check)\n";
    auto p = parseExports(stock, "/etc/exports");
    CHECK(p.entries.empty());
    CHECK(p.diagnostics.empty());
}

TEST_CASE("parser: hosts with options, several per line, line numbers", "[nfs][parser]") {
    auto p = parseExports(
        "\n/srv/a 192.0.2.1(rw,sync) 192.0.2.0/24(ro)  # trailing comment\n/srv/b *(ro)\n", "f");
    REQUIRE(p.entries.size() == 2);
    CHECK(p.entries[0].path == "/srv/a");
    CHECK(p.entries[0].line == 2);
    REQUIRE(p.entries[0].clients.size() == 2);
    CHECK(p.entries[0].clients[0].host == "192.0.2.1");
    CHECK(p.entries[0].clients[0].options == std::vector<std::string>{"rw", "sync"});
    CHECK(p.entries[0].clients[1].host == "192.0.2.0/24");
    CHECK(p.entries[1].clients[0].host == "*");
    CHECK(p.entries[1].line == 3);
    CHECK_FALSE(p.hasErrors());
}

TEST_CASE("parser: quoted paths and octal escapes", "[nfs][parser]") {
    // Measured: exportfs exports "/tmp/sp ace" for both spellings, and "ha#sh" in quotes.
    auto p = parseExports(
        "\"/srv/sp ace\" 192.0.2.2(rw)\n/srv/sp\\040ace 192.0.2.3(rw)\n\"/srv/ha#sh\" "
        "192.0.2.4(rw)\n"
        "\"/srv/q\\042uote\" 192.0.2.5(rw)\n",
        "f");
    REQUIRE(p.entries.size() == 4);
    CHECK(p.entries[0].path == "/srv/sp ace");
    CHECK(p.entries[1].path == "/srv/sp ace");
    CHECK(p.entries[2].path == "/srv/ha#sh");
    CHECK(p.entries[3].path == "/srv/q\"uote");
}

TEST_CASE("parser: backslash-newline continues an entry but separates tokens", "[nfs][parser]") {
    // Measured with nfs-utils 2.6.2: "/tmp/ovl/sp\<newline>\040ace" became path /tmp/ovl/sp and
    // host " ace"; a continuation between clients works as expected.
    auto p = parseExports("/srv/a 192.0.2.6(rw) \\\n  192.0.2.7(ro)\n/srv/b 192.0.2.8(rw)\n", "f");
    REQUIRE(p.entries.size() == 2);
    REQUIRE(p.entries[0].clients.size() == 2);
    CHECK(p.entries[0].clients[1].host == "192.0.2.7");
    CHECK(p.entries[1].line == 3);
    auto q = parseExports("/srv/sp\\\n\\040ace 192.0.2.6(rw)\n", "f");
    REQUIRE(q.entries.size() == 1);
    CHECK(q.entries[0].path == "/srv/sp");
    CHECK(q.entries[0].clients[0].host == " ace");
}

TEST_CASE(
    "parser: octal escapes (backslash ooo) are decoded in every token, as nfs-utils' xgettok does",
    "[nfs][parser]") {
    // nfs-utils 2.6 support/nfs/xio.c xgettok() decodes \ooo (< 0400) in each token as it is read,
    // for hosts as well as paths, before "(" is looked for; a decoded NUL ends the C string.
    auto p = parseExports("/srv/a 192.0.2.6\\050rw\\051\n/srv/b\\000x 192.0.2.7(ro)\n", "f");
    REQUIRE(p.entries.size() == 2);
    REQUIRE(p.entries[0].clients.size() == 1);
    CHECK(p.entries[0].clients[0].host == "192.0.2.6");
    CHECK(p.entries[0].clients[0].options == std::vector<std::string>{"rw"});
    CHECK(p.entries[1].path == "/srv/b");
}

TEST_CASE("parser: -options are defaults for every client", "[nfs][parser]") {
    auto p = parseExports("/srv/a -ro,sync 192.0.2.1 192.0.2.2(rw)\n", "f");
    REQUIRE(p.entries.size() == 1);
    REQUIRE(p.entries[0].clients.size() == 2);
    CHECK(p.entries[0].clients[0].options == std::vector<std::string>{"ro", "sync"});
    CHECK_FALSE(p.entries[0].clients[0].ownOptions);
    CHECK(p.entries[0].clients[1].options == std::vector<std::string>{"ro", "sync", "rw"});
}

TEST_CASE("parser: a space before ( exports to the world", "[nfs][parser]") {
    // docs/nfs.md: `path 10.0.0.5 (rw)` exports to the world (exportfs -v shows <world>).
    auto p = parseExports("/srv/a 192.0.2.5 (rw)\n", "/etc/exports");
    REQUIRE(p.entries.size() == 1);
    REQUIRE(p.entries[0].clients.size() == 2);
    CHECK(p.entries[0].clients[0].host == "192.0.2.5");
    CHECK(p.entries[0].clients[0].options.empty());
    CHECK(p.entries[0].clients[1].host == "*");
    CHECK(p.entries[0].clients[1].worldBySpace);
    REQUIRE_FALSE(p.diagnostics.empty());
    CHECK(p.diagnostics[0].message.find("world") != std::string::npos);
    CHECK_FALSE(p.diagnostics[0].error);
}

TEST_CASE("parser: errors name file and line, later lines are still read", "[nfs][parser]") {
    auto p = parseExports(
        "/srv/a 192.0.2.1(rw,bogus)\n/srv/b 192.0.2.2(rw\nrelative 192.0.2.3(rw)\n"
        "/srv/c 192.0.2.4(rw)\n",
        "/etc/exports.d/x.exports");
    CHECK(p.hasErrors());
    REQUIRE(p.diagnostics.size() == 3);
    CHECK(p.diagnostics[0].line == 1);
    CHECK(p.diagnostics[0].message.find("bogus") != std::string::npos);
    CHECK(p.diagnostics[0].file == "/etc/exports.d/x.exports");
    CHECK(p.diagnostics[1].line == 2);
    CHECK(p.diagnostics[2].line == 3);
    REQUIRE(p.entries.size() == 1);
    CHECK(p.entries[0].path == "/srv/c");
}

TEST_CASE("parser: option helpers", "[nfs][parser]") {
    std::vector<std::string> o{"rw", "fsid=0", "crossmnt", "fsid=7"};
    CHECK(hasOption(o, "fsid"));
    CHECK(hasOption(o, "crossmnt"));
    CHECK_FALSE(hasOption(o, "ro"));
    CHECK(optionValue(o, "fsid") == "7");
    CHECK(isKnownExportOption("no_root_squash"));
    CHECK(isKnownExportOption("sec=krb5p"));
    CHECK_FALSE(isKnownExportOption("bogus"));
    CHECK(unescapeOctal("a\\040b\\\\c") == "a b\\\\c");
}
