// NFS mounts as nfs-ganesha shows them, turned into NFS_MOUNT boot events
// (rpi-nfs-exports watch-mounts). Ganesha keeps its clients in user space: its D-Bus client
// manager (object /org/ganesha/nfsd/ClientMgr, interface org.ganesha.nfsd.clientmgr, method
// ShowClients; nfs-ganesha src/support/client_mgr.c, V4.3) answers
//   (tt) a(s((sb)(sb)...)(tt))
// the reply's time (seconds, nanoseconds; CLOCK_REALTIME), then one struct per client: its
// address as inet_ntop prints it ("::ffff:192.0.2.10" for an IPv4 client of ganesha's dual-stack
// socket), one (name, used) pair per protocol ganesha was built with ("NFSv3", "MNT", "NMLv4",
// "RQUOTA", "NFSv40", "NFSv41", "NFSv42", "9P"; src/support/server_stats.c,
// server_stats_summary), and the time of the client's latest request. docs/nfs.md has a real
// reply. Decoding the D-Bus message is cli/ganesha_clients_watch.cpp; what the decoded reply
// means is here, testable without a bus.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/nfs/nfsd_clients.h"
#include "rpinetboot/nfs/pi_export.h"

namespace rpinetboot::nfs {

// Bounds on what is decoded from one reply; larger is cut (clients) or an error (the rest).
constexpr std::size_t kMaxGaneshaClients = 4096;
constexpr std::size_t kMaxGaneshaProtocols = 32;  // ganesha 4.3 sends at most 8
constexpr std::size_t kMaxGaneshaText = 128;      // ganesha's SOCK_NAME_MAX

struct GaneshaProtocol {
    std::string name;  // "NFSv3", "NFSv40", ...
    bool used = false;
};

struct GaneshaClient {
    std::string address;  // as ganesha prints it
    std::vector<GaneshaProtocol> protocols;
    std::uint64_t lastSeconds = 0, lastNanoseconds = 0;  // the client's latest request
};

struct GaneshaClientList {
    std::uint64_t seconds = 0, nanoseconds = 0;  // when ganesha answered
    std::vector<GaneshaClient> clients;
    bool truncated = false;  // the reply held more than kMaxGaneshaClients
};

// The dotted IPv4 address of a client: "192.0.2.10" or its IPv4-mapped form "::ffff:192.0.2.10".
// False with `error` for anything else (IPv6: the Pis' roots are exported to IPv4 clients).
bool ganeshaClientAddress(std::string_view text, std::string& out, std::string& error);

// The NFS versions a client used, as the event's text: "vers=3", "vers=4.0", "vers=4.1",
// "vers=4.2", several joined by spaces ("vers=3 vers=4.0") in that order; empty when the client
// used no NFS yet (only MOUNT, NLM or RQUOTA). Unknown protocol names are ignored.
std::string ganeshaNfsVersions(const std::vector<GaneshaProtocol>& protocols);

// A Pi's NFS mount seen in a reply: `record` is the Pi's export (an element of the records
// `load` gave), `text` the versions, `timestampUs` the client's latest request.
struct GaneshaMount {
    PiExport record;
    std::string address, text;
    std::int64_t timestampUs = 0;
};

// Follows ShowClients replies, poll after poll: a client at the address of a Pi this tool exports
// a root to, which used NFS, is one mount, once. Ganesha keeps a client (keyed by address) until it
// restarts, so a client is remembered by its address while ganesha lists it, at most
// kMaxGaneshaClients of them.
class GaneshaClientsTracker {
  public:
    // `load` reads the Pi exports; it is called at most once per reply, and only when a client is
    // new and used NFS (false: reported by the caller; the clients are looked at again next time).
    // New mounts are appended to `mounts`; `warnings` gets each problem once per client: an
    // address that is no IPv4 address, or names no Pi, or a time that is no time.
    void update(const GaneshaClientList& reply,
                const std::function<bool(std::vector<PiExport>&)>& load,
                std::vector<GaneshaMount>& mounts, std::vector<std::string>& warnings);

  private:
    SeenClients seen_{kMaxGaneshaClients};    // handled: a mount was reported, or not a Pi's
    SeenClients warned_{kMaxGaneshaClients};  // reported once already
    bool truncatedReported_ = false;
    bool fullReported_ = false;
};

}  // namespace rpinetboot::nfs
