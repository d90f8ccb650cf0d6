#include "transfer_port.h"

#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>

#include <cstring>
#include <sstream>

namespace rpinetboot::tftpd {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

constexpr std::size_t kBatch = 64;
// Clients send ACKs and ERRORs; an ERROR's text beyond this is cut, which is harmless.
constexpr std::size_t kMaxClientDatagram = 1024;

}  // namespace

TransferPort::TransferPort(udp::socket socket, bool v6)
    : socket_(std::move(socket)),
      rx_(kBatch, kMaxClientDatagram),
      tx_(socket_.native_handle(), v6, kBatch) {}

std::unique_ptr<TransferPort> TransferPort::open(asio::io_context& io,
                                                 const udp::endpoint& listener, bool v6only,
                                                 int bufferBytes, std::string& error) {
    udp::socket sock(io);
    const bool v6 = listener.address().is_v6();
    if (auto why = bindUdp(sock, udp::endpoint(listener.address(), 0), v6only)) {
        std::ostringstream msg;
        msg << "cannot open the transfer port for " << listener << ": " << *why;
        error = msg.str();
        return nullptr;
    }
    const int fd = sock.native_handle();
    enablePacketInfo(fd, v6);
    const int on = 1;
    // ICMP "port unreachable" from a client that went away, reported per destination.
    ::setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    if (v6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
    // All transfers share these queues: room for a burst of ACKs and for a full batch of
    // the largest blocks.
    setBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, bufferBytes);
    setBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, bufferBytes);
    return std::unique_ptr<TransferPort>(new TransferPort(std::move(sock), v6));
}

udp::endpoint TransferPort::localEndpoint() const {
    boost::system::error_code ec;
    return socket_.local_endpoint(ec);
}

std::vector<udp::endpoint> TransferPort::unreachableClients() {
    std::vector<udp::endpoint> gone;
    for (std::size_t i = 0; i < kBatch; ++i) {
        sockaddr_storage name{};
        alignas(cmsghdr) char control[512];
        std::uint8_t data[64];
        iovec iov{data, sizeof data};
        msghdr msg{};
        msg.msg_name = &name;
        msg.msg_namelen = sizeof name;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        if (::recvmsg(fd(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            const bool v4err = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
            const bool v6err = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
            if (!v4err && !v6err) continue;
            sock_extended_err ee{};
            std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
            // The offending datagram's destination is in msg_name (ip(7), ipv6(7)).
            const bool portUnreachable =
                (ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == ICMP_DEST_UNREACH &&
                 ee.ee_code == ICMP_PORT_UNREACH) ||
                (ee.ee_origin == SO_EE_ORIGIN_ICMP6 && ee.ee_type == ICMP6_DST_UNREACH &&
                 ee.ee_code == ICMP6_DST_UNREACH_NOPORT);
            if (!portUnreachable || msg.msg_namelen == 0) continue;
            udp::endpoint ep;
            if (msg.msg_namelen > ep.capacity()) continue;
            std::memcpy(ep.data(), &name, msg.msg_namelen);
            ep.resize(msg.msg_namelen);
            gone.push_back(ep);
        }
    }
    return gone;
}

}  // namespace rpinetboot::tftpd
