#include "transfer_poller.h"

#include <boost/asio/post.hpp>
#include <cerrno>
#include <stdexcept>

namespace rpinetboot::tftpd {

namespace {
constexpr int kEvents = 256;  // ready transfers handled per epoll_wait
}

TransferPoller::TransferPoller(boost::asio::io_context& io, Handler handler)
    : io_(io), handler_(std::move(handler)), set_(io) {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw std::runtime_error("epoll_create1 failed");
    set_.assign(fd);
}

bool TransferPoller::add(int fd, std::uint64_t id) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = id;
    return ::epoll_ctl(set_.native_handle(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void TransferPoller::watchWritable(int fd, std::uint64_t id, bool on) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET | (on ? EPOLLOUT : 0u);
    ev.data.u64 = id;
    ::epoll_ctl(set_.native_handle(), EPOLL_CTL_MOD, fd, &ev);
}

void TransferPoller::start() {
    wait();
}

void TransferPoller::stop() {
    stopped_ = true;
    boost::system::error_code ignored;
    set_.cancel(ignored);
}

void TransferPoller::wait() {
    set_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [this](const boost::system::error_code& ec) {
                        if (ec || stopped_) return;
                        drain();
                    });
}

void TransferPoller::drain() {
    epoll_event events[kEvents];
    const int n = ::epoll_wait(set_.native_handle(), events, kEvents, 0);
    for (int i = 0; i < n && !stopped_; ++i) handler_(events[i].data.u64, events[i].events);
    if (stopped_) return;
    if (n == kEvents) {
        // More may be ready: come back after timers and listeners had their turn.
        boost::asio::post(io_, [this] {
            if (!stopped_) drain();
        });
        return;
    }
    wait();
}

}  // namespace rpinetboot::tftpd
