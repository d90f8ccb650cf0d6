#include "daemon.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "rpinetboot/daemon/logging.h"
#include "rpinetboot/netconsole/bpf.h"
#include "rpinetboot/util/socket_message.h"

namespace rpinetboot::netconsole {

using daemon::logger;
namespace {

// Bootloader frames are at most 1514 bytes; anything larger than this is counted as oversized.
constexpr std::size_t kReadBuffer = 2048;
// Reads per readiness event, so that one busy socket cannot starve the others.
constexpr int kReadsPerWakeup = 64;

std::string sysError(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

}  // namespace

Daemon::Daemon(boost::asio::io_context& io, Settings settings, EventSink* sink)
    : io_(io),
      settings_(std::move(settings)),
      sink_(sink),
      receiver_(settings_.port, settings_.limits),
      buffer_(kReadBuffer) {}

bool Daemon::open(int activatedFds, std::string& error) {
    for (const auto& name : settings_.interfaces) {
        if (!openPacket(name, error)) return false;
    }
    if (activatedFds > 0) {
        for (int fd = 3; fd < 3 + activatedFds; ++fd) {
            if (!adoptUdp(fd, error)) return false;
        }
        if (!settings_.udp.empty()) {
            LOG4CPLUS_INFO(logger(), "socket activation: --udp ignored");
        }
        return true;
    }
    for (const auto& l : settings_.udp) {
        if (!openUdp(l, error)) return false;
    }
    return true;
}

bool Daemon::openPacket(const std::string& interface, std::string& error) {
    const unsigned ifindex = ::if_nametoindex(interface.c_str());
    if (ifindex == 0) {
        error = "no interface " + interface;
        return false;
    }
    // Protocol 0 receives nothing until bind(): the filter is in place before the first frame.
    const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = sysError("packet socket for " + interface + " (needs CAP_NET_RAW)");
        return false;
    }
    auto program = udpPortFilter(settings_.port);
    sock_fprog fprog{static_cast<unsigned short>(program.size()), program.data()};
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_IP);
    addr.sll_ifindex = static_cast<int>(ifindex);
    if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) {
        error = sysError("filter on " + interface);
        ::close(fd);
        return false;
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error = sysError("bind packet socket to " + interface);
        ::close(fd);
        return false;
    }
    if (settings_.promiscuous) {
        // A membership, not IFF_PROMISC: the kernel undoes it when the socket closes, even
        // after a crash.
        packet_mreq mreq{};
        mreq.mr_ifindex = static_cast<int>(ifindex);
        mreq.mr_type = PACKET_MR_PROMISC;
        if (::setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
            error = sysError("promiscuous mode on " + interface);
            ::close(fd);
            return false;
        }
    }
    packetInterfaces_.insert(static_cast<int>(ifindex));
    sockets_.push_back(std::make_unique<Socket>(io_, fd, "packet:" + interface, true));
    LOG4CPLUS_INFO(logger(), "reading NETCONSOLE frames to UDP port "
                                 << settings_.port << " on "
                                 << interface << (settings_.promiscuous ? " (promiscuous)" : ""));
    return true;
}

bool Daemon::openUdp(const UdpListen& l, std::string& error) {
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(l.address, ec);
    const bool v6 = address.is_v6();
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = sysError("UDP socket");
        return false;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc;
    if (v6) {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(l.port);
        const auto bytes = address.to_v6().to_bytes();
        std::memcpy(&sa.sin6_addr, bytes.data(), bytes.size());
        rc = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    } else {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(l.port);
        const auto bytes = address.to_v4().to_bytes();
        std::memcpy(&sa.sin_addr, bytes.data(), bytes.size());
        rc = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    }
    if (rc != 0) {
        error = sysError("bind UDP " + l.address + ":" + std::to_string(l.port));
        ::close(fd);
        return false;
    }
    return adoptUdp(fd, error);
}

bool Daemon::adoptUdp(int fd, std::string& error) {
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM) {
        error = "file descriptor " + std::to_string(fd) + " is not a datagram socket";
        return false;
    }
    // The arrival interface tells datagrams a packet socket reads too (IP_PKTINFO, ip(7)).
    const int one = 1;
    ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    sockaddr_storage local{};
    socklen_t llen = sizeof local;
    std::string name = "udp";
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) == 0) {
        char host[INET6_ADDRSTRLEN] = "?";
        unsigned port = 0;
        if (local.ss_family == AF_INET) {
            auto* sa = reinterpret_cast<sockaddr_in*>(&local);
            ::inet_ntop(AF_INET, &sa->sin_addr, host, sizeof host);
            port = ntohs(sa->sin_port);
        } else if (local.ss_family == AF_INET6) {
            auto* sa = reinterpret_cast<sockaddr_in6*>(&local);
            ::inet_ntop(AF_INET6, &sa->sin6_addr, host, sizeof host);
            port = ntohs(sa->sin6_port);
        }
        name = std::string("udp:") + host + ":" + std::to_string(port);
    }
    sockets_.push_back(std::make_unique<Socket>(io_, fd, name, false));
    LOG4CPLUS_INFO(logger(), "reading NETCONSOLE datagrams on " << name);
    return true;
}

