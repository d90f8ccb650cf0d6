// Readiness of every transfer socket from one epoll set of its own, registered once per socket
// (edge-triggered) and read in batches. Asio's reactor re-arms a descriptor with epoll_ctl on
// every wait it is given; with a socket per transfer that was one extra syscall per DATA block.
// Here only the set itself is waited on through Asio, once per batch of ready transfers.
#pragma once

#include <sys/epoll.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::tftpd {

class TransferPoller {
  public:
    // handler(transfer id, epoll events) for every ready transfer.
    using Handler = std::function<void(std::uint64_t, std::uint32_t)>;

    TransferPoller(boost::asio::io_context& io, Handler handler);

    bool add(int fd, std::uint64_t id);
    // Also report when `fd` can send again (its send buffer was full), or stop doing so.
    void watchWritable(int fd, std::uint64_t id, bool on);
    // A closed descriptor leaves the set by itself.

    void start();
    void stop();

  private:
    void wait();
    void drain();

    boost::asio::io_context& io_;
    Handler handler_;
    boost::asio::posix::stream_descriptor set_;
    bool stopped_ = false;
};

}  // namespace rpinetboot::tftpd
