// exportfs messages as nfs-utils 2.6.2 prints them (captured on Debian 12 in a private namespace).
#include <catch2/catch.hpp>

#include "rpinetboot/nfs/exportfs_output.h"

using namespace rpinetboot::nfs;

TEST_CASE("exportfs output: errors with file:line, warnings, file-less errors", "[nfs][exportfs]") {
    const char* captured =
        "exportfs: No options for /tmp/ovl/a 192.0.2.5: suggest 192.0.2.5(sync) to avoid warning\n"
        "exportfs: /etc/exports [1]: Neither 'subtree_check' or 'no_subtree_check' specified for "
        "export \"192.0.2.5:/tmp/ovl/a\".\n"
        "  Assuming default behaviour ('no_subtree_check').\n"
        "  NOTE: this default has changed since nfs-utils version 1.0.x\n"
        "\n"
        "exportfs: /etc/exports.d/foo.exports:2: unknown keyword \"bogus\"\n"
        "\n"
        "exportfs: incompatible duplicated export entries:\n"
        "exportfs: \t192.0.2.2:/tmp/ovl/a (0x425) [IGNORED]\n"
        "exportfs: \t192.0.2.2:/tmp/ovl/a (0x424)\n"
        "exportfs: Failed to stat /nonexist: No such file or directory\n";
    auto m = parseExportfsOutput(captured);
    REQUIRE(m.size() == 5);
    CHECK_FALSE(m[0].error);
    CHECK_FALSE(m[1].error);
    CHECK(m[1].file == "/etc/exports");
    CHECK(m[1].line == 1);
    CHECK(m[2].error);
    CHECK(m[2].file == "/etc/exports.d/foo.exports");
    CHECK(m[2].line == 2);
    CHECK(describe(m[2]) == "/etc/exports.d/foo.exports:2: unknown keyword \"bogus\"");
    CHECK(m[3].error);
    CHECK(m[3].file.empty());
    CHECK(m[3].text.find("[IGNORED]") != std::string::npos);
    CHECK(m[4].error);
    CHECK(m[4].text.find("/nonexist") != std::string::npos);
}

TEST_CASE("exportfs output: lines corrected by our parser, exportfs skips comment lines",
          "[nfs][exportfs]") {
    // Measured (nfs-utils 2.6.2, Debian 12): for this file exportfs printed
    // "/etc/exports.d/a.exports:2: unknown keyword \"bogus\"" although the bad line is line 4.
    const char* file = "# c\n# c2\n/tmp 192.0.2.1(rw,no_subtree_check)\n/tmp 192.0.2.2(rw,bogus)\n";
    auto parsed = parseExports(file, "/etc/exports.d/a.exports");
    auto msgs = parseExportfsOutput(
        "exportfs: /etc/exports.d/a.exports:2: unknown keyword \"bogus\"\n"
        "exportfs: /etc/exports.d/other.exports:7: unknown keyword \"x\"\n"
        "exportfs: Failed to stat /srv/x: No such file or directory\n");
    correctExportfsLines(msgs, parsed.diagnostics);
    REQUIRE(msgs.size() == 3);
    CHECK(msgs[0].line == 4);
    CHECK(describe(msgs[0]) == "/etc/exports.d/a.exports:4: unknown keyword \"bogus\"");
    CHECK(msgs[1].line == 7);  // nothing of ours to go by: exportfs's number stays
    CHECK(msgs[2].file.empty());
}

TEST_CASE("exportfs judgement: our entry bad vs a foreign file already broken", "[nfs][exportfs]") {
    const std::string ours = "/etc/exports.d/rpi-netboot.exports";
    auto err = [](std::string file, int line, std::string text) {
        ExportfsMessage m;
        m.file = std::move(file);
        m.line = line;
        m.text = std::move(text);
        return m;
    };
    CHECK(judgeExportfs({}, {}, ours).verdict == ExportfsVerdict::Ok);

    auto j = judgeExportfs({err(ours, 4, "unknown keyword \"x\"")}, {}, ours);
    CHECK(j.verdict == ExportfsVerdict::OursRejected);
    REQUIRE(j.ours.size() == 1);
    CHECK(j.ours[0] == "our entry is rejected by exportfs: " + ours + ":4: unknown keyword \"x\"");

    // A file-less error that appears only with our file ("incompatible duplicated export
    // entries") is our change's fault too.
    j = judgeExportfs({err("", 0, "incompatible duplicated export entries")}, {}, ours);
    CHECK(j.verdict == ExportfsVerdict::OursRejected);
    CHECK(j.ours.at(0).find("exportfs fails with our change") == 0);

    // The same foreign error with and without us: someone else's file is broken, and only that
    // is reported (ours is fine).
    auto foreign = err("/etc/exports.d/b.exports", 3, "unknown keyword \"bogus\"");
    j = judgeExportfs({foreign}, {foreign}, ours);
    CHECK(j.verdict == ExportfsVerdict::ForeignBroken);
    CHECK(j.ours.empty());
    REQUIRE(j.foreign.size() == 1);
    CHECK(j.foreign[0] ==
          "foreign exports already broken: /etc/exports.d/b.exports:3: unknown keyword "
          "\"bogus\" (fix /etc/exports.d/b.exports line 3)");
}
