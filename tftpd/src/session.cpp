#include "session.h"

#include <cstring>
#include <sstream>
#include <vector>

#include "logging.h"
#include "sanitize.h"
#include "server.h"
#include "transfer_port.h"

namespace rpinetboot::tftpd {

Session::Session(Server& server, TransferPort& port, const SendBatch::Route& route, FilePtr file,
                 const Transfer::Params& params, const tftp::Options& oack, std::string logName)
    : server_(server),
      port_(port),
      route_(route),
      timer_(port.socket().get_executor()),
      file_(std::move(file)),
      transfer_(params, Transfer::Clock::now()),
      params_(params),
      logName_(std::move(logName)),
      started_(Transfer::Clock::now()) {
    if (params.sendOack) oack_ = tftp::buildOack(oack);
}

void Session::start() {
    if (transfer_.needsRollover()) {
        LOG4CPLUS_WARN(logger(), "\"" << logName_ << "\" to " << client() << " needs "
                                      << transfer_.totalBlocks() << " blocks of "
                                      << params_.blockSize
                                      << " bytes: the block number rolls over, which Pi "
                                         "bootloaders before 2025-09-23 cannot follow");
    }
    send(transfer_.start(Transfer::Clock::now()));
    armTimer();
}

void Session::onPacket(ByteSpan packet, Transfer::TimePoint now) {
    if (done_) return;
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
    }
    // Anything else from the client is ignored (not answered: no reflection).
}

void Session::onUnreachable() {
    if (done_) return;
    transfer_.onClientError();
    finish("client port unreachable");
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
        port_.outgoing().flush();
        if (!transfer_.running()) {
            finish(nullptr);
            return;
        }
    }
    armTimer();
}

void Session::send(const Transfer::Send& what) {
    SendBatch& out = port_.outgoing();
    if (what.oack) {
        std::memcpy(out.addOwned(route_, oack_.size()), oack_.data(), oack_.size());
        return;
    }
    std::vector<std::uint8_t> scratch;  // only for files streamed from disk
    for (std::uint64_t i = 0; i < what.count; ++i) {
        const std::uint64_t block = what.firstBlock + i;
        std::uint8_t header[tftp::kHeaderSize];
        tftp::writeDataHeader(header, Transfer::wireBlock(block));
        const std::size_t len = transfer_.blockLength(block);
        if (len == 0) {
            out.add(route_, header, sizeof header, nullptr, 0, nullptr);
            continue;
        }
        if (file_->inMemory()) {
            const std::uint8_t* payload = file_->read(transfer_.blockOffset(block), len, nullptr);
            out.add(route_, header, sizeof header, payload, len, file_);
            continue;
        }
        scratch.resize(len);
        const std::uint8_t* payload =
            file_->read(transfer_.blockOffset(block), len, scratch.data());
        if (!payload) {
            // The streamed file shrank under us: stop rather than send short garbage.
            LOG4CPLUS_WARN(logger(), "\"" << logName_ << "\" to " << client()
                                          << " failed: file changed while being served");
            transfer_.onClientError();
            return;
        }
        std::uint8_t* buf = out.addOwned(route_, sizeof header + len);
        std::memcpy(buf, header, sizeof header);
        std::memcpy(buf + sizeof header, payload, len);
    }
}

void Session::abort(const char* why) {
    if (done_) return;
    LOG4CPLUS_DEBUG(logger(), "\"" << logName_ << "\" to " << client() << " dropped: " << why);
    done_ = true;
    timer_.cancel();
}

void Session::finish(const char* detail) {
    if (done_) return;
    done_ = true;
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Transfer::Clock::now() - started_)
            .count();
    switch (transfer_.status()) {
        case Transfer::Status::Complete:
            LOG4CPLUS_INFO(logger(), "sent \"" << logName_ << "\" to " << client() << ": "
                                               << file_->size() << " bytes in " << ms
                                               << " ms, blksize " << params_.blockSize
                                               << ", window " << params_.windowSize << ", "
                                               << transfer_.retransmits() << " retransmits");
            break;
        case Transfer::Status::TimedOut:
            LOG4CPLUS_INFO(logger(), "failed \"" << logName_ << "\" to " << client()
                                                 << ": timed out after " << transfer_.bytesAcked()
                                                 << " of " << file_->size() << " bytes, " << ms
                                                 << " ms, " << transfer_.retransmits()
                                                 << " retransmits"
                                                 << (transfer_.halfOpen() ? " (half-open)" : ""));
            break;
        case Transfer::Status::ClientError:
        case Transfer::Status::Running:
            // The Pi's probe: OACK (or DATA 1) then "Early terminate". Normal, not an error.
            LOG4CPLUS_DEBUG(logger(), "probe \"" << logName_ << "\" from " << client()
                                                 << " ended by client after "
                                                 << transfer_.bytesAcked() << " bytes"
                                                 << (detail ? ": " : "") << (detail ? detail : ""));
            break;
    }
    timer_.cancel();
    server_.sessionEnded(this);
}

}  // namespace rpinetboot::tftpd
