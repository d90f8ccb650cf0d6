// The UDP port every transfer of one listener talks from (a single server TID, as dnsmasq's
// --tftp-single-port). One socket for all transfers is what lets the daemon read every queued
// ACK with one recvmmsg and send every DATA block they release with one sendmmsg; the
// transfers are told apart by the client's (ip, port), which each transfer checks (a datagram
// from anyone else is dropped unanswered). Replies leave from the address the request reached.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "datagram.h"

namespace rpinetboot::tftpd {

class TransferPort {
  public:
    // Bound to the listener's address (wildcard included) on a port the kernel picks, with the
    // listener's IPv6-only setting so that a dual-stack listener gets a dual-stack port.
    static std::unique_ptr<TransferPort> open(boost::asio::io_context& io,
                                              const boost::asio::ip::udp::endpoint& listener,
                                              bool v6only, int bufferBytes, std::string& error);

    boost::asio::ip::udp::socket& socket() { return socket_; }
    int fd() { return socket_.native_handle(); }
    RecvBatch& received() { return rx_; }
    SendBatch& outgoing() { return tx_; }
    boost::asio::ip::udp::endpoint localEndpoint() const;

    // Reads the socket's error queue (IP_RECVERR): the clients whose port was reported
    // unreachable, i.e. that closed their socket mid-transfer. Bounded.
    std::vector<boost::asio::ip::udp::endpoint> unreachableClients();

  private:
    TransferPort(boost::asio::ip::udp::socket socket, bool v6);

    boost::asio::ip::udp::socket socket_;
    RecvBatch rx_;
    SendBatch tx_;
};

}  // namespace rpinetboot::tftpd
