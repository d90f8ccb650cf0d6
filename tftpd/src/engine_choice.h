// Which transfer I/O engine the daemon runs: io_uring when it opens, else epoll with the reason.
// Apart from the Server so that the choice, and its log line, can be checked against every
// build of the engine (transfer_uring.cpp, and transfer_uring_none.cpp without liburing).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "transfer_uring.h"

namespace rpinetboot::tftpd {

struct EngineChoice {
    std::unique_ptr<TransferUring> uring;  // null: epoll
    std::string line;                      // the log line that says which, and why (when ok)
    std::string error;                     // non-empty: refuse to start
};

// `forced` is RPI_TFTPD_ENGINE (null or empty: choose): "epoll" or "io_uring", anything else an
// error; "io_uring" is an error when io_uring cannot be opened.
EngineChoice chooseEngine(boost::asio::io_context& io, const char* forced);

}  // namespace rpinetboot::tftpd
