// libFuzzer target: the request parser, option negotiation and the path resolver, on a small
// tree with an escaping symlink, a FIFO, and a layout whose Pis planted links to each other.
// Invariants checked: whatever is opened is a regular file inside the root, or inside the Pi's
// own layout directory named by the request's first component, and never in a pinned tree.
#include <fcntl.h>
#include <strings.h>
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
    std::string layout;  // <base>/srv: one directory per Pi
    std::optional<PathResolver> plain;
    std::optional<PathResolver> folding;
    std::optional<PathResolver> layered;

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
        (void)!::mkfifo((root + "/bf9fed6f/fifo").c_str(), 0644);
        layout = base + "/srv";
        for (const char* pi : {"1234abcd", "5678abcd"}) {
            const std::string dir = layout + "/" + pi;
            ::mkdir(layout.c_str(), 0755);
            ::mkdir(dir.c_str(), 0755);
            ::mkdir((dir + "/boot").c_str(), 0755);
            ::mkdir((dir + "/etc").c_str(), 0755);
            write(dir + "/boot/kernel8.img");
            write(dir + "/etc/shadow");
        }
        // Planted by the Pis in their own boot directories.
        (void)!::symlink("../../5678abcd", (layout + "/1234abcd/boot/peer").c_str());
        (void)!::symlink("../etc", (layout + "/1234abcd/boot/own").c_str());
        (void)!::symlink((layout + "/1234abcd").c_str(), (layout + "/5678abcd/boot/peer").c_str());
        (void)!::symlink("../../../root", (layout + "/5678abcd/boot/root").c_str());
        std::string error;
        ResolverConfig config;
        config.root = root;
        plain = PathResolver::create(config, &error);
        config.caseInsensitive = true;
        folding = PathResolver::create(config, &error);
        config.layout = layout + "/{serial}/boot/{path}";
        config.pins["5678ABCD"] = {"192.0.2.20"};
        layered = PathResolver::create(config, &error);
        if (!plain || !folding || !layered) std::abort();
    }
};

bool under(const std::string& path, const std::string& dir) {
    return path.compare(0, dir.size() + 1, dir + "/") == 0;
}

void checkInside(const ResolveResult& r, const std::string& root) {
    if (!r.file) return;
    if (!under(r.file->serverPath, root)) std::abort();
    if (!S_ISREG(r.file->st.st_mode)) std::abort();
}

// A layout request for <prefix>/... opens only in the root or in <layout>/<prefix> (any case),
// and never in the tree pinned to another client.
void checkLayout(const ResolveResult& r, const Tree& tree, const std::string& name) {
    if (!r.file) return;
    const std::string& path = r.file->serverPath;
    if (!S_ISREG(r.file->st.st_mode) || under(path, tree.layout + "/5678abcd")) std::abort();
    if (under(path, tree.root)) return;
    if (!under(path, tree.layout)) std::abort();
    const auto parts = splitRequestName(name, nullptr);
    const std::string pi = path.substr(tree.layout.size() + 1, 8);
    if (!parts || parts->empty() || ::strcasecmp((*parts)[0].c_str(), pi.c_str()) != 0) {
        std::abort();
    }
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
    checkLayout(tree.layered->resolve(req->filename, "192.0.2.10"), tree, req->filename);
    return 0;
}
