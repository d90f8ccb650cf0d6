// provision: a per-Pi root cloned from a base root, made to boot from NFS, then exported.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "app.h"
#include "files.h"
#include "process.h"
#include "root_tree.h"
#include "rpinetboot/nfs/boot_files.h"
#include "rpinetboot/nfs/host_identity.h"
#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::nfs {

namespace {

// True if `path` (canonical) is the directory `dirFd` or below it.
bool insideOf(const std::string& path, int dirFd) {
    struct stat d;
    if (fstat(dirFd, &d) != 0) return false;
    std::string p = path;
    while (true) {
        struct stat st;
        if (stat(p.c_str(), &st) == 0 && st.st_dev == d.st_dev && st.st_ino == d.st_ino)
            return true;
        if (p == "/" || p.empty()) return false;
        auto slash = p.rfind('/');
        p = slash == 0 ? "/" : p.substr(0, slash);
    }
}

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

// Raspberry Pi OS's first-boot unit that makes new SSH host keys (raspberrypi-sys-mods); it
// disables itself after one run, so a base root that has booted has it installed but no longer
// enabled.
const char* const kRegenUnit = "regenerate_ssh_host_keys.service";

// New SSH host keys for a copy whose old ones were removed: Raspberry Pi OS's own unit makes them
// on the Pi's first boot when the copy has it; Debian regenerates none at boot, so ssh-keygen -A
// makes them now, into the copy through its directory descriptor.
void renewSshHostKeys(const RootTree& tree, const Reporter& rep) {
    for (const char* dir : {"usr/lib/systemd/system", "lib/systemd/system"}) {
        std::string d(dir);
        if (d.compare(0, 4, "lib/") == 0 && tree.kind("lib") != RootTree::Kind::Directory)
            continue;  // merged /usr: lib is a symlink to usr/lib, already looked at
        if (tree.kind(d + "/" + kRegenUnit) == RootTree::Kind::Missing) continue;
        tree.makeDirs("etc/systemd/system/multi-user.target.wants");
        tree.symlink(std::string("etc/systemd/system/multi-user.target.wants/") + kRegenUnit,
                     "/" + d + "/" + kRegenUnit);
        rep.info("provision: SSH host keys: the Pi makes new ones on first boot (" +
                 std::string(kRegenUnit) + " enabled)");
        return;
    }
    if (tree.kind("etc/ssh/sshd_config") == RootTree::Kind::Missing) return;  // no SSH server
    if (access("/usr/bin/ssh-keygen", X_OK) != 0) {
        rep.warn(
            "the copy has no SSH host keys and ssh-keygen is not installed here (package "
            "openssh-client): its SSH server will not start until you run ssh-keygen -A -f "
            "on the Pi's root");
        return;
    }
    std::string prefix = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(tree.fd());
    auto r = runProcess({"/usr/bin/ssh-keygen", "-A", "-f", prefix}, std::chrono::minutes(2));
    if (r.exitCode != 0)
        throw SystemError("ssh-keygen -A for the copy failed (" +
                          (r.output.empty() ? r.error : r.output) +
                          "): the copy has no SSH host keys");
    rep.info("provision: SSH host keys: new ones made with ssh-keygen -A");
}

// Files that make a machine an individual (host_identity.h): reset so that no two Pis share them.
void resetIdentity(const RootTree& tree, const Reporter& rep) {
    bool hadSshKeys = false;
    for (const auto& entry : hostIdentityFiles()) {
        auto dirKind = tree.kind(entry.dir);
        // A linked directory keeps its files elsewhere: they cannot be reset in this copy, and
        // silently leaving them shared is what this step exists to prevent.
        if (dirKind == RootTree::Kind::Symlink)
            throw SystemError("/" + entry.dir +
                              " is a symlink in the base root: its per-machine files cannot be "
                              "reset in the copy (make it a directory in the base root)");
        if (dirKind != RootTree::Kind::Directory) continue;
        for (const auto& name : tree.list(entry.dir)) {
            if (!identityMatches(entry, name)) continue;
            std::string rel = entry.dir + "/" + name;
            auto kind = tree.kind(rel);
            if (kind == RootTree::Kind::Directory)
                throw SystemError(rel + " is a directory: cannot reset it");
            switch (entry.action) {
                case IdentityAction::Empty:
                    if (kind != RootTree::Kind::File) tree.remove(rel);
                    tree.write(rel, "");
                    break;
                case IdentityAction::LinkToMachineId:
                    tree.symlink(rel, "/etc/machine-id");
                    break;
                case IdentityAction::Remove:
                    tree.remove(rel);
                    if (entry.dir == "etc/ssh") hadSshKeys = true;
                    break;
            }
            rep.info("provision: reset /" + rel);
        }
    }
    if (hadSshKeys) renewSshHostKeys(tree, rep);
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
    resetIdentity(tree, rep);
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
    // The base root is opened once, without following a final symlink, and copied through that
    // descriptor: a link (or a swap of the path after the check) cannot redirect the copy, and
    // nothing is ever opened for writing under --from.
    // "link/" and "link/." would resolve the link before O_NOFOLLOW sees it: name it bare.
    std::string from = req.from;
    while (true) {
        if (from.size() > 1 && from.back() == '/')
            from.pop_back();
        else if (from.size() > 2 && from.compare(from.size() - 2, 2, "/.") == 0)
            from.resize(from.size() - 2);
        else
            break;
    }
    UniqueFd src(open(from.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (src.get() < 0) {
        struct stat lst;
        bool link = lstat(from.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
        rep.error("base root " + req.from +
                  (link ? " is a symbolic link: give the directory itself (refused, so that "
                          "nothing can be written through it)"
                        : " is not a directory"));
        return kInvalid;
    }
    auto base = canonicalPath(cfg.base);
    if (!base) {
        rep.error("base directory " + cfg.base + " does not exist (set it with --base)");
        return kInvalid;
    }
    UniqueFd baseFd(open(base->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (baseFd.get() < 0) {
        int e = errno;
        rep.error("cannot open the base directory " + *base + ": " + std::strerror(e));
        return kSystem;
    }
    if (insideOf(*base, src.get())) {
        rep.error("the base directory " + *base + " is inside the base root " + req.from +
                  ": the copy would contain itself and every other Pi's root (to copy a live "
                  "system, keep the Pi roots on a file system of their own and copy a bind "
                  "mount of its root: mount --bind / /mnt/golden)");
        return kInvalid;
    }
    std::string name = serial->str();
    std::string dest = *base + "/" + name;
    // The copy will live on the base's file system: a refusal comes before hours of copying (the
    // warning alone comes from `add`, once).
    PiExport planned;
    planned.serial = *serial;
    planned.path = *base;
    planned.options = buildOptions(req.options).options;
    try {
        if (cfg.requireNosuidNodev)
            if (int rc = checkMountOptions(cfg, rep, {planned}); rc != kOk) return rc;
    } catch (const SystemError& e) {
        rep.error(e.what());
        return kSystem;
    }
    NfsRootSpec spec{req.server, dest, req.nfsVersion};
    if (auto probe = rewriteCmdline("", spec); !probe.error.empty()) {
        rep.error(probe.error);
        return kInvalid;
    }
    struct stat st;
    if (fstatat(baseFd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        rep.error(dest + " already exists: remove it first or use `add` to export it");
        return kConflict;
    }
    std::string stageName = "." + name + ".provisioning";
    std::string stage = *base + "/" + stageName;
    // The stage is created here (0700, never through a link) and copied into through its own
    // descriptor; cp -a then gives it the base root's owner and mode.
    if (mkdirat(baseFd.get(), stageName.c_str(), 0700) != 0) {
        int e = errno;
        if (e == EEXIST) {
            rep.error(stage + " exists (an interrupted provision?): remove it first");
            return kConflict;
        }
        rep.error("cannot create " + stage + ": " + std::strerror(e));
        return kSystem;
    }
    auto discard = [&] {
        runProcess({"/bin/rm", "-rf", "--one-file-system", "--", stage}, std::chrono::hours(1));
    };
    try {
        RootTree tree(baseFd.get(), stageName, stage);
        // cp -a keeps owners, modes, ACLs, xattrs, hard links, sparse files and symlinks (as
        // links, never followed); --reflink=auto shares blocks on btrfs/XFS. -T with "/." copies
        // the contents of one directory into the other. The /proc/PID/fd names are the
        // descriptors opened above, so cp reads and writes exactly those directories.
        std::string self = "/proc/" + std::to_string(getpid()) + "/fd/";
        auto cp = runProcess(
            {"/bin/cp", "-aT", "--reflink=auto", "--", self + std::to_string(src.get()) + "/.",
             self + std::to_string(tree.fd()) + "/."},
            std::chrono::hours(6));
        if (cp.exitCode != 0) {
            rep.error("copying " + req.from +
                      " failed: " + (cp.output.empty() ? cp.error : cp.output));
            discard();
            return kSystem;
        }
        personalise(tree, spec, hostname, rep);
    } catch (const SystemError& e) {
        rep.error(std::string("preparing the copy: ") + e.what());
        discard();
        return kSystem;
    }
    // RENAME_NOREPLACE: a directory made at dest meanwhile is not silently replaced.
    if (renameat2(baseFd.get(), stageName.c_str(), baseFd.get(), name.c_str(), RENAME_NOREPLACE) !=
        0) {
        int e = errno;
        rep.error("cannot rename " + stage + " to " + dest + ": " + std::strerror(e) +
                  " (the copy is left in " + stage + ")");
        return e == EEXIST ? kConflict : kSystem;
    }
    rep.info("provisioned " + dest + " from " + req.from + " (hostname " + hostname + ")");
    AddRequest add{req.serial, dest, req.client, req.options, req.nfsVersion};
    int rc = cmdAdd(cfg, rep, add);
    if (rc != kOk)
        rep.error("the root " + dest + " is ready but not exported; fix the error and run `add`");
    return rc;
}

}  // namespace rpinetboot::nfs
