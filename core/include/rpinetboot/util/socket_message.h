// recvmsg(2) of one datagram into the caller's buffer, with room for the sender's address and
// ancillary data (cmsg(3)): the msghdr wiring written once. Make one per datagram: recvmsg
// overwrites the address and control lengths.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace rpinetboot {

template <std::size_t ControlBytes>
class SocketMessage {
  public:
    SocketMessage(std::uint8_t* data, std::size_t size) : iov_{data, size} {
        msg_.msg_name = &from_;
        msg_.msg_namelen = sizeof from_;
        msg_.msg_iov = &iov_;
        msg_.msg_iovlen = 1;
        msg_.msg_control = control_;
        msg_.msg_controllen = sizeof control_;
    }
    SocketMessage(const SocketMessage&) = delete;  // msg_ points into the object itself
    SocketMessage& operator=(const SocketMessage&) = delete;

    // The byte count (with MSG_TRUNC the datagram's real length), or -1 with errno set.
    ssize_t receive(int fd, int flags) { return ::recvmsg(fd, &msg_, flags); }

    // The sender's address as the socket's family has it (sockaddr_in, sockaddr_ll, ...).
    template <typename Address>
    const Address& from() const {
        static_assert(sizeof(Address) <= sizeof(sockaddr_storage));
        return *reinterpret_cast<const Address*>(&from_);
    }
    int family() const { return from_.ss_family; }

    // Calls f(const cmsghdr&) for each ancillary data item received.
    template <typename F>
    void forEachControl(F f) {
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg_); c != nullptr; c = CMSG_NXTHDR(&msg_, c)) f(*c);
    }
    msghdr& header() { return msg_; }

  private:
    sockaddr_storage from_{};
    alignas(cmsghdr) char control_[ControlBytes] = {};
    iovec iov_;
    msghdr msg_{};
};

}  // namespace rpinetboot
