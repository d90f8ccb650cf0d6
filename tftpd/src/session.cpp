#include "session.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "logging.h"
#include "sanitize.h"
#include "server.h"
#include "transfer_event.h"

namespace rpinetboot::tftpd {

namespace {
constexpr std::size_t kMaxBatch = 64;  // the largest window (settings) in one sendmmsg
// Clients send ACKs and ERRORs; an ERROR's text beyond this is cut, which is harmless.
constexpr std::size_t kMaxClientDatagram = 1024;
}  // namespace

Session::Session(Server& server, std::uint64_t id, TransferSocket socket,
                 const boost::asio::ip::udp::endpoint& client, FilePtr file, FileReader& reader,
                 const Transfer::Params& params, const tftp::Options& oack, std::string logName,
                 Transfer::TimePoint requestAt)
    : server_(server),
      id_(id),
      socket_(std::move(socket)),
      client_(client),
      timer_(server.io_),
      file_(std::move(file)),
      stream_(file_, reader, params.blockSize),
      transfer_(params, Transfer::Clock::now()),
      params_(params),
      logName_(std::move(logName)),
      started_(Transfer::Clock::now()),
      requestAt_(requestAt) {
    if (params.sendOack) oack_ = tftp::buildOack(oack);
    const std::size_t slots = std::clamp<std::size_t>(params.windowSize, std::size_t{1}, kMaxBatch);
    sendMsgs_.resize(slots);
    sendIov_.resize(slots * 2);
    sendHeaders_.resize(slots);
    uring_ = server.uring_.get();
    if (uring_) {
        recvOp_.session = this;
        recvOp_.receive = true;
        sendOp_.session = this;
        if (!uring_->multishot()) recvBuf_.resize(kMaxClientDatagram);
    }
}

void Session::start() {
    if (transfer_.needsRollover()) {
        LOG4CPLUS_WARN(logger(), "\"" << logName_ << "\" to " << client_ << " needs "
                                      << transfer_.totalBlocks() << " blocks of "
                                      << params_.blockSize
                                      << " bytes: the block number rolls over, which Pi "
                                         "bootloaders before 2025-09-23 cannot follow");
    }
    if (uring_) armReceive();
    send(transfer_.start(Transfer::Clock::now()));
    if (done_) return;
    armTimer();
}

void Session::holdIo() {
    if (ioQueued_++ == 0) self_ = shared_from_this();
}

void Session::releaseIo() {
    if (--ioQueued_ > 0) return;
    // Closed only now: an entry still queued names the descriptor by number, which a new
    // transfer's socket could otherwise have taken.
    if (done_) socket_.close();
    self_.reset();  // the caller holds its own reference
}

void Session::armReceive() {
    if (uring_->multishot()) {
        // One entry for the whole transfer: each ACK arrives in a buffer of the engine's.
        uring_->recvMultishot(socket_.fd(), &recvOp_);
    } else {
        recvIov_ = {recvBuf_.data(), recvBuf_.size()};
        recvMsg_ = {};
        recvMsg_.msg_name = &recvName_;
        recvMsg_.msg_namelen = sizeof recvName_;
        recvMsg_.msg_iov = &recvIov_;
        recvMsg_.msg_iovlen = 1;
        uring_->recvmsg(socket_.fd(), &recvMsg_, &recvOp_);
    }
    receiveQueued_ = true;
    holdIo();
}

void Session::onReceived(int res, unsigned flags) {
    auto keep = shared_from_this();
    const bool armed = TransferUring::more(flags);  // a multishot entry still queued
    if (!armed) {
        receiveQueued_ = false;
        releaseIo();
    }
    if (uring_->multishot()) {
        TransferUring::Datagram d;
        if (uring_->datagram(res, flags, d)) {
            if (!done_ && socket_.fromPeer(d.msg)) {
                onPacket(ByteSpan(d.data, d.size), Transfer::Clock::now());
            }
            uring_->release(flags);
        }
    } else if (res >= 0 && !done_ && socket_.fromPeer(recvMsg_)) {
        onPacket(ByteSpan(recvBuf_.data(), static_cast<std::size_t>(res)), Transfer::Clock::now());
    }
    if (done_) return;
    // A pending ICMP error is reported as the receive's error (-ENOBUFS: the engine's
    // buffers ran out for a moment; armed again below).
    if (res < 0 && res != -ECANCELED && res != -ENOBUFS) checkErrors();
    if (!done_ && !armed) armReceive();
}

void Session::onSent(int res) {
    auto keep = shared_from_this();
    --sendsInFlight_;
    releaseIo();
    if (done_) return;
    if (res >= 0 && !replied_) {
        replied_ = true;
        server_.metrics_.firstReply.observe(
            std::chrono::duration<double>(Transfer::Clock::now() - requestAt_).count());
    } else if (res == -ECONNREFUSED || res == -EHOSTUNREACH || res == -ENETUNREACH) {
        checkErrors();  // lost otherwise, as on the wire: the retransmit timer recovers
        if (done_) return;
    }
    if (sendsInFlight_ == 0 && !pending_.empty()) flushPending();
}

void Session::closeSocket() {
    // io_uring: cancel the queued receive; the socket is closed when the last queued entry
    // that names it has completed (releaseIo).
    if (uring_ && ioQueued_ > 0) {
        if (receiveQueued_) uring_->cancel(&recvOp_);
        return;
    }
    socket_.close();
}

void Session::onReadable() {
    RecvBatch& in = server_.ackBatch();
    if (done_) return;
    const int n = in.receive(socket_.fd());
    if (n <= 0) {
        // Nothing (an error-queue wake-up) or a pending ICMP error reported as the receive's
        // error.
        checkErrors();
        return;
    }
    const auto now = Transfer::Clock::now();
    for (int i = 0; i < n && !done_; ++i) {
        if (!socket_.fromPeer(in, static_cast<std::size_t>(i))) continue;
        onPacket(in.data(static_cast<std::size_t>(i)), now);
    }
    if (done_) return;
    if (static_cast<std::size_t>(n) == in.capacity()) {
        // More may be queued, and the socket is edge-triggered: read again after others' turn.
        auto self = shared_from_this();
        boost::asio::post(server_.io_, [self] {
            if (!self->done_) self->onReadable();
        });
    }
}

void Session::onWritable() {
    if (done_ || !waitingWrite_) return;
    waitingWrite_ = false;
    server_.poller_.watchWritable(socket_.fd(), id_, false);
    flushPending();
}

void Session::onPacket(ByteSpan packet, Transfer::TimePoint now) {
    if (auto ack = tftp::parseAck(packet)) {
        const auto before = transfer_.lastProgress();
        send(transfer_.onAck(*ack, now));
        if (done_) return;
        if (transfer_.lastProgress() != before) server_.progressed(id_, now);
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

void Session::checkErrors() {
    unsigned ignored = 0;
    const bool gone = socket_.peerUnreachable(ignored);
    if (ignored > 0) {
        LOG4CPLUS_DEBUG(logger(), "\"" << logName_ << "\" to " << client_ << ": ignored " << ignored
                                       << " ICMP error(s) not sent by the client");
    }
    if (gone && !done_) {
        transfer_.onClientError();
        finish("client port unreachable", true);
    }
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
        if (done_) return;
        if (!transfer_.running()) {
            finish(nullptr);
            return;
        }
    }
    armTimer();
}

void Session::send(const Transfer::Send& what) {
    if (what.empty()) return;
    pending_ = what;  // a newer window supersedes what was still waiting
    if (!waitingWrite_) flushPending();
}

void Session::flushPending() {
    while (!pending_.empty() && !done_) {
        // io_uring: the last window is still being read by the kernel; its completions resume.
        if (sendsInFlight_ > 0) return;
        mmsghdr* msgs = sendMsgs_.data();
        iovec* iov = sendIov_.data();
        std::size_t count = 0;
        if (pending_.oack) {
            iov[0] = {oack_.data(), oack_.size()};
            msgs[0] = {};
            msgs[0].msg_hdr.msg_iov = &iov[0];
            msgs[0].msg_hdr.msg_iovlen = 1;
            count = 1;
        } else {
            const std::size_t want =
                static_cast<std::size_t>(std::min<std::uint64_t>(pending_.count, sendMsgs_.size()));
            if (!file_->inMemory()) scratch_.resize(want * params_.blockSize);
            std::weak_ptr<Session> weak = shared_from_this();
            auto wake = [weak] {
                auto self = weak.lock();
                if (self && !self->done_ && !self->waitingWrite_) self->flushPending();
            };
            for (; count < want; ++count) {
                const std::uint64_t block = pending_.firstBlock + count;
                tftp::writeDataHeader(sendHeaders_[count].bytes, Transfer::wireBlock(block));
                const std::size_t len = transfer_.blockLength(block);
                const std::uint8_t* payload = nullptr;
                if (len > 0) {
                    payload = stream_.get(transfer_.blockOffset(block), len, wake);
                    if (!payload) break;  // not read yet: send what is ready, `wake` resumes
                    if (!file_->inMemory()) {
                        // Copied out of the chunk, which the reader refills meanwhile.
                        std::uint8_t* copy = scratch_.data() + count * params_.blockSize;
                        std::memcpy(copy, payload, len);
                        payload = copy;
                    }
                }
                iov[2 * count] = {sendHeaders_[count].bytes, tftp::kHeaderSize};
                iov[2 * count + 1] = {const_cast<std::uint8_t*>(payload), len};
                msgs[count] = {};
                msgs[count].msg_hdr.msg_iov = &iov[2 * count];
                msgs[count].msg_hdr.msg_iovlen = len > 0 ? 2 : 1;
            }
            if (count == 0) {
                if (stream_.failed()) {
                    // The file shrank under us (or became unreadable): stop rather than send
                    // short garbage.
                    LOG4CPLUS_WARN(logger(), "\"" << logName_ << "\" to " << client_
                                                  << " failed: file changed while being served");
                    transfer_.onClientError();
                    fileChanged_ = true;
                    finish("file changed while being served");
                }
                return;  // waiting for the reader
            }
        }
        if (uring_) {
            // Queued: they leave with this round's other sends in one io_uring_enter.
            uring_->sendmsgs(socket_.fd(), msgs, count, &sendOp_);
            sendsInFlight_ += static_cast<unsigned>(count);
            for (std::size_t i = 0; i < count; ++i) holdIo();
            if (pending_.oack) {
                pending_ = {};
            } else {
                for (std::size_t i = 0; i < count; ++i) {
                    server_.metrics_.sentBytes +=
                        msgs[i].msg_hdr.msg_iovlen > 1 ? iov[2 * i + 1].iov_len : 0;
                }
                pending_.firstBlock += count;
                pending_.count -= count;
            }
            return;
        }
        int n = ::sendmmsg(socket_.fd(), msgs, static_cast<unsigned>(count), MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
            // A pending ICMP error fails the next send once: look at it, then try again.
            checkErrors();
            if (done_) return;
            n = ::sendmmsg(socket_.fd(), msgs, static_cast<unsigned>(count), MSG_DONTWAIT);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
                pending_ = {};  // lost, as on the wire: the retransmit timer recovers
                return;
            }
        }
        if (n <= 0) {
            // Send buffer full: continue when it drains.
            waitingWrite_ = true;
            server_.poller_.watchWritable(socket_.fd(), id_, true);
            return;
        }
        if (!replied_) {
            replied_ = true;
            server_.metrics_.firstReply.observe(
                std::chrono::duration<double>(Transfer::Clock::now() - requestAt_).count());
        }
        if (pending_.oack) {
            pending_ = {};
        } else {
            for (int i = 0; i < n; ++i) {
                server_.metrics_.sentBytes +=
                    msgs[i].msg_hdr.msg_iovlen > 1 ? iov[2 * i + 1].iov_len : 0;
            }
            pending_.firstBlock += static_cast<std::uint64_t>(n);
            pending_.count -= static_cast<std::uint64_t>(n);
        }
    }
}

void Session::countEnd(FailReason reason) {
    Metrics& m = server_.metrics_;
    m.retransmits += transfer_.retransmits();
    m.failed(reason);
}

void Session::report(Outcome outcome, std::uint64_t bytes, std::string error, std::string text) {
    if (!server_.eventsOn()) return;
    auto e = tftpFileEvent(request_, TransferPolicy::canonical(client_.address()).to_string());
    e.bytes = bytes;
    e.durationUs = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Transfer::Clock::now() - requestAt_)
            .count());
    e.outcome = outcome;
    e.error = std::move(error);
    e.text = std::move(text);
    server_.emitEvent(std::move(e));
}

