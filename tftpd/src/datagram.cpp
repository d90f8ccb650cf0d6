#include "datagram.h"

#include <boost/asio/ip/v6_only.hpp>
#include <cerrno>
#include <cstring>

namespace rpinetboot::tftpd {

namespace asio = boost::asio;

std::size_t EndpointHash::operator()(const asio::ip::udp::endpoint& ep) const noexcept {
    const auto a = ep.address();
    std::size_t h = ep.port();
    if (a.is_v4())
        return std::hash<std::uint64_t>()((std::uint64_t{a.to_v4().to_uint()} << 16) | h);
    const auto b = a.to_v6().to_bytes();
    std::uint64_t hi = 0, lo = 0;
    std::memcpy(&hi, b.data(), 8);
    std::memcpy(&lo, b.data() + 8, 8);
    return std::hash<std::uint64_t>()(hi ^ (lo * 0x9e3779b97f4a7c15ull) ^ h);
}

std::optional<std::string> bindUdp(asio::ip::udp::socket& sock, const asio::ip::udp::endpoint& ep,
                                   bool v6only) {
    boost::system::error_code ec;
    sock.open(ep.protocol(), ec);
    if (!ec && ep.address().is_v6()) sock.set_option(asio::ip::v6_only(v6only), ec);
    if (!ec) sock.bind(ep, ec);
    if (!ec) sock.non_blocking(true, ec);
    if (ec) return ec.message();
    return std::nullopt;
}

void setBuffer(int fd, int forceOpt, int opt, int bytes) {
    if (::setsockopt(fd, SOL_SOCKET, forceOpt, &bytes, sizeof bytes) != 0) {
        ::setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
    }
}

void enablePacketInfo(int fd, bool v6) {
    const int on = 1;
    if (v6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
        ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);  // dual-stack sockets
    } else {
        ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    }
}

bool readOrigin(const msghdr& msg, Origin& origin) {
    const auto* from = static_cast<const sockaddr_storage*>(msg.msg_name);
    if (from->ss_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(from);
        origin.client = asio::ip::udp::endpoint(asio::ip::address_v4(ntohl(sin->sin_addr.s_addr)),
                                                ntohs(sin->sin_port));
    } else if (from->ss_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(from);
        asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), &sin6->sin6_addr, 16);
        origin.client = asio::ip::udp::endpoint(asio::ip::address_v6(b, sin6->sin6_scope_id),
                                                ntohs(sin6->sin6_port));
    } else {
        return false;
    }
    origin.local = asio::ip::address();
    origin.ifindex = 0;
    // CMSG_NXTHDR takes a non-const header; the walk does not modify it.
    auto* m = const_cast<msghdr*>(&msg);
    for (cmsghdr* c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo pi{};
            std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
            origin.local = asio::ip::address_v4(ntohl(pi.ipi_addr.s_addr));
            origin.ifindex = static_cast<unsigned>(pi.ipi_ifindex);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            in6_pktinfo pi{};
            std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
            asio::ip::address_v6::bytes_type b;
            std::memcpy(b.data(), &pi.ipi6_addr, 16);
            origin.local = asio::ip::address_v6(b);
            origin.ifindex = pi.ipi6_ifindex;
        }
    }
    return true;
}

void sendFrom(int fd, bool v6, const Origin& origin, const std::uint8_t* data, std::size_t len) {
    iovec iov{const_cast<std::uint8_t*>(data), len};
    msghdr msg{};
    asio::ip::udp::endpoint to = origin.client;
    msg.msg_name = to.data();
    msg.msg_namelen = static_cast<socklen_t>(to.size());
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
    if (!origin.local.is_unspecified()) {
        msg.msg_control = control;
        cmsghdr* c = reinterpret_cast<cmsghdr*>(control);
        if (v6) {
            in6_pktinfo pi{};
            const auto b = origin.local.is_v4() ? asio::ip::make_address_v6(asio::ip::v4_mapped,
                                                                            origin.local.to_v4())
                                                      .to_bytes()
                                                : origin.local.to_v6().to_bytes();
            std::memcpy(&pi.ipi6_addr, b.data(), 16);
            if (origin.local.is_v6() && origin.local.to_v6().is_link_local())
                pi.ipi6_ifindex = origin.ifindex;
            msg.msg_controllen = CMSG_SPACE(sizeof pi);
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof pi);
            std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
        } else {
            in_pktinfo pi{};
            pi.ipi_spec_dst.s_addr = htonl(origin.local.to_v4().to_uint());
            msg.msg_controllen = CMSG_SPACE(sizeof pi);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof pi);
            std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
        }
    }
    if (::sendmsg(fd, &msg, MSG_DONTWAIT) < 0 && !origin.local.is_unspecified()) {
        // A source the kernel will not use (a broadcast request): let it choose.
        msg.msg_control = nullptr;
        msg.msg_controllen = 0;
        ::sendmsg(fd, &msg, MSG_DONTWAIT);
    }
}

RecvBatch::RecvBatch(std::size_t slots, std::size_t slotBytes)
    : slotBytes_(slotBytes),
      buffer_(slots * slotBytes),
      names_(slots),
      control_(slots),
      iov_(slots),
      msgs_(slots) {
    for (std::size_t i = 0; i < slots; ++i) {
        iov_[i] = {buffer_.data() + i * slotBytes_, slotBytes_};
        msgs_[i] = {};
        msgs_[i].msg_hdr.msg_name = &names_[i];
        msgs_[i].msg_hdr.msg_iov = &iov_[i];
        msgs_[i].msg_hdr.msg_iovlen = 1;
        msgs_[i].msg_hdr.msg_control = control_[i].bytes;
    }
}

int RecvBatch::receive(int fd) {
    for (auto& m : msgs_) {  // the kernel shrinks these to what it wrote
        m.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        m.msg_hdr.msg_controllen = sizeof(Control::bytes);
        m.msg_hdr.msg_flags = 0;
    }
    const int n =
        ::recvmmsg(fd, msgs_.data(), static_cast<unsigned>(msgs_.size()), MSG_DONTWAIT, nullptr);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    return n;
}

ByteSpan RecvBatch::data(std::size_t i) const {
    return ByteSpan(buffer_.data() + i * slotBytes_, msgs_[i].msg_len);
}

}  // namespace rpinetboot::tftpd
