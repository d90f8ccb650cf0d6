#include "transfer_uring.h"

#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

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
// Multishot receive buffers: clients send ACKs and ERRORs (an ERROR's text beyond 1024 bytes is
// cut, harmlessly), each buffer also holds io_uring_recvmsg_out and the sender's address. As
// many as the completions reaped per turn: each returns to the ring as soon as it is handled.
constexpr unsigned kBufferCount = 1024;  // a power of two (the ring's size)
constexpr std::size_t kBufferPayload = 1024;
constexpr std::size_t kBufferSize =
    sizeof(io_uring_recvmsg_out) + sizeof(sockaddr_storage) + kBufferPayload;
constexpr unsigned short kBufferGroup = 0;
}  // namespace

struct TransferUring::BufferRing {
    io_uring_buf_ring* ring = nullptr;
    std::size_t ringBytes = 0;
    std::vector<std::uint8_t> memory;
    std::uint8_t* buffer(unsigned id) { return memory.data() + id * kBufferSize; }
    void add(unsigned id, unsigned offset) {
        io_uring_buf_ring_add(ring, buffer(id), kBufferSize, static_cast<unsigned short>(id),
                              io_uring_buf_ring_mask(kBufferCount), static_cast<int>(offset));
    }
    ~BufferRing() {
        if (ring) ::munmap(ring, ringBytes);
    }
};

std::unique_ptr<TransferUring> TransferUring::open(boost::asio::io_context& io, std::string& why) {
    auto ring = std::make_unique<io_uring>();
    // Cooperative task running (5.19+): a receive completing while the loop runs waits for the
    // loop's next system call instead of interrupting it with an inter-processor interrupt (a
    // sleeping loop is still woken), which measured 10-20% of the CPU per MB. Older kernels
    // refuse the flags: then without them. RPI_TFTPD_COOP_TASKRUN=0 leaves them off (A/B).
    const char* coop = std::getenv("RPI_TFTPD_COOP_TASKRUN");
    unsigned flags = (coop && std::string(coop) == "0")
                         ? 0u
                         : unsigned{IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG};
    int rc = io_uring_queue_init(kEntries, ring.get(), flags);
    if (rc == -EINVAL && flags != 0) rc = io_uring_queue_init(kEntries, ring.get(), flags = 0);
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
    auto u = std::unique_ptr<TransferUring>(new TransferUring(io, std::move(ring), efd));
    u->cooperative_ = flags != 0;
    return u;
}

TransferUring::TransferUring(boost::asio::io_context& io, std::unique_ptr<io_uring> ring,
                             int eventFd)
    : io_(io), ring_(std::move(ring)), wake_(io, eventFd) {
    // RPI_TFTPD_MULTISHOT=0 keeps one receive entry per datagram (for A/B measurements).
    const char* want = std::getenv("RPI_TFTPD_MULTISHOT");
    if (!(want && std::string(want) == "0")) setupBuffers();
}

bool TransferUring::setupBuffers() {
    auto b = std::make_unique<BufferRing>();
    b->ringBytes = kBufferCount * sizeof(io_uring_buf);
    void* mem =
        ::mmap(nullptr, b->ringBytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) return false;
    b->ring = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(b->ring);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(b->ring);
    reg.ring_entries = kBufferCount;
    reg.bgid = kBufferGroup;
    // Refused before kernel 5.19: receives then stay one entry per datagram.
    if (io_uring_register_buf_ring(ring_.get(), &reg, 0) != 0) return false;
    b->memory.resize(kBufferCount * kBufferSize);
    for (unsigned i = 0; i < kBufferCount; ++i) b->add(i, i);
    io_uring_buf_ring_advance(b->ring, static_cast<int>(kBufferCount));
    recvShape_ = {};
    recvShape_.msg_namelen = sizeof(sockaddr_storage);
    buffers_ = std::move(b);
    return true;
}

TransferUring::~TransferUring() {
    boost::system::error_code ignored;
    wake_.close(ignored);
    io_uring_queue_exit(ring_.get());  // before the buffers it may still name
}

void TransferUring::recvMultishot(int fd, Op* op) {
    io_uring_sqe* sqe = entry();
    io_uring_prep_recvmsg_multishot(sqe, fd, &recvShape_, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
    io_uring_sqe_set_data(sqe, op);
    ++outstanding_;
}

bool TransferUring::more(unsigned flags) {
    return (flags & IORING_CQE_F_MORE) != 0;
}

bool TransferUring::datagram(int res, unsigned flags, Datagram& out) {
    if (res < 0 || !(flags & IORING_CQE_F_BUFFER) || !buffers_) return false;
    const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
    if (id >= kBufferCount) return false;
    msghdr shape = recvShape_;
    auto* o = io_uring_recvmsg_validate(buffers_->buffer(id), res, &shape);
    if (!o) return false;
    out.data = static_cast<const std::uint8_t*>(io_uring_recvmsg_payload(o, &shape));
    out.size = io_uring_recvmsg_payload_length(o, res, &shape);
    out.msg = {};
    out.msg.msg_name = io_uring_recvmsg_name(o);
    out.msg.msg_namelen = o->namelen;
    return true;
}

void TransferUring::release(unsigned flags) {
    if (!(flags & IORING_CQE_F_BUFFER) || !buffers_) return;
    const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
    if (id >= kBufferCount) return;
    buffers_->add(id, 0);
    io_uring_buf_ring_advance(buffers_->ring, 1);
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
    const unsigned flags = cqe->flags;
    io_uring_cqe_seen(ring_.get(), cqe);
    if (!op) {
        release(flags);  // a buffer nobody will read
        return;
    }
    if (!more(flags)) --outstanding_;  // a multishot entry is queued until its last one
    op->completed(res, flags);
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
