// The socket of one transfer: its own UDP port, chosen by the kernel (RFC 1350's transfer ID),
// bound to the address the request reached and connected to the client's (ip, port).
//
// Connected, the kernel delivers only the client's datagrams to it and reports ICMP errors only
// for datagrams quoting this exact 5-tuple, so nobody who cannot see the traffic can aim a
// packet at a transfer: forged ACKs cannot make the server send a victim anything, and forged
// ERRORs cannot end a transfer (RFC 1350 section 4; RFC 8085 section 5.1 on connected UDP).
#pragma once

#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "datagram.h"
#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::tftpd {

class TransferSocket {
  public:
    // `origin` is where the request came from and which local address it reached. The socket
    // is non-blocking when TransferPoller watches it; for io_uring it blocks (io_uring then
    // waits for the socket itself instead of reporting EAGAIN).
    // `premade`: a socket from SocketPool::make for the client's family, or invalid to make
    // one here.
    static std::optional<TransferSocket> open(const Origin& origin, std::string& error,
                                              bool nonBlocking = true, UniqueFd premade = {});
    // The client's address family, as open() connects to it (IPv4 for IPv4-mapped).
    static bool isV4(const Origin& origin);

    int fd() const { return fd_.get(); }
    void close() { fd_.reset(); }
    // The client, as this socket sees it (IPv4 for an IPv4-mapped client of a dual-stack
    // listener).
    const boost::asio::ip::udp::endpoint& peer() const { return peer_; }
    boost::asio::ip::udp::endpoint localEndpoint() const;
    // The route's MTU towards the client, from the kernel; 1500 when it cannot be learnt.
    int pathMtu();

    // Did received datagram `i` of `batch` come from the client? (The kernel already filters
    // a connected socket; this also covers the instant between bind and connect.)
    bool fromPeer(const RecvBatch& batch, std::size_t i) const;
    bool fromPeer(const msghdr& msg) const;

    // Reads the socket's error queue (IP_RECVERR). True when an ICMP destination-unreachable
    // reported by the client's own address says it has gone; an ICMP error from any other
    // address (a router, or a forger quoting the transfer) is dropped and counted in `ignored`.
    bool peerUnreachable(unsigned& ignored);

    TransferSocket(TransferSocket&&) = default;
    TransferSocket& operator=(TransferSocket&&) = default;

  private:
    TransferSocket(UniqueFd fd, boost::asio::ip::udp::endpoint peer);

    UniqueFd fd_;
    boost::asio::ip::udp::endpoint peer_;
};

}  // namespace rpinetboot::tftpd
