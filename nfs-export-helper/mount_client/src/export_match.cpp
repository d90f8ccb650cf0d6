// Matching of a MOUNT export list against a client address: pure logic, unit-tested without RPC.
#include <string>

#include "rpinetboot/nfs/client_net.h"
#include "rpinetboot/nfs/mount_client.h"
#include "rpinetboot/util/ipv4.h"

namespace rpinetboot::nfs {

bool isExportedTo(const std::vector<RemoteExport>& exports, const std::string& path,
                  std::uint32_t clientAddress) {
    auto client = ClientNet::parse(ipv4ToString(clientAddress));
    for (const auto& e : exports) {
        if (e.path != path) continue;
        for (const auto& g : e.groups) {
            if (g == "*" || g == "<world>") return true;
            auto net = ClientNet::parseLoose(g);
            if (net && client && net->contains(*client)) return true;
        }
    }
    return false;
}

}  // namespace rpinetboot::nfs
