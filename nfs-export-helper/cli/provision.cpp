// provision: a per-Pi root cloned from a base root, made to boot from NFS, then exported.
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>

#include "app.h"
#include "files.h"
#include "process.h"
#include "root_tree.h"
#include "rpinetboot/nfs/boot_files.h"

namespace rpinetboot::nfs {

namespace {

bool validHostname(const std::string& h) {
    if (h.empty() || h.size() > 63 || h.front() == '-' || h.back() == '-') return false;
    for (char c : h)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    return true;
}

std::string rewriteHosts(const std::string& hosts, const std::string& hostname) {
    std::string out;
    std::size_t start = 0;
    bool replaced = false;
    while (start < hosts.size()) {
        auto nl = hosts.find('\n', start);
        std::string line = hosts.substr(start, nl == std::string::npos ? nl : nl - start);
        if (line.compare(0, 9, "127.0.1.1") == 0 && line.size() > 9 &&
            (line[9] == ' ' || line[9] == '\t')) {
            line = "127.0.1.1\t" + hostname;
            replaced = true;
        }
        out += line + "\n";
        start = nl == std::string::npos ? hosts.size() : nl + 1;
    }
    if (!replaced) out += "127.0.1.1\t" + hostname + "\n";
    return out;
}

// The edits that make a clone an individual Pi that boots from NFS.
void personalise(const RootTree& tree, const NfsRootSpec& spec, const std::string& hostname,
                 const Reporter& rep) {
    bool cmdline = false;
    for (const char* rel : {"boot/firmware/cmdline.txt", "boot/cmdline.txt"}) {
        auto text = tree.read(rel);
        if (!text) continue;
        auto r = rewriteCmdline(*text, spec);
        if (!r.error.empty()) throw SystemError(r.error);
        tree.write(rel, r.text);
        rep.info("provision: " + std::string(rel) + ": " + r.text.substr(0, r.text.size() - 1));
        cmdline = true;
    }
    if (!cmdline)
        rep.warn(
            "no boot/firmware/cmdline.txt or boot/cmdline.txt in the copy: write the "
            "Pi's cmdline.txt (in its TFTP directory) with root=/dev/nfs nfsroot=" +
            spec.server + ":" + spec.path + ",vers=" + std::to_string(spec.version) +
            ",tcp rw ip=dhcp rootwait");
    if (auto fstab = tree.read("etc/fstab")) tree.write("etc/fstab", rewriteFstab(*fstab));
    // An empty machine-id makes systemd generate a new one on first boot; clones must not share it.
    if (tree.read("etc/machine-id")) tree.write("etc/machine-id", "");
    for (const auto& n : tree.list("etc/ssh"))
        if (n.compare(0, 9, "ssh_host_") == 0 &&
            (n.size() > 4 && (n.compare(n.size() - 4, 4, "_key") == 0 ||
                              (n.size() > 8 && n.compare(n.size() - 8, 8, "_key.pub") == 0))))
            tree.remove("etc/ssh/" + n);
    tree.write("etc/hostname", hostname + "\n");
    auto hosts = tree.read("etc/hosts");
    tree.write("etc/hosts", rewriteHosts(hosts ? *hosts : "127.0.0.1\tlocalhost\n", hostname));
}

}  // namespace

int cmdProvision(const Config& cfg, const Reporter& rep, const ProvisionRequest& req) {
    auto serial = Serial::parse(req.serial);
    if (!serial) {
        rep.error("serial \"" + req.serial +
                  "\" is not a Raspberry Pi serial (8 hex digits, e.g. bf9fed6f)");
        return kInvalid;
    }
    std::string hostname = req.hostname.empty() ? "pi-" + serial->str() : req.hostname;
    if (!validHostname(hostname)) {
        rep.error("hostname \"" + hostname + "\" is not a valid host name");
        return kInvalid;
    }
    if (!parseClient(req.client)) {
        rep.error("client \"" + req.client + "\" is not an IPv4 address or CIDR");
        return kInvalid;
    }
    if (auto o = buildOptions(req.options); !o.error.empty()) {
        rep.error(o.error);
        return kInvalid;
    }
    struct stat st;
    if (stat(req.from.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        rep.error("base root " + req.from + " is not a directory");
        return kInvalid;
    }
    auto base = canonicalPath(cfg.base);
    if (!base) {
        rep.error("base directory " + cfg.base + " does not exist (set it with --base)");
        return kInvalid;
    }
    std::string dest = *base + "/" + serial->str();
    NfsRootSpec spec{req.server, dest, req.nfsVersion};
    if (auto probe = rewriteCmdline("", spec); !probe.error.empty()) {
        rep.error(probe.error);
        return kInvalid;
    }
    if (lstat(dest.c_str(), &st) == 0) {
        rep.error(dest + " already exists: remove it first or use `add` to export it");
        return kConflict;
    }
    std::string stage = *base + "/." + serial->str() + ".provisioning";
    if (lstat(stage.c_str(), &st) == 0) {
        rep.error(stage + " exists (an interrupted provision?): remove it first");
        return kConflict;
    }
    // cp -a keeps owners, modes, ACLs, xattrs, hard links and sparse files; --reflink=auto shares
    // blocks on btrfs/XFS. -T copies the tree itself, not into an existing directory.
    auto cp = runProcess({"/bin/cp", "-aT", "--reflink=auto", "--", req.from, stage},
                         std::chrono::hours(6));
    if (cp.exitCode != 0) {
        rep.error("copying " + req.from + " failed: " + (cp.output.empty() ? cp.error : cp.output));
        runProcess({"/bin/rm", "-rf", "--one-file-system", "--", stage}, std::chrono::hours(1));
        return kSystem;
    }
    try {
        RootTree tree(stage);
        personalise(tree, spec, hostname, rep);
    } catch (const SystemError& e) {
        rep.error(std::string("preparing the copy: ") + e.what());
        runProcess({"/bin/rm", "-rf", "--one-file-system", "--", stage}, std::chrono::hours(1));
        return kSystem;
    }
    if (std::rename(stage.c_str(), dest.c_str()) != 0) {
        rep.error("cannot rename " + stage + " to " + dest);
        return kSystem;
    }
    rep.info("provisioned " + dest + " from " + req.from + " (hostname " + hostname + ")");
    AddRequest add{req.serial, dest, req.client, req.options, req.nfsVersion};
    int rc = cmdAdd(cfg, rep, add);
    if (rc != kOk)
        rep.error("the root " + dest + " is ready but not exported; fix the error and run `add`");
    return rc;
}

}  // namespace rpinetboot::nfs
