#include "transfer_socket.h"

#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "rpinetboot/util/socket_message.h"
#include "socket_pool.h"

namespace rpinetboot::tftpd {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

asio::ip::address unmapped(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    }
    return a;
}

bool sameAddress(const sockaddr* sa, const asio::ip::address& a) {
    if (sa->sa_family == AF_INET && a.is_v4()) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
        return ntohl(sin->sin_addr.s_addr) == a.to_v4().to_uint();
    }
    if (sa->sa_family == AF_INET6 && a.is_v6()) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
        const auto b = a.to_v6().to_bytes();
        return std::memcmp(&sin6->sin6_addr, b.data(), 16) == 0;
    }
    return false;
}

}  // namespace

TransferSocket::TransferSocket(UniqueFd fd, udp::endpoint peer)
    : fd_(std::move(fd)), peer_(std::move(peer)) {}

bool TransferSocket::isV4(const Origin& origin) {
    return unmapped(origin.client.address()).is_v4();
}

std::optional<TransferSocket> TransferSocket::open(const Origin& origin, std::string& error,
                                                   bool nonBlocking, UniqueFd premade) {
    udp::endpoint peer(unmapped(origin.client.address()), origin.client.port());
    const bool v4 = peer.address().is_v4();
    asio::ip::address local = unmapped(origin.local);
    if (!local.is_unspecified() && local.is_v4() != v4) local = asio::ip::address();
    if (local.is_v6() && local.to_v6().is_link_local()) {
        auto a = local.to_v6();
        a.scope_id(origin.ifindex);
        local = a;
    }
    UniqueFd fd = premade ? std::move(premade) : SocketPool::make(v4, nonBlocking);
    if (!fd) {
        error = std::string("cannot open a transfer socket: ") + std::strerror(errno);
        return std::nullopt;
    }
    // The reply leaves from the address the request reached; if that address cannot be bound
    // (a broadcast request), the kernel picks the route's source address (port 0 either way:
    // the kernel chooses the transfer's port).
    if (!local.is_unspecified()) {
        const udp::endpoint at(local, 0);
        (void)::bind(fd.get(), at.data(), static_cast<socklen_t>(at.size()));
    }
    // (SocketPool::make asked for ICMP errors with their reporter's address, so that only the
    // client itself ends a transfer.)
    if (::connect(fd.get(), peer.data(), static_cast<socklen_t>(peer.size())) != 0) {
        std::ostringstream msg;
        msg << "cannot connect a transfer socket to " << peer << ": " << std::strerror(errno);
        error = msg.str();
        return std::nullopt;
    }
    return TransferSocket(std::move(fd), std::move(peer));
}

udp::endpoint TransferSocket::localEndpoint() const {
    udp::endpoint ep;
    socklen_t len = static_cast<socklen_t>(ep.capacity());
    if (::getsockname(fd(), ep.data(), &len) == 0) ep.resize(len);
    return ep;
}

int TransferSocket::pathMtu() {
    int mtu = 0;
    socklen_t len = sizeof mtu;
    const bool ok = peer_.address().is_v6()
                        ? ::getsockopt(fd(), IPPROTO_IPV6, IPV6_MTU, &mtu, &len) == 0
                        : ::getsockopt(fd(), IPPROTO_IP, IP_MTU, &mtu, &len) == 0;
    return ok && mtu > 0 ? mtu : 1500;
}

bool TransferSocket::fromPeer(const RecvBatch& batch, std::size_t i) const {
    Origin o;
    if (!batch.origin(i, o)) return false;
    return unmapped(o.client.address()) == peer_.address() && o.client.port() == peer_.port();
}

bool TransferSocket::fromPeer(const msghdr& msg) const {
    Origin o;
    if (!readOrigin(msg, o)) return false;
    return unmapped(o.client.address()) == peer_.address() && o.client.port() == peer_.port();
}

bool TransferSocket::peerUnreachable(unsigned& ignored) {
    bool gone = false;
    for (int i = 0; i < 16; ++i) {  // bounded: what is queued now
        std::uint8_t data[64];
        SocketMessage<512> msg(data, sizeof data);
        if (msg.receive(fd(), MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
        msg.forEachControl([this, &gone, &ignored](const cmsghdr& c) {
            const bool v4err = c.cmsg_level == IPPROTO_IP && c.cmsg_type == IP_RECVERR;
            const bool v6err = c.cmsg_level == IPPROTO_IPV6 && c.cmsg_type == IPV6_RECVERR;
            if (!v4err && !v6err) return;
            const auto* ee = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(&c));
            const bool unreachable =
                (ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_type == ICMP_DEST_UNREACH) ||
                (ee->ee_origin == SO_EE_ORIGIN_ICMP6 && ee->ee_type == ICMP6_DST_UNREACH);
            if (!unreachable) return;
            // The sender of the ICMP message (ip(7): SO_EE_OFFENDER). Only the client's own
            // host may say that its port is closed.
            if (sameAddress(SO_EE_OFFENDER(ee), peer_.address())) {
                gone = true;
            } else {
                ++ignored;
            }
        });
    }
    return gone;
}

}  // namespace rpinetboot::tftpd
