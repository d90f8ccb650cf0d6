#include "session.h"

#include <boost/asio/buffer.hpp>
#include <sstream>

#include "logging.h"
#include "sanitize.h"
#include "server.h"

namespace rpinetboot::tftpd {

namespace asio = boost::asio;

Session::Session(Server& server, asio::ip::udp::socket socket, asio::ip::udp::endpoint client,
                 FilePtr file, const Transfer::Params& params, const tftp::Options& oack,
                 std::string logName)
    : server_(server),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      client_(std::move(client)),
      file_(std::move(file)),
      transfer_(params, Transfer::Clock::now()),
      params_(params),
      logName_(std::move(logName)),
      started_(Transfer::Clock::now()) {
    if (params.sendOack) oack_ = tftp::buildOack(oack);
    if (!file_->inMemory()) scratch_.resize(params.blockSize);
}

void Session::start() {
    if (transfer_.needsRollover()) {
        LOG4CPLUS_WARN(logger(), "\"" << logName_ << "\" to " << client_ << " needs "
                                      << transfer_.totalBlocks() << " blocks of "
                                      << params_.blockSize
                                      << " bytes: the block number rolls over, which Pi "
                                         "bootloaders before 2025-09-23 cannot follow");
    }
    send(transfer_.start(Transfer::Clock::now()));
    receive();
    armTimer();
}

void Session::receive() {
    auto self = shared_from_this();
    socket_.async_receive(asio::buffer(rx_), [self](const boost::system::error_code& ec,
                                                    std::size_t n) { self->onReceive(ec, n); });
}

void Session::onReceive(const boost::system::error_code& ec, std::size_t n) {
    if (done_) return;
    if (ec) {
        if (ec == asio::error::operation_aborted) return;
        // ICMP port unreachable on the connected socket: the client has gone away.
        if (ec == asio::error::connection_refused) {
            transfer_.onClientError();
            finish("client port unreachable");
            return;
        }
        receive();
        return;
    }
    ByteSpan packet(rx_.data(), n);
    const auto now = Transfer::Clock::now();
    if (auto ack = tftp::parseAck(packet)) {
        send(transfer_.onAck(*ack, now));
        if (!transfer_.running()) {
            finish(nullptr);
            return;
        }
        armTimer();
    } else if (auto err = tftp::parseError(packet)) {
        transfer_.onClientError();
        finish(sanitize(err->message, 64).c_str());
        return;
    }
    // Anything else from the client is ignored (not answered: no reflection).
    receive();
    server_.pollListeners();  // last: it may start, replace or end sessions (this one too)
}

void Session::armTimer() {
    // Lazy re-arming: ACKs only move the deadline later, so a timer that fires early just
    // re-arms itself. This keeps timer syscalls off the per-block path.
    const auto deadline = transfer_.deadline();
    if (timerArmed_ && timerAt_ <= deadline) return;
    timerArmed_ = true;
    timerAt_ = deadline;
    const unsigned generation = ++timerGeneration_;
    timer_.expires_at(deadline);
    auto self = shared_from_this();
    timer_.async_wait(
        [self, generation](const boost::system::error_code& ec) { self->onTimer(ec, generation); });
}

void Session::onTimer(const boost::system::error_code& ec, unsigned generation) {
    if (done_ || ec || generation != timerGeneration_) return;
    timerArmed_ = false;
    const auto now = Transfer::Clock::now();
    if (now >= transfer_.deadline()) {
        send(transfer_.onTimer(now));
        if (!transfer_.running()) {
            finish(nullptr);
            return;
        }
    }
    armTimer();
}

void Session::send(const Transfer::Send& what) {
    boost::system::error_code ec;
    if (what.oack) {
        socket_.send(asio::buffer(oack_), 0, ec);
        return;
    }
    for (std::uint64_t i = 0; i < what.count; ++i) {
        const std::uint64_t block = what.firstBlock + i;
        std::uint8_t header[tftp::kHeaderSize];
        tftp::writeDataHeader(header, Transfer::wireBlock(block));
        const std::size_t len = transfer_.blockLength(block);
        const std::uint8_t* payload = nullptr;
        if (len > 0) {
            payload = file_->read(transfer_.blockOffset(block), len, scratch_.data());
            if (!payload) {
                // The streamed file shrank under us: stop rather than send short garbage.
                LOG4CPLUS_WARN(logger(), "\"" << logName_ << "\" to " << client_
                                              << " failed: file changed while being served");
                transfer_.onClientError();
                return;
            }
        }
        std::array<asio::const_buffer, 2> bufs{asio::buffer(header), asio::buffer(payload, len)};
        // A full send queue is treated as loss: the retransmit timer recovers.
        socket_.send(bufs, 0, ec);
    }
}

void Session::abort(const char* why) {
    if (done_) return;
    LOG4CPLUS_DEBUG(logger(), "\"" << logName_ << "\" to " << client_ << " dropped: " << why);
    done_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
}

void Session::finish(const char* detail) {
    if (done_) return;
    done_ = true;
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Transfer::Clock::now() - started_)
            .count();
    switch (transfer_.status()) {
        case Transfer::Status::Complete:
            LOG4CPLUS_INFO(logger(), "sent \"" << logName_ << "\" to " << client_ << ": "
                                               << file_->size() << " bytes in " << ms
                                               << " ms, blksize " << params_.blockSize
                                               << ", window " << params_.windowSize << ", "
                                               << transfer_.retransmits() << " retransmits");
            break;
        case Transfer::Status::TimedOut:
            LOG4CPLUS_INFO(logger(), "failed \"" << logName_ << "\" to " << client_
                                                 << ": timed out after " << transfer_.bytesAcked()
                                                 << " of " << file_->size() << " bytes, " << ms
                                                 << " ms, " << transfer_.retransmits()
                                                 << " retransmits"
                                                 << (transfer_.halfOpen() ? " (half-open)" : ""));
            break;
        case Transfer::Status::ClientError:
        case Transfer::Status::Running:
            // The Pi's probe: OACK (or DATA 1) then "Early terminate". Normal, not an error.
            LOG4CPLUS_DEBUG(logger(), "probe \"" << logName_ << "\" from " << client_
                                                 << " ended by client after "
                                                 << transfer_.bytesAcked() << " bytes"
                                                 << (detail ? ": " : "") << (detail ? detail : ""));
            break;
    }
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    server_.sessionEnded(this);
}

}  // namespace rpinetboot::tftpd
