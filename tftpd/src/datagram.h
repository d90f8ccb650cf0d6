// UDP plumbing for the daemon's sockets: binding, buffer sizes, batched receives.
//
// A syscall costs far more than the work on one 1.5 KB block (on virtual machines most of all),
// so every queued datagram of a socket is read with one recvmmsg. Each received datagram carries
// where it came from and which local address it reached (IP_PKTINFO).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/tftp/packet.h"

namespace rpinetboot::tftpd {

// Where a datagram came from and which local address (and interface) it reached.
struct Origin {
    boost::asio::ip::udp::endpoint client;
    boost::asio::ip::address local;
    unsigned ifindex = 0;
};

// For the transfer table, looked up once per client datagram.
struct EndpointHash {
    std::size_t operator()(const boost::asio::ip::udp::endpoint& ep) const noexcept;
};

// Opens `sock` for `ep`'s protocol, non-blocking, and binds it there; an IPv6 socket is
// IPv6-only or dual-stack as asked. Returns the system's reason on failure, nothing on success.
std::optional<std::string> bindUdp(boost::asio::ip::udp::socket& sock,
                                   const boost::asio::ip::udp::endpoint& ep, bool v6only);

// Sets a socket buffer size: the FORCE option (SO_RCVBUFFORCE, SO_SNDBUFFORCE) passes
// net.core.[rw]mem_max while the daemon is still root; else it takes what the kernel grants.
void setBuffer(int fd, int forceOpt, int opt, int bytes);

// Asks the kernel for the destination address of every datagram read from `fd`.
void enablePacketInfo(int fd, bool v6);

// Fills `origin` from a received message (source address and IP_PKTINFO / IPV6_PKTINFO).
// False for an address family other than IPv4/IPv6.
bool readOrigin(const msghdr& msg, Origin& origin);

// Sends one datagram from an unconnected socket to origin.client with origin.local as its
// source address (IP_PKTINFO / IPV6_PKTINFO), as a socket bound there would. Best effort: a
// datagram the kernel refuses is lost, as on the wire.
void sendFrom(int fd, bool v6, const Origin& origin, const std::uint8_t* data, std::size_t len);

class RecvBatch {
  public:
    // `slots` datagrams of at most `slotBytes` each per call; longer ones are marked truncated.
    RecvBatch(std::size_t slots, std::size_t slotBytes);

    // One recvmmsg without blocking: the number of datagrams read (0 when none was queued), or
    // -1 with errno set for an error other than EAGAIN.
    int receive(int fd);

    std::size_t capacity() const { return msgs_.size(); }
    ByteSpan data(std::size_t i) const;
    bool origin(std::size_t i, Origin& out) const { return readOrigin(msgs_[i].msg_hdr, out); }

  private:
    struct Control {
        alignas(cmsghdr) char bytes[128];
    };
    std::size_t slotBytes_;
    std::vector<std::uint8_t> buffer_;
    std::vector<sockaddr_storage> names_;
    std::vector<Control> control_;
    std::vector<iovec> iov_;
    std::vector<mmsghdr> msgs_;
};

}  // namespace rpinetboot::tftpd
