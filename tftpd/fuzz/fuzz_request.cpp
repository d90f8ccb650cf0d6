// libFuzzer target: the request parser, option negotiation and the path resolver, on a small
// tree with an escaping symlink. Invariant checked: whatever is opened lies inside the root.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "negotiation.h"
#include "path_resolver.h"
#include "rpinetboot/tftp/packet.h"

using namespace rpinetboot;
using namespace rpinetboot::tftpd;

namespace {

struct Tree {
    std::string root;
    std::string secret;
    std::optional<PathResolver> plain;
    std::optional<PathResolver> folding;

    Tree() {
        char tmpl[] = "/tmp/rpinb-fuzz-XXXXXX";
        std::string base = ::mkdtemp(tmpl);
        root = base + "/root";
        secret = base + "/secret";
        ::mkdir(root.c_str(), 0755);
        ::mkdir(secret.c_str(), 0755);
        ::mkdir((root + "/bf9fed6f").c_str(), 0755);
        ::mkdir((root + "/shared").c_str(), 0755);
        auto write = [](const std::string& p) {
            int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
            if (fd >= 0) {
                (void)!::write(fd, "x", 1);
                ::close(fd);
            }
        };
        write(root + "/bf9fed6f/start4.elf");
        write(root + "/shared/Config.TXT");
        write(secret + "/passwd");
        (void)!::symlink("../shared", (root + "/dc-a6-32-01-36-c2").c_str());
        (void)!::symlink(secret.c_str(), (root + "/escape").c_str());
        (void)!::symlink("../../secret/passwd", (root + "/shared/up").c_str());
        std::string error;
        ResolverConfig config;
        config.root = root;
        plain = PathResolver::create(config, &error);
        config.caseInsensitive = true;
        folding = PathResolver::create(config, &error);
        if (!plain || !folding) std::abort();
    }
};

void checkInside(const ResolveResult& r, const std::string& root) {
    if (!r.file) return;
    if (r.file->serverPath.compare(0, root.size() + 1, root + "/") != 0) std::abort();
    if (!S_ISREG(r.file->st.st_mode)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Tree tree;
    ByteSpan packet(data, size);
    auto req = tftp::parseRequest(packet);
    (void)tftp::parseAck(packet);
    (void)tftp::parseError(packet);
    (void)tftp::parseOack(packet);
    if (!req) return 0;
    NegotiationLimits limits;
    limits.maxBlockSize = 1468;
    auto n = negotiate(req->options, limits, 12345);
    if (n.blockSize < kMinBlockSize || n.blockSize > 1468 || n.windowSize < 1 ||
        n.windowSize > limits.maxWindowSize || n.oack.size() > 4) {
        std::abort();
    }
    checkInside(tree.plain->resolve(req->filename, "192.0.2.10"), tree.root);
    checkInside(tree.folding->resolve(req->filename, "192.0.2.10"), tree.root);
    return 0;
}
