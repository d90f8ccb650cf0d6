// watch-mounts' nfs-ganesha source: asks ganesha's D-Bus client manager (ShowClients, through
// sd-bus) every poll interval which clients it has; what a reply means is
// rpinetboot/nfs/ganesha_clients.h. Ganesha has no /proc files and its own MOUNT service, so this
// is the only place its mounts show (docs/nfs.md, "nfs-ganesha's clients").
#pragma once

#include <systemd/sd-bus.h>

#include <functional>
#include <string>
#include <vector>

#include "app.h"
#include "rpinetboot/boot_event.h"
#include "rpinetboot/nfs/ganesha_clients.h"

namespace rpinetboot::nfs {

// Decodes a ShowClients reply. False with `error` when the reply is not (tt)a(s(...)(tt)) or a
// string or protocol list is larger than ganesha sends (ganesha_clients.h); more than
// kMaxGaneshaClients clients are cut (`truncated`), not an error.
bool decodeShowClients(sd_bus_message* reply, GaneshaClientList& out, std::string& error);

class GaneshaClientsWatch {
  public:
    // `bus`: "system" (the system bus; sd-bus honours DBUS_SYSTEM_BUS_ADDRESS) or a D-Bus address
    // such as unix:path=/run/dbus/system_bus_socket.
    GaneshaClientsWatch(std::string bus, const Reporter& rep);
    ~GaneshaClientsWatch();
    GaneshaClientsWatch(const GaneshaClientsWatch&) = delete;
    GaneshaClientsWatch& operator=(const GaneshaClientsWatch&) = delete;

    // One ShowClients call (at most kCallTimeoutUs). `emit` gets one NFS_MOUNT event per new
    // client of a Pi that used NFS. A bus that cannot be reached or a ganesha that is not on it
    // is one warning (and an info line when it answers again), never an error: the other
    // sources are still watched, and the call is tried again at the next poll.
    void poll(const std::function<int(std::vector<PiExport>&)>& load,
              const std::function<void(BootEvent&)>& emit);

    static constexpr std::uint64_t kCallTimeoutUs = 5 * 1000 * 1000;

  private:
    bool connect(std::string& error);
    std::string busName() const;  // for messages: "system bus" or the address
    void unavailable(const std::string& why);

    std::string bus_;
    const Reporter& rep_;
    sd_bus* conn_ = nullptr;
    GaneshaClientsTracker tracker_;
    int available_ = -1;       // -1 not asked yet, 0 unavailable (reported), 1 answering
    std::string lastProblem_;  // what was reported when it became unavailable
};

}  // namespace rpinetboot::nfs
