// Built without liburing: the engine is never available, and the server uses epoll.
#include "transfer_uring.h"

struct io_uring {};

namespace rpinetboot::tftpd {

struct TransferUring::BufferRing {};

std::unique_ptr<TransferUring> TransferUring::open(boost::asio::io_context&, std::string& why) {
    why = "rpi-tftpd was built without liburing";
    return nullptr;
}

TransferUring::~TransferUring() = default;
void TransferUring::recvmsg(int, msghdr*, Op*) {}
void TransferUring::recvMultishot(int, Op*) {}
bool TransferUring::more(unsigned) {
    return false;
}
bool TransferUring::datagram(int, unsigned, Datagram&) {
    return false;
}
void TransferUring::release(unsigned) {}
void TransferUring::sendmsgs(int, mmsghdr*, std::size_t, Op*) {}
void TransferUring::cancel(Op*) {}
void TransferUring::start() {}
void TransferUring::stop() {}
void TransferUring::settle(int) {}
void TransferUring::submit() {}

}  // namespace rpinetboot::tftpd