void Session::abort(const char* why, FailReason reason) {
    if (done_) return;
    LOG4CPLUS_DEBUG(logger(), "\"" << logName_ << "\" to " << client_ << " dropped: " << why);
    countEnd(reason);
    report(Outcome::Failed, transfer_.bytesAcked(), why);
    done_ = true;
    timer_.cancel();
    closeSocket();  // leaves the TransferPoller's set (or cancels the queued receive)
}

void Session::finish(const char* detail, bool byIcmp) {
    if (done_) return;
    done_ = true;
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Transfer::Clock::now() - started_)
            .count();
    switch (transfer_.status()) {
        case Transfer::Status::Complete:
            ++server_.metrics_.completed;
            server_.metrics_.completedFile(logName_);
            server_.metrics_.retransmits += transfer_.retransmits();
            LOG4CPLUS_INFO(logger(), "sent \"" << logName_ << "\" to " << client_ << ": "
                                               << file_->size() << " bytes in " << ms
                                               << " ms, blksize " << params_.blockSize
                                               << ", window " << params_.windowSize << ", "
                                               << transfer_.retransmits() << " retransmits");
            report(Outcome::Ok, file_->size(), {});
            break;
        case Transfer::Status::TimedOut:
            countEnd(FailReason::Timeout);
            LOG4CPLUS_INFO(logger(), "failed \"" << logName_ << "\" to " << client_
                                                 << ": timed out after " << transfer_.bytesAcked()
                                                 << " of " << file_->size() << " bytes, " << ms
                                                 << " ms, " << transfer_.retransmits()
                                                 << " retransmits"
                                                 << (transfer_.halfOpen() ? " (half-open)" : ""));
            report(Outcome::Failed, transfer_.bytesAcked(),
                   transfer_.halfOpen() ? "timed out (half-open)" : "timed out");
            break;
        case Transfer::Status::ClientError:
        case Transfer::Status::Running:
            if (transfer_.endedByProbe() && !byIcmp && !fileChanged_) {
                // The Pi's probe: OACK (or DATA 1) then "Early terminate". Normal, not an error.
                ++server_.metrics_.earlyTerminated;
                server_.metrics_.retransmits += transfer_.retransmits();
                LOG4CPLUS_DEBUG(logger(), "probe \"" << logName_ << "\" from " << client_
                                                     << " ended by client after "
                                                     << transfer_.bytesAcked() << " bytes"
                                                     << (detail ? ": " : "")
                                                     << (detail ? detail : ""));
                // Reported as ok: the file is there and the Pi only asked its size.
                report(
                    Outcome::Ok, transfer_.bytesAcked(), {},
                    std::string("early terminate") + (detail ? ": " : "") + (detail ? detail : ""));
            } else {
                // Not the Pi's pattern: a client that gave up mid-file, or someone who can see
                // the traffic ending it. Worth a line and a count.
                countEnd(fileChanged_ ? FailReason::FileChanged : FailReason::ClientError);
                LOG4CPLUS_INFO(logger(),
                               "\"" << logName_ << "\" to " << client_ << " ended by client after "
                                    << transfer_.bytesAcked() << " of " << file_->size() << " bytes"
                                    << (detail ? ": " : "") << (detail ? detail : "")
                                    << " (unexpected ends so far: " << server_.countUnexpectedEnd()
                                    << ")");
                report(Outcome::Failed, transfer_.bytesAcked(),
                       fileChanged_ ? std::string("file changed while being served")
                                    : std::string("ended by client") + (detail ? ": " : "") +
                                          (detail ? detail : ""));
            }
            break;
    }
    timer_.cancel();
    closeSocket();
    server_.sessionEnded(this);
}

}  // namespace rpinetboot::tftpd
