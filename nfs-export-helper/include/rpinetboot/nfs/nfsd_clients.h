// NFSv4 mounts as the kernel NFS server shows them, turned into NFS_MOUNT boot events
// (rpi-nfs-exports watch-mounts). NFSv4 has no MOUNT protocol (RFC 7530 section 1.4.6), so an
// NFSv4 mount never reaches rpc.mountd's log; since Linux 5.3 knfsd keeps one directory per
// NFSv4 client in /proc/fs/nfsd/clients/<id>/ (fs/nfsd/nfs4state.c, client_info_show and
// states_show) with these files:
//   info    "clientid: 0x...", "address: \"192.0.2.10:876\"" (%pISpc), "status: confirmed",
//           "name: \"...\"", "minor version: 1", "callback state: UP", ... one "key: value" a line
//   states  one line per open, lock, delegation or layout: "- 0x...: { type: open, access: r-,
//           deny: --, superblock: \"00:1a:1234\", filename: \"sbin/init\", owner: \"...\" }"
//           where superblock is the file system's device (major:minor in hex) and the inode.
// Parsing and matching are here; reading the directory is cli/nfsd_clients_watch.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/nfs/pi_export.h"

namespace rpinetboot::nfs {

// Larger files are refused: a real info file is well under 4 KiB (client names are at most 1 KiB,
// RFC 8881 section 18.35), a states file grows by about 200 bytes per open file.
constexpr std::size_t kMaxInfoBytes = 16 * 1024;
constexpr std::size_t kMaxStatesBytes = 1024 * 1024;

struct NfsdClientInfo {
    std::string clientId;   // "0x5f3a1b2c00000001" as printed
    std::string address;    // dotted IPv4, without the port
    std::string status;     // "confirmed", "unconfirmed", "courtesy", "expirable"
    int minorVersion = -1;  // 0 (NFSv4.0), 1 or 2
};

// The info file. False with `error` for input that is not such a file: oversized, a line without
// "key: ", no or a bad address (an IPv6 client is an error too: the Pis' roots are exported to
// IPv4 clients), no minor version or one outside 0..2. Unknown keys are ignored (newer kernels
// add some).
bool parseNfsdClientInfo(std::string_view text, NfsdClientInfo& out, std::string& error);

struct NfsdState {
    std::string type;               // "open", "lock", "deleg", "layout"
    unsigned major = 0, minor = 0;  // the device of the file's file system
    std::uint64_t inode = 0;
};

// The states file: one NfsdState per line. False with `error` when oversized or when a line is
// not "- STATEID: { type: T, ..., superblock: \"MAJ:MIN:INO\", ... }".
bool parseNfsdStates(std::string_view text, std::vector<NfsdState>& out, std::string& error);

// The Pi whose export a client at `address` may mount: the record exported to exactly that
// address, else the only record whose network contains it. nullptr when none or ambiguous.
const PiExport* exportForClient(const std::vector<PiExport>& records, std::string_view address);

// Whether one of the client's states is a file on the device major:minor (the Pi root's).
bool statesOnDevice(const std::vector<NfsdState>& states, unsigned major, unsigned minor);

// "vers=4.1": the minor version as nfsroot=/mount(8) write it, the event's text.
std::string nfsVersionText(int minorVersion);

// The clients already handled (an event was emitted, or they are not a Pi's), so that each gets
// at most one event, not one per poll. Bounded: keys of clients that left the directory are
// dropped at every poll (retain), and at most `capacity` are kept.
class SeenClients {
  public:
    explicit SeenClients(std::size_t capacity) : capacity_(capacity) {}
    bool contains(const std::string& key) const;
    // False when full (the caller reports it; the client is then looked at again next poll).
    bool insert(const std::string& key);
    // Keeps only the keys in `present` (sorted).
    void retain(const std::vector<std::string>& present);
    std::size_t size() const { return keys_.size(); }

  private:
    std::size_t capacity_;
    std::vector<std::string> keys_;  // sorted
};

}  // namespace rpinetboot::nfs
