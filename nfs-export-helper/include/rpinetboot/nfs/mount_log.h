// Mounts of the Pis' roots as rpc.mountd logs them, turned into NFS_MOUNT boot events
// (rpi-nfs-exports watch-mounts). rpc.mountd (nfs-utils) logs every NFSv3 MNT request at its
// default level, e.g. (nfs-utils 2.6.2, measured):
//   rpc.mountd: authenticated mount request from 192.0.2.10:850 for /srv/rpi/1a2b3c04
//   (/srv/rpi/1a2b3c04) rpc.mountd: refused mount request from 192.0.2.10 for /srv/rpi/x (/): not
//   exported
// NFSv4 mounts do not go through mountd: nfsd_clients.h sees them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/nfs/pi_export.h"

namespace rpinetboot::nfs {

struct MountRequest {
    std::string address;   // the client's IPv4 address, without the port
    std::string path;      // as the client asked
    std::string realPath;  // as mountd resolved it (the part in brackets)
    bool refused = false;
    std::string reason;                        // why it was refused
    std::optional<std::uint64_t> timestampUs;  // from a journal JSON line's __REALTIME_TIMESTAMP
};

// One line of mountd's log: plain text (stderr, syslog, `journalctl -o cat`) or one JSON object
// of `journalctl -o json` (its MESSAGE and __REALTIME_TIMESTAMP). nullopt for every other line.
std::optional<MountRequest> parseMountLog(std::string_view line);

// The Pi export the request is for: the record whose path is the requested (or resolved) path
// or a directory above it. nullptr when none.
const PiExport* exportForMount(const std::vector<PiExport>& records, const MountRequest& request);

}  // namespace rpinetboot::nfs
