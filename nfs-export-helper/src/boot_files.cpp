#include "rpinetboot/nfs/boot_files.h"

#include <sstream>
#include <vector>

#include "rpinetboot/nfs/client_net.h"
#include "rpinetboot/util/ipv4.h"

namespace rpinetboot::nfs {

namespace {

bool startsWith(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

bool dropToken(std::string_view t) {
    for (auto p : {"root=", "rootfstype=", "nfsroot=", "ip=", "init=", "rootflags="})
        if (startsWith(t, p)) return true;
    if (t == "rw" || t == "ro" || t == "rootwait" || t == "resize") return true;
    // Raspberry Pi OS resize helpers, whatever their spelling (e.g. "resize", "init_resize.sh").
    return t.find("resize") != std::string_view::npos;
}

bool isSdDevice(std::string_view spec) {
    for (auto p : {"PARTUUID=", "UUID=", "LABEL=", "PARTLABEL=", "/dev/mmcblk", "/dev/sd",
                   "/dev/nvme", "/dev/disk/"})
        if (startsWith(spec, p)) return true;
    return false;
}

}  // namespace

RewriteResult rewriteCmdline(std::string_view original, const NfsRootSpec& spec) {
    RewriteResult r;
    if (!parseIpv4(spec.server)) {
        r.error = "NFS server \"" + spec.server +
                  "\" must be an IPv4 address: the kernel mounts its root before it has a resolver";
        return r;
    }
    if (spec.path.empty() || spec.path.front() != '/') {
        r.error = "nfsroot path \"" + spec.path + "\" is not absolute";
        return r;
    }
    for (char c : spec.path)
        if (c == ' ' || c == ',' || c == '\t' || c == '"' || c == '\n') {
            r.error =
                "nfsroot path \"" + spec.path +
                "\" contains a space, comma or quote, which the kernel command line cannot carry";
            return r;
        }
    if (spec.version != 3 && spec.version != 4) {
        r.error = "NFS version must be 3 or 4";
        return r;
    }
    std::vector<std::string> kept;
    std::istringstream in{std::string(original)};
    std::string tok;
    while (in >> tok)
        if (!dropToken(tok)) kept.push_back(tok);
    kept.push_back("root=/dev/nfs");
    kept.push_back("nfsroot=" + spec.server + ":" + spec.path +
                   ",vers=" + std::to_string(spec.version) + ",tcp");
    kept.push_back("rw");
    kept.push_back("ip=dhcp");
    kept.push_back("rootwait");
    for (std::size_t i = 0; i < kept.size(); ++i) r.text += (i ? " " : "") + kept[i];
    r.text += "\n";
    return r;
}

std::string rewriteFstab(std::string_view original) {
    std::string out;
    std::size_t start = 0;
    while (start < original.size()) {
        auto nl = original.find('\n', start);
        bool hasNl = nl != std::string_view::npos;
        auto line = original.substr(start, hasNl ? nl - start : original.npos);
        std::istringstream fields{std::string(line)};
        std::string spec, mountPoint;
        fields >> spec >> mountPoint;
        bool drop = !spec.empty() && spec[0] != '#' && isSdDevice(spec) &&
                    (mountPoint == "/" || mountPoint == "/boot" || mountPoint == "/boot/firmware");
        if (drop) out += "# rpi-nfs-exports: root is on NFS, SD card line disabled: ";
        out += line;
        if (hasNl) out += "\n";
        start = hasNl ? nl + 1 : original.size();
    }
    return out;
}

}  // namespace rpinetboot::nfs
