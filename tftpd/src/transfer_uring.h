// The io_uring engine for transfer sockets: every transfer's receive and sends are queued as
// submission entries and handed to the kernel together, one io_uring_enter per round of the
// event loop, whatever the number of transfers (io_uring(7)). With epoll each transfer costs a
// receive and a send syscall per DATA block; here those syscalls are shared by every transfer
// that moved in the same round.
//
// A thin shell: it owns the ring and calls back the owner of each entry (an Op) with the
// kernel's result. Ops must stay valid until they complete (a cancelled one completes with
// -ECANCELED). The ring's completions wake the io_context through an eventfd, read by Asio
// (a read, not a readiness wait, so a completion that arrives while the loop is busy is never
// missed).
#pragma once

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <memory>
#include <string>

struct io_uring;
struct io_uring_sqe;
struct io_uring_cqe;

namespace rpinetboot::tftpd {

class TransferUring {
  public:
    // One queued operation's owner; `res` is the syscall's result (bytes, or -errno), `flags`
    // the completion's (a multishot receive: see more() and datagram()).
    struct Op {
        virtual void completed(int res, unsigned flags) = 0;

      protected:
        ~Op() = default;
    };

    // The engine, or nullptr with the reason in `why` (kernel without io_uring, disabled by
    // kernel.io_uring_disabled, or refused by a seccomp filter).
    static std::unique_ptr<TransferUring> open(boost::asio::io_context& io, std::string& why);
    ~TransferUring();

    // One receive into `msg` (its name, iovec and lengths set by the caller).
    void recvmsg(int fd, msghdr* msg, Op* op);
    // Multishot receive (kernel 6.0+, io_uring(7) "provided buffers"): one entry that stays
    // armed and completes once per datagram, into a buffer of the engine's ring, so an ACK
    // costs no new submission entry. Only when multishot() (the ring's buffers registered).
    bool multishot() const { return buffers_ != nullptr; }
    // Completions wait for the loop's next system call rather than interrupting it (5.19+).
    bool cooperative() const { return cooperative_; }
    void recvMultishot(int fd, Op* op);
    // A completion of recvMultishot: true while the entry stays armed (else the owner arms a
    // new one if it still wants datagrams).
    static bool more(unsigned flags);
    // The datagram a multishot completion carries, or false (an error, or no buffer). Valid
    // until release(flags), which the owner calls once done with it.
    struct Datagram {
        const std::uint8_t* data = nullptr;
        std::size_t size = 0;
        msghdr msg{};  // msg_name and msg_namelen: the sender
    };
    bool datagram(int res, unsigned flags, Datagram& out);
    void release(unsigned flags);
    // Sends `count` datagrams, in order; each completes on its own.
    void sendmsgs(int fd, mmsghdr* msgs, std::size_t count, Op* op);
    // Asks the kernel to cancel `op`'s queued receive; it completes with -ECANCELED (or with
    // its result, if it finished first).
    void cancel(Op* op);

    void start();
    void stop();
    // Hands what is queued to the kernel now (a new transfer's first answer: requests arrive
    // in bursts, and the first Pi of a burst should not wait for the last one's file lookup).
    void flush() { submit(); }
    // At exit: submits what is queued (the cancels of ended transfers) and waits, at most
    // `ms`, until every queued operation has completed, so that none still points into freed
    // memory.
    void settle(int ms);

  private:
    TransferUring(boost::asio::io_context& io, std::unique_ptr<io_uring> ring, int eventFd);
    io_uring_sqe* entry();
    // Hands queued entries to the kernel after the handlers running now have queued theirs.
    void submitSoon();
    void submit();
    void waitCompletions();
    void reap();
    void complete(io_uring_cqe* cqe);

    boost::asio::io_context& io_;
    std::unique_ptr<io_uring> ring_;
    boost::asio::posix::stream_descriptor wake_;  // the eventfd the ring signals
    std::uint64_t wakeCount_ = 0;
    std::uint64_t outstanding_ = 0;  // operations with an owner, not completed yet
    bool submitPosted_ = false;
    bool cooperative_ = false;
    bool stopped_ = false;
    // Multishot receive: the provided-buffer ring (null when the kernel refused it), its
    // buffers, and the msghdr shape every multishot entry receives with.
    bool setupBuffers();
    struct BufferRing;
    std::unique_ptr<BufferRing> buffers_;
    msghdr recvShape_{};
};

}  // namespace rpinetboot::tftpd
