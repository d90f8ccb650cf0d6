// Batched UDP I/O for rpi-tftp-loadgen: non-blocking sockets watched by one epoll, read with
// recvmmsg and written with sendmmsg. Where every syscall costs more than the work of a packet
// (a paravirtualised guest), this is what keeps the generator from limiting the server.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::loadgen {

// One datagram as read by UdpBatch::receive; `data` and `from` stay valid until the next
// receive on any socket.
struct Datagram {
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
    bool truncated = false;  // longer than the buffer: not what was asked for
    const sockaddr_storage* from = nullptr;
    socklen_t fromLen = 0;
    double arrivedUs = 0;  // kernel arrival time (SO_TIMESTAMPNS), CLOCK_REALTIME µs
    bool haveDst = false;  // IPv4 only: the packet's destination address (IP_PKTINFO)
    in_addr dst{};
};

class UdpBatch {
  public:
    // maxDatagram: the largest datagram expected; batch: datagrams per recvmmsg.
    UdpBatch(std::size_t maxDatagram, unsigned batch);
    ~UdpBatch();
    UdpBatch(const UdpBatch&) = delete;
    UdpBatch& operator=(const UdpBatch&) = delete;

    // A socket of `family` (AF_INET or AF_INET6) on the wildcard address and a port of the
    // kernel's choice, with arrival stamps (and IP_PKTINFO for AF_INET), a receive buffer of
    // at least rcvbuf bytes when the system allows it, watched by the epoll. Returns its index;
    // throws std::system_error.
    unsigned open(int family, int rcvbuf);

    // Waits up to timeoutMs for readable sockets and puts their indices in `ready`.
    void wait(int timeoutMs, std::vector<unsigned>& ready);

    // One recvmmsg on socket s (MSG_DONTWAIT). Fewer datagrams than batch() means s is
    // drained: read it again only after the next wait.
    const std::vector<Datagram>& receive(unsigned s);
    unsigned batch() const { return batch_; }

    // Queues a datagram to send from socket s. src (IPv4, non-zero) is the source address to
    // send from (IP_PKTINFO). Short payloads are copied; longer ones must stay valid until
    // flush(). sentAt, if given, receives the CLOCK_REALTIME µs just before the send.
    void queue(unsigned s, const sockaddr_storage& to, socklen_t toLen, const std::uint8_t* data,
               std::size_t size, in_addr src, double* sentAt);

    // Sends everything queued, one sendmmsg per socket in the order the sockets were first
    // queued on (more calls only after a partial send). A message the kernel refuses is
    // counted in sendErrors() and skipped, as a lost packet would be.
    void flush();
    unsigned sendErrors() const { return sendErrors_; }
    // Datagrams the kernel accepted so far (to tell the generator's packets from a server's in
    // a namespace's UDP counters).
    std::uint64_t sent() const { return sent_; }

  private:
    static constexpr std::size_t kInline = 128;
    static constexpr std::size_t kQueueMax = 256;  // per socket; flushed early when full

    struct Out {
        sockaddr_storage to{};
        socklen_t toLen = 0;
        in_addr src{};
        const std::uint8_t* data = nullptr;  // null: the payload is in `copy`
        std::size_t size = 0;
        std::uint8_t copy[kInline];
        double* sentAt = nullptr;
    };
    struct Sock {
        UniqueFd fd;
        std::vector<Out> out;  // at most kQueueMax
        bool dirty = false;
    };

    void flushSocket(unsigned s);

    UniqueFd ep_;
    unsigned batch_;
    std::vector<Sock> socks_;
    std::vector<unsigned> dirty_;
    unsigned sendErrors_ = 0;
    std::uint64_t sent_ = 0;

    // Receive side, reused by every receive().
    std::vector<std::uint8_t> buffers_;
    std::vector<sockaddr_storage> names_;
    std::vector<iovec> rxIov_;
    std::vector<std::uint8_t> rxControl_;
    std::vector<mmsghdr> rxMsgs_;
    std::vector<Datagram> received_;

    // Send side, rebuilt per flushSocket().
    std::vector<iovec> txIov_;
    std::vector<std::uint8_t> txControl_;
    std::vector<mmsghdr> txMsgs_;
};

}  // namespace rpinetboot::loadgen
