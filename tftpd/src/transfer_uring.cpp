#include "transfer_uring.h"

#include <liburing.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace rpinetboot::tftpd {

namespace {
// Submission entries: a receive per transfer and a window of sends per moving transfer fit
// for the default --max-transfers; when the queue is full it is submitted early. Completions
// beyond the completion queue wait in the kernel (IORING_FEAT_NODROP).
constexpr unsigned kEntries = 4096;
// Completions handled per wake-up before timers and listeners get a turn.
constexpr unsigned kReapBatch = 1024;
}  // namespace

std::unique_ptr<TransferUring> TransferUring::open(boost::asio::io_context& io, std::string& why) {
    auto ring = std::make_unique<io_uring>();
    const int rc = io_uring_queue_init(kEntries, ring.get(), 0);
    if (rc < 0) {
        why = std::string("io_uring_setup: ") + std::strerror(-rc);
        return nullptr;
    }
    // The kernel must also queue sends and receives (5.3+) and keep completions it has no
    // room for (5.5+).
    io_uring_probe* probe = io_uring_get_probe_ring(ring.get());
    const bool ops = probe && io_uring_opcode_supported(probe, IORING_OP_RECVMSG) &&
                     io_uring_opcode_supported(probe, IORING_OP_SENDMSG) &&
                     io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
    if (probe) io_uring_free_probe(probe);
    if (!ops || !(ring->features & IORING_FEAT_NODROP)) {
        io_uring_queue_exit(ring.get());
        why = "the kernel's io_uring lacks sendmsg/recvmsg/cancel or IORING_FEAT_NODROP";
        return nullptr;
    }
    const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0 || io_uring_register_eventfd(ring.get(), efd) != 0) {
        why = std::string("io_uring eventfd: ") + std::strerror(errno);
        if (efd >= 0) ::close(efd);
        io_uring_queue_exit(ring.get());
        return nullptr;
    }
    return std::unique_ptr<TransferUring>(new TransferUring(io, std::move(ring), efd));
}

TransferUring::TransferUring(boost::asio::io_context& io, std::unique_ptr<io_uring> ring,
                             int eventFd)
    : io_(io), ring_(std::move(ring)), wake_(io, eventFd) {}

TransferUring::~TransferUring() {
    boost::system::error_code ignored;
    wake_.close(ignored);
    io_uring_queue_exit(ring_.get());
}

io_uring_sqe* TransferUring::entry() {
    io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
    if (!sqe) {
        io_uring_submit(ring_.get());  // queue full: hand it over now
        sqe = io_uring_get_sqe(ring_.get());
    }
    submitSoon();
    return sqe;  // never null: the submit emptied the queue
}

void TransferUring::recvmsg(int fd, msghdr* msg, Op* op) {
    io_uring_sqe* sqe = entry();
    io_uring_prep_recvmsg(sqe, fd, msg, 0);
    io_uring_sqe_set_data(sqe, op);
    ++outstanding_;
}

void TransferUring::sendmsgs(int fd, mmsghdr* msgs, std::size_t count, Op* op) {
    // Not linked: a linked entry would look its descriptor up only when its turn comes. In
    // order all the same, as each is issued when submitted unless the send buffer is full.
    for (std::size_t i = 0; i < count; ++i) {
        io_uring_sqe* sqe = entry();
        io_uring_prep_sendmsg(sqe, fd, &msgs[i].msg_hdr, 0);
        io_uring_sqe_set_data(sqe, op);
        ++outstanding_;
    }
}

void TransferUring::cancel(Op* op) {
    io_uring_sqe* sqe = entry();
    io_uring_prep_cancel(sqe, op, 0);
    io_uring_sqe_set_data(sqe, nullptr);  // its own completion is not reported
}

void TransferUring::start() {
    waitCompletions();
}

void TransferUring::stop() {
    stopped_ = true;
    boost::system::error_code ignored;
    wake_.cancel(ignored);
}

void TransferUring::settle(int ms) {
    io_uring_submit(ring_.get());
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (outstanding_ > 0 && std::chrono::steady_clock::now() < until) {
        __kernel_timespec ts{0, 10 * 1000 * 1000};
        io_uring_cqe* cqe = nullptr;
        if (io_uring_wait_cqe_timeout(ring_.get(), &cqe, &ts) == 0 && cqe) complete(cqe);
    }
}

void TransferUring::complete(io_uring_cqe* cqe) {
    auto* op = static_cast<Op*>(io_uring_cqe_get_data(cqe));
    const int res = cqe->res;
    io_uring_cqe_seen(ring_.get(), cqe);
    if (!op) return;
    --outstanding_;
    op->completed(res);
}

void TransferUring::submitSoon() {
    if (submitPosted_) return;
    submitPosted_ = true;
    boost::asio::post(io_, [this] { submit(); });
}

void TransferUring::submit() {
    submitPosted_ = false;
    if (io_uring_sq_ready(ring_.get()) > 0) io_uring_submit(ring_.get());
}

void TransferUring::waitCompletions() {
    // A read of the eventfd (Asio tries it before it waits), so completions posted while the
    // loop was busy are found at once.
    wake_.async_read_some(boost::asio::buffer(&wakeCount_, sizeof wakeCount_),
                          [this](const boost::system::error_code& ec, std::size_t) {
                              if (ec || stopped_) return;
                              reap();
                          });
}

void TransferUring::reap() {
    unsigned handled = 0;
    io_uring_cqe* cqe = nullptr;
    while (handled < kReapBatch && !stopped_ && io_uring_peek_cqe(ring_.get(), &cqe) == 0 && cqe) {
        ++handled;
        complete(cqe);
    }
    if (stopped_) return;
    // What the handlers queued (answers, re-armed receives) leaves in one io_uring_enter.
    submit();
    if (handled == kReapBatch) {
        boost::asio::post(io_, [this] {
            if (!stopped_) reap();
        });
        return;
    }
    waitCompletions();
}

}  // namespace rpinetboot::tftpd
