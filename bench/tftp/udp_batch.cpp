#include "udp_batch.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>

namespace rpinetboot::loadgen {

namespace {

constexpr std::size_t kRxControl = 128;  // SCM_TIMESTAMPNS + IP_PKTINFO, with room to spare
constexpr std::size_t kTxControl = CMSG_SPACE(sizeof(in_pktinfo));

double realtimeUs() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);  // the clock of SO_TIMESTAMPNS
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

[[noreturn]] void throwErrno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

UdpBatch::UdpBatch(std::size_t maxDatagram, unsigned batch)
    : batch_(batch),
      buffers_(maxDatagram * batch),
      names_(batch),
      rxIov_(batch),
      rxControl_(kRxControl * batch),
      rxMsgs_(batch),
      txIov_(kQueueMax),
      txControl_(kTxControl * kQueueMax),
      txMsgs_(kQueueMax) {
    ep_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!ep_) throwErrno("epoll_create1");
    received_.reserve(batch);
    for (unsigned i = 0; i < batch; ++i) {
        rxIov_[i] = {buffers_.data() + i * maxDatagram, maxDatagram};
        msghdr& h = rxMsgs_[i].msg_hdr;
        h.msg_name = &names_[i];
        h.msg_iov = &rxIov_[i];
        h.msg_iovlen = 1;
        h.msg_control = rxControl_.data() + i * kRxControl;
    }
}

UdpBatch::~UdpBatch() = default;

unsigned UdpBatch::open(int family, int rcvbuf) {
    UniqueFd owned(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!owned) throwErrno("socket");
    const int fd = owned.get();
    const int on = 1;
    bool ok = ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
    if (family == AF_INET) {
        ok = ok && ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) == 0;
        // DF on our (small) datagrams: the kernel then skips hashing a fresh IP ID for each.
        const int df = IP_PMTUDISC_DO;
        ok = ok && ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &df, sizeof df) == 0;
    }
    // A shared socket holds a DATA packet of every Pi it serves: the default buffer would drop
    // some at a few hundred Pis. FORCE needs CAP_NET_ADMIN; otherwise up to rmem_max.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_storage any{};
    socklen_t anyLen = sizeof(sockaddr_in);
    any.ss_family = static_cast<sa_family_t>(family);
    if (family == AF_INET6) anyLen = sizeof(sockaddr_in6);
    ok = ok && ::bind(fd, reinterpret_cast<const sockaddr*>(&any), anyLen) == 0;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(socks_.size());
    ok = ok && ::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
    if (!ok) throwErrno("socket setup");  // `owned` closes the socket after errno is read
    Sock s;
    s.fd = std::move(owned);
    socks_.push_back(std::move(s));
    return static_cast<unsigned>(socks_.size() - 1);
}

void UdpBatch::wait(int timeoutMs, std::vector<unsigned>& ready) {
    ready.clear();
    epoll_event events[64];
    const int n = ::epoll_wait(ep_.get(), events, 64, timeoutMs);
    for (int i = 0; i < n; ++i) ready.push_back(events[i].data.u32);
}

const std::vector<Datagram>& UdpBatch::receive(unsigned s) {
    received_.clear();
    for (unsigned i = 0; i < batch_; ++i) {
        rxMsgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        rxMsgs_[i].msg_hdr.msg_controllen = kRxControl;
    }
    const int n = ::recvmmsg(socks_[s].fd.get(), rxMsgs_.data(), batch_, MSG_DONTWAIT, nullptr);
    for (int i = 0; i < n; ++i) {
        const msghdr& h = rxMsgs_[i].msg_hdr;
        Datagram d;
        d.data = static_cast<const std::uint8_t*>(rxIov_[i].iov_base);
        d.size = rxMsgs_[i].msg_len;
        d.truncated = (h.msg_flags & MSG_TRUNC) != 0;
        d.from = &names_[i];
        d.fromLen = h.msg_namelen;
        for (const cmsghdr* cm = CMSG_FIRSTHDR(&h); cm;
             cm = CMSG_NXTHDR(const_cast<msghdr*>(&h), const_cast<cmsghdr*>(cm))) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                timespec ts{};
                std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                d.arrivedUs =
                    static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
            } else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
                in_pktinfo info{};
                std::memcpy(&info, CMSG_DATA(cm), sizeof info);
                d.dst = info.ipi_addr;
                d.haveDst = true;
            }
        }
        if (d.arrivedUs == 0) d.arrivedUs = realtimeUs();  // no stamp: the next best
        received_.push_back(d);
    }
    return received_;
}

void UdpBatch::queue(unsigned s, const sockaddr_storage& to, socklen_t toLen,
                     const std::uint8_t* data, std::size_t size, in_addr src, double* sentAt) {
    Sock& sock = socks_[s];
    if (sock.out.size() == kQueueMax) flushSocket(s);
    if (!sock.dirty) {
        sock.dirty = true;
        dirty_.push_back(s);
    }
    sock.out.emplace_back();
    Out& o = sock.out.back();
    o.to = to;
    o.toLen = toLen;
    o.src = src;
    o.size = size;
    o.sentAt = sentAt;
    if (size <= kInline) {
        std::memcpy(o.copy, data, size);
        o.data = nullptr;  // in `copy`, which moves with the vector
    } else {
        o.data = data;
    }
}

void UdpBatch::flush() {
    for (unsigned s : dirty_) {
        flushSocket(s);
        socks_[s].dirty = false;
    }
    dirty_.clear();
}

void UdpBatch::flushSocket(unsigned s) {
    Sock& sock = socks_[s];
    const std::size_t n = sock.out.size();
    if (n == 0) return;
    for (std::size_t i = 0; i < n; ++i) {
        Out& o = sock.out[i];
        txIov_[i] = {const_cast<std::uint8_t*>(o.data ? o.data : o.copy), o.size};
        msghdr& h = txMsgs_[i].msg_hdr;
        h = msghdr{};
        h.msg_name = &o.to;
        h.msg_namelen = o.toLen;
        h.msg_iov = &txIov_[i];
        h.msg_iovlen = 1;
        if (o.src.s_addr != 0) {
            auto* control = txControl_.data() + i * kTxControl;
            std::memset(control, 0, kTxControl);
            h.msg_control = control;
            h.msg_controllen = kTxControl;
            cmsghdr* cm = CMSG_FIRSTHDR(&h);
            cm->cmsg_level = IPPROTO_IP;
            cm->cmsg_type = IP_PKTINFO;
            cm->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
            in_pktinfo info{};
            info.ipi_spec_dst = o.src;  // the source address of this datagram
            std::memcpy(CMSG_DATA(cm), &info, sizeof info);
        }
    }
    // Read at the send, so that the generator's own work is not counted as server latency.
    const double now = realtimeUs();
    for (std::size_t i = 0; i < n; ++i)
        if (sock.out[i].sentAt) *sock.out[i].sentAt = now;
    std::size_t done = 0;
    // Each pass sends at least one message or skips one: at most n + a few EINTR passes.
    for (std::size_t pass = 0; done < n && pass < n + 8; ++pass) {
        const int r = ::sendmmsg(sock.fd.get(), txMsgs_.data() + done,
                                 static_cast<unsigned>(n - done), MSG_DONTWAIT);
        if (r > 0) {
            done += static_cast<std::size_t>(r);
            sent_ += static_cast<std::uint64_t>(r);
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            ++sendErrors_;  // this one message failed (e.g. no buffer): lost, as on a wire
            ++done;
        }
    }
    sendErrors_ += static_cast<unsigned>(n - done);
    sock.out.clear();
}

}  // namespace rpinetboot::loadgen
