#include "engine_choice.h"

#include "sanitize.h"

namespace rpinetboot::tftpd {

EngineChoice chooseEngine(boost::asio::io_context& io, const char* forced) {
    EngineChoice c;
    const std::string want = forced ? forced : "";
    if (!want.empty() && want != "epoll" && want != "io_uring") {
        c.error = "RPI_TFTPD_ENGINE must be epoll or io_uring, not \"" + sanitize(want, 32) + "\"";
        return c;
    }
    if (want == "epoll") {
        c.line = "transfer I/O: epoll (RPI_TFTPD_ENGINE=epoll)";
        return c;
    }
    std::string why;
    c.uring = TransferUring::open(io, why);
    if (c.uring) {
        // Multishot: one receive entry per transfer; else one per datagram (RPI_TFTPD_MULTISHOT=0
        // or a kernel that refused the provided-buffer ring).
        c.line = std::string("transfer I/O: io_uring, ") +
                 (c.uring->multishot() ? "multishot receive" : "one receive per datagram") +
                 (c.uring->cooperative() ? ", cooperative completions" : "");
        return c;
    }
    if (want == "io_uring") {
        c.error = "RPI_TFTPD_ENGINE=io_uring, but io_uring is not available: " + why;
        return c;
    }
    c.line = "transfer I/O: epoll (io_uring not available: " + why + ")";
    return c;
}

}  // namespace rpinetboot::tftpd
