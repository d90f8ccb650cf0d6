// Rewrites of a cloned Raspberry Pi OS root so that it boots from NFS: cmdline.txt by tokens and
// etc/fstab by lines. See docs/protocol/boot.md (step 3) and docs/nfs.md.
#pragma once

#include <string>
#include <string_view>

namespace rpinetboot::nfs {

struct NfsRootSpec {
    std::string server;  // dotted-quad IPv4: the kernel has no resolver when it mounts its root
    std::string path;    // the path the client mounts (the NFSv4 path under a pseudo-root)
    int version = 3;
};

struct RewriteResult {
    std::string text;
    std::string error;  // empty when ok
};

// Keeps every token that is not about the root file system (console=, quiet, splash, ...), in
// order; drops root=, rootfstype=, nfsroot=, ip=, rw/ro, rootwait, init= (Raspberry Pi OS's
// firstboot/init_resize) and resize tokens; appends
// "root=/dev/nfs nfsroot=SERVER:PATH,vers=N,tcp rw ip=dhcp rootwait". One line, newline-terminated.
RewriteResult rewriteCmdline(std::string_view original, const NfsRootSpec& spec);

// Comments out the lines that mount the SD card (/, /boot, /boot/firmware from PARTUUID=, UUID=,
// LABEL=, /dev/mmcblk*, /dev/sd*, /dev/nvme*), keeping every other line byte for byte.
std::string rewriteFstab(std::string_view original);

}  // namespace rpinetboot::nfs