void Daemon::start() {
    for (auto& s : sockets_) wait(*s);
}

void Daemon::wait(Socket& socket) {
    socket.descriptor.async_wait(boost::asio::posix::descriptor_base::wait_read,
                                 [this, &socket](const boost::system::error_code& ec) {
                                     if (ec == boost::asio::error::operation_aborted) return;
                                     if (ec) {
                                         LOG4CPLUS_ERROR(logger(),
                                                         socket.name << ": " << ec.message());
                                         return;
                                     }
                                     if (socket.isPacket) {
                                         readPackets(socket);
                                     } else {
                                         readDatagrams(socket);
                                     }
                                     wait(socket);
                                 });
}

void Daemon::readPackets(Socket& socket) {
    const int fd = socket.descriptor.native_handle();
    for (int i = 0; i < kReadsPerWakeup; ++i) {
        sockaddr_ll from{};
        socklen_t fromLen = sizeof from;
        // MSG_TRUNC: the return value is the frame's real length, even when it did not fit.
        const ssize_t n = ::recvfrom(fd, buffer_.data(), buffer_.size(), MSG_TRUNC,
                                     reinterpret_cast<sockaddr*>(&from), &fromLen);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                LOG4CPLUS_ERROR(logger(), socket.name << ": " << std::strerror(errno));
            }
            return;
        }
        if (from.sll_pkttype == PACKET_OUTGOING) {
            ++outgoing_;
            continue;
        }
        const auto size = static_cast<std::size_t>(n);
        const bool cut = size > buffer_.size();
        deliver(receiver_.onFrame(ByteSpan(buffer_.data(), cut ? buffer_.size() : size), cut,
                                  nowMicros()));
    }
}

void Daemon::readDatagrams(Socket& socket) {
    const int fd = socket.descriptor.native_handle();
    for (int i = 0; i < kReadsPerWakeup; ++i) {
        SocketMessage<256> msg(buffer_.data(), buffer_.size());
        const ssize_t n = msg.receive(fd, MSG_TRUNC);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                LOG4CPLUS_ERROR(logger(), socket.name << ": " << std::strerror(errno));
            }
            return;
        }
        int ifindex = 0;
        msg.forEachControl([&ifindex](const cmsghdr& c) {
            if (c.cmsg_level == IPPROTO_IP && c.cmsg_type == IP_PKTINFO) {
                in_pktinfo info{};
                std::memcpy(&info, CMSG_DATA(&c), sizeof info);
                ifindex = info.ipi_ifindex;
            } else if (c.cmsg_level == IPPROTO_IPV6 && c.cmsg_type == IPV6_PKTINFO) {
                in6_pktinfo info{};
                std::memcpy(&info, CMSG_DATA(&c), sizeof info);
                ifindex = static_cast<int>(info.ipi6_ifindex);
            }
        });
        if (ifindex != 0 && packetInterfaces_.count(ifindex)) {
            ++leftToPacketSocket_;  // its packet socket has it, with the source MAC
            continue;
        }
        char host[INET6_ADDRSTRLEN] = "?";
        if (msg.family() == AF_INET) {
            ::inet_ntop(AF_INET, &msg.from<sockaddr_in>().sin_addr, host, sizeof host);
        } else if (msg.family() == AF_INET6) {
            const auto* sa = &msg.from<sockaddr_in6>();
            boost::asio::ip::address_v6::bytes_type b;
            std::memcpy(b.data(), &sa->sin6_addr, b.size());
            boost::asio::ip::address_v6 a(b);
            const std::string text =
                a.is_v4_mapped()
                    ? boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a).to_string()
                    : a.to_string();
            std::snprintf(host, sizeof host, "%s", text.c_str());
        }
        const auto size = static_cast<std::size_t>(n);
        const bool cut = size > buffer_.size() || (msg.header().msg_flags & MSG_TRUNC);
        deliver(receiver_.onDatagram(host, ByteSpan(buffer_.data(), cut ? buffer_.size() : size),
                                     cut, nowMicros()));
    }
}

void Daemon::deliver(const Result& result) {
    if (!result.note.empty()) LOG4CPLUS_DEBUG(logger(), result.note);
    for (const auto& e : result.events) {
        LOG4CPLUS_DEBUG(logger(), (e.mac.empty() ? e.address : e.mac) << ": " << e.text);
        if (sink_) sink_->emit(e);
    }
}

std::string Daemon::countersText() const {
    return receiver_.countersText() +
           " left_to_packet_socket=" + std::to_string(leftToPacketSocket_) +
           " own_frames=" + std::to_string(outgoing_);
}

}  // namespace rpinetboot::netconsole
