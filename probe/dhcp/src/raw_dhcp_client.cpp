#include "rpinetboot/probe/raw_dhcp_client.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "rpinetboot/util/socket_message.h"

namespace rpinetboot::probe {

namespace {

[[noreturn]] void throwErrno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// Auxiliary data says when a checksum is left to offload (veth, local senders).
template <typename Message>
bool checksumLeftToOffload(Message& msg) {
    bool left = false;
    msg.forEachControl([&left](const cmsghdr& c) {
        if (c.cmsg_level == SOL_PACKET && c.cmsg_type == PACKET_AUXDATA) {
            tpacket_auxdata aux{};
            std::memcpy(&aux, CMSG_DATA(&c), sizeof aux);
            left = (aux.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
        }
    });
    return left;
}

}  // namespace

RawDhcpClient::RawDhcpClient(const std::string& interface) : interface_(interface) {
    ifindex_ = static_cast<int>(if_nametoindex(interface.c_str()));
    if (ifindex_ == 0) throwErrno("interface " + interface);
    fd_.reset(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP)));
    if (!fd_) throwErrno("AF_PACKET socket on " + interface + " (needs CAP_NET_RAW)");
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_IP);
    addr.sll_ifindex = ifindex_;
    packet_mreq promisc{};
    promisc.mr_ifindex = ifindex_;
    promisc.mr_type = PACKET_MR_PROMISC;
    // Unicast replies go to the emulated MAC, not the interface's: promiscuous mode (dropped
    // with the socket) lets a real NIC pass them up.
    // Auxiliary data says when a checksum is left to offload (veth, local senders): such a frame
    // carries a partial checksum that is not an error.
    const int on = 1;
    if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        setsockopt(fd_.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &promisc, sizeof promisc) != 0 ||
        setsockopt(fd_.get(), SOL_PACKET, PACKET_AUXDATA, &on, sizeof on) != 0) {
        fd_.reset();  // keeps errno
        throwErrno("binding to " + interface);
    }
}

RawDhcpClient::~RawDhcpClient() = default;

void RawDhcpClient::send(const MacAddress& srcMac, ByteSpan bootp, const Framing& framing) {
    const Bytes frame = buildClientFrame(srcMac, bootp, framing);
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_IP);
    to.sll_ifindex = ifindex_;
    to.sll_halen = 6;
    for (int i = 0; i < 6; ++i) to.sll_addr[i] = 0xff;
    const ssize_t n = sendto(fd_.get(), frame.data(), frame.size(), 0,
                             reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (n < 0) throwErrno("sending on " + interface_);
    if (static_cast<std::size_t>(n) != frame.size()) {
        throw std::system_error(EMSGSIZE, std::generic_category(), "short send on " + interface_);
    }
}

std::vector<DhcpReply> RawDhcpClient::collect(std::uint32_t xid, const MacAddress& chaddr,
                                              std::chrono::milliseconds window,
                                              std::size_t maxReplies) {
    const auto start = Clock::now();
    const auto deadline = start + window;
    std::vector<DhcpReply> replies;
    while (replies.size() < maxReplies) {
        auto reply = receiveUntil(start, deadline);
        if (!reply) break;
        if (reply->packet.xid != xid || reply->packet.chaddr != chaddr) continue;
        replies.push_back(std::move(*reply));
    }
    return replies;
}

std::optional<DhcpReply> RawDhcpClient::receive(std::chrono::milliseconds wait) {
    const auto start = Clock::now();
    return receiveUntil(start, start + wait);
}

void RawDhcpClient::setReceiveBuffer(int bytes) {
    if (setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
        throwErrno("receive buffer on " + interface_ + " (needs CAP_NET_ADMIN)");
    }
}

std::optional<DhcpReply> RawDhcpClient::receiveUntil(Clock::time_point start,
                                                     Clock::time_point deadline) {
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd pfd{fd_.get(), POLLIN, 0};
        const int ready = poll(&pfd, 1, static_cast<int>(left.count()) + 1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            throwErrno("waiting on " + interface_);
        }
        if (ready == 0) continue;  // the loop re-checks the deadline
        SocketMessage<CMSG_SPACE(sizeof(tpacket_auxdata))> msg(buf_.data(), buf_.size());
        const ssize_t n = msg.receive(fd_.get(), 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            throwErrno("receiving on " + interface_);
        }
        if (msg.from<sockaddr_ll>().sll_pkttype == PACKET_OUTGOING) continue;  // our own
        const auto frame = parseUdpFrame(ByteSpan(buf_.data(), static_cast<std::size_t>(n)));
        if (!frame || frame->srcPort != kDhcpServerPort || frame->dstPort != kDhcpClientPort) {
            continue;
        }
        auto packet = parseDhcpPacket(frame->payload, nullptr);
        if (!packet || packet->op != 2) continue;
        DhcpReply reply;
        reply.after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        reply.serverMac = frame->srcMac;
        reply.srcIp = frame->srcIp;
        reply.dstIp = frame->dstIp;
        reply.udpChecksumOffloaded = checksumLeftToOffload(msg);
        reply.udpChecksumOk = frame->udpChecksumOk || reply.udpChecksumOffloaded;
        reply.bootp.assign(frame->payload.begin(), frame->payload.end());
        reply.packet = std::move(*packet);
        return reply;
    }
}

}  // namespace rpinetboot::probe
