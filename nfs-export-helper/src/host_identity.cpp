#include "rpinetboot/nfs/host_identity.h"

#include <fnmatch.h>

namespace rpinetboot::nfs {

const std::vector<IdentityFile>& hostIdentityFiles() {
    static const std::vector<IdentityFile> files{
        {"etc", "machine-id", IdentityAction::Empty,
         "systemd writes a new ID into an empty file on the next boot (machine-id(5)); two Pis "
         "with one ID confuse journald, DHCP DUIDs and anything keyed on it"},
        {"var/lib/dbus", "machine-id", IdentityAction::LinkToMachineId,
         "D-Bus's copy of the machine ID; Debian's dbus package makes it this symlink "
         "(/usr/lib/tmpfiles.d/dbus.conf)"},
        {"etc/ssh", "ssh_host_*_key*", IdentityAction::Remove,
         "SSH host keys: clones would share one private key. Raspberry Pi OS makes new ones at "
         "boot with its regenerate_ssh_host_keys service (raspberrypi-sys-mods), enabled in the "
         "copy when present; otherwise provision runs ssh-keygen -A for the copy"},
        {"var/lib/systemd", "random-seed", IdentityAction::Remove,
         "the random seed systemd-random-seed.service loads at boot: a shared seed is shared "
         "entropy; it saves a new one at shutdown (systemd-random-seed.service(8))"},
        {"var/lib/systemd", "credential.secret", IdentityAction::Remove,
         "the host key of systemd-creds encrypted credentials; systemd-creds makes a new one "
         "when it first encrypts (systemd-creds(1), setup)"},
        {"var/lib/dhcpcd", "duid", IdentityAction::Remove,
         "dhcpcd's DHCP Unique Identifier: clones with one DUID take each other's leases; "
         "dhcpcd makes a new one when it is missing"},
        {"var/lib/dhcpcd5", "duid", IdentityAction::Remove,
         "the same, where Raspberry Pi OS before bookworm (Debian's dhcpcd5) keeps it"},
    };
    return files;
}

bool identityMatches(const IdentityFile& entry, std::string_view name) {
    std::string n(name);
    return fnmatch(entry.pattern.c_str(), n.c_str(), FNM_PERIOD) == 0;
}

std::string hostIdentityHelp() {
    std::string out;
    for (const auto& f : hostIdentityFiles()) {
        const char* what = f.action == IdentityAction::Empty             ? "emptied"
                           : f.action == IdentityAction::LinkToMachineId ? "-> /etc/machine-id"
                                                                         : "removed";
        out += "  /" + f.dir + "/" + f.pattern + " (" + what + ")\n";
    }
    return out;
}

}  // namespace rpinetboot::nfs
