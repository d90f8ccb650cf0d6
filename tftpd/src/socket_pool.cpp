#include "socket_pool.h"

#include <netinet/in.h>
#include <sys/socket.h>

namespace rpinetboot::tftpd {

UniqueFd SocketPool::make(bool v4, bool nonBlocking) {
    UniqueFd fd(::socket(v4 ? AF_INET : AF_INET6,
                         SOCK_DGRAM | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), 0));
    if (!fd) return fd;
    const int on = 1;
    if (v4) {
        ::setsockopt(fd.get(), IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    } else {
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
    }
    return fd;
}

void SocketPool::setNonBlocking(bool nonBlocking) {
    if (nonBlocking == nonBlocking_) return;
    nonBlocking_ = nonBlocking;
    pools_[0].clear();
    pools_[1].clear();
}

UniqueFd SocketPool::take(bool v4) {
    const int i = v4 ? 0 : 1;
    used_[i] = true;
    auto& pool = pools_[i];
    if (pool.empty()) return make(v4, nonBlocking_);
    UniqueFd fd = std::move(pool.back());
    pool.pop_back();
    return fd;
}

bool SocketPool::refill(std::size_t atMost) {
    for (int i = 0; i < 2; ++i) {
        if (!used_[i]) continue;
        auto& pool = pools_[i];
        while (pool.size() < target_) {
            if (atMost == 0) return false;
            UniqueFd fd = make(i == 0, nonBlocking_);
            if (!fd) return true;
            pool.push_back(std::move(fd));
            --atMost;
        }
    }
    return true;
}

}  // namespace rpinetboot::tftpd
