// Transfer sockets made ahead of need. socket(2) and its options are about a tenth of what a
// request costs the event loop; made while no request waits, a burst of requests only waits
// for the per-request part (bind to the address the request reached, connect to the client).
// The sockets are unbound, so a pooled socket holds no port.
#pragma once

#include <cstddef>
#include <vector>

#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::tftpd {

class SocketPool {
  public:
    // Keeps up to `target` sockets per address family that has been asked for.
    explicit SocketPool(std::size_t target) : target_(target) {}

    // Non-blocking sockets for the epoll engine, blocking ones for io_uring; a change drops
    // the sockets made the other way.
    void setNonBlocking(bool nonBlocking);

    // A pooled socket of the family, or a new one; an invalid descriptor (errno set) when the
    // kernel refuses a new one.
    UniqueFd take(bool v4);

    // Marks a family in use (take() does too): refill() keeps its pool filled.
    void use(bool v4) { used_[v4 ? 0 : 1] = true; }

    // Makes at most `atMost` sockets towards the target of each family in use. True when
    // nothing is left to do: every pool full, or the kernel refused a socket (then requests
    // make their own, and report the error).
    bool refill(std::size_t atMost);

    std::size_t pooled(bool v4) const { return pools_[v4 ? 0 : 1].size(); }

    // A UDP socket with what every transfer socket needs before bind: close-on-exec, ICMP
    // errors queued with their reporter's address (IP_RECVERR), IPv6-only for IPv6.
    static UniqueFd make(bool v4, bool nonBlocking);

  private:
    std::size_t target_;
    bool nonBlocking_ = true;
    std::vector<UniqueFd> pools_[2];  // IPv4, IPv6
    bool used_[2] = {false, false};
};

}  // namespace rpinetboot::tftpd
