// The table of per-machine files provision resets: names it must and must not match.
#include <catch2/catch.hpp>

#include "rpinetboot/nfs/host_identity.h"

using namespace rpinetboot::nfs;

namespace {
const IdentityFile& entry(const std::string& dir, const std::string& pattern) {
    for (const auto& f : hostIdentityFiles())
        if (f.dir == dir && f.pattern == pattern) return f;
    FAIL("no entry " << dir << "/" << pattern);
    throw;
}
}  // namespace

TEST_CASE("ssh host keys, their public halves and certificates match, sshd_config does not") {
    const auto keys = entry("etc/ssh", "ssh_host_*_key*");  // a copy: GCC 14 -Wdangling-reference
    for (const char* n : {"ssh_host_rsa_key", "ssh_host_ed25519_key.pub",
                          "ssh_host_ecdsa_key-cert.pub", "ssh_host_dsa_key"})
        CHECK(identityMatches(keys, n));
    for (const char* n :
         {"sshd_config", "ssh_config", "moduli", "ssh_host_", ".ssh_host_rsa_key", "ssh_import_id"})
        CHECK_FALSE(identityMatches(keys, n));
}

TEST_CASE("machine-id entries match only that name") {
    const auto id = entry("etc", "machine-id");
    CHECK(id.action == IdentityAction::Empty);
    CHECK(identityMatches(id, "machine-id"));
    CHECK_FALSE(identityMatches(id, "machine-info"));
    CHECK_FALSE(identityMatches(id, "machine-id.bak"));
    CHECK(entry("var/lib/dbus", "machine-id").action == IdentityAction::LinkToMachineId);
}

TEST_CASE("every entry is relative, explained and listed in the help text") {
    auto help = hostIdentityHelp();
    for (const auto& f : hostIdentityFiles()) {
        CHECK(f.dir.front() != '/');
        CHECK_FALSE(f.why.empty());
        CHECK(help.find("/" + f.dir + "/" + f.pattern) != std::string::npos);
    }
    CHECK(help.find("/var/lib/systemd/random-seed (removed)") != std::string::npos);
    CHECK(help.find("/var/lib/systemd/credential.secret (removed)") != std::string::npos);
}
