// One transfer: the Transfer state machine, the file it serves, its own connected socket (its
// TID) and its retransmit timer. Only datagrams from the client's (ip, port) reach it.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datagram.h"
#include "file_cache.h"
#include "file_stream.h"
#include "metrics.h"
#include "rpinetboot/boot_event.h"
#include "rpinetboot/tftp/packet.h"
#include "transfer.h"
#include "transfer_socket.h"
#include "transfer_uring.h"

namespace rpinetboot::tftpd {

class Server;

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(Server& server, std::uint64_t id, TransferSocket socket,
            const boost::asio::ip::udp::endpoint& client, FilePtr file, FileReader& reader,
            const Transfer::Params& params, const tftp::Options& oack, std::string logName,
            Transfer::TimePoint requestAt);

    // Sends the OACK or DATA 1 (the server has put its socket in the TransferPoller, or runs
    // the io_uring engine: then the first receive is queued here).
    void start();
    // From the TransferPoller: the socket has datagrams or an error queued / can send again.
    void onReadable();
    void onWritable();
    // From the io_uring engine: a receive or a send completed with `res` (bytes or -errno).
    void onReceived(int res, unsigned flags);
    void onSent(int res);
    int fd() const { return socket_.fd(); }
    // Ends the transfer without telling the client (replaced by a new request, evicted, exit).
    void abort(const char* why, FailReason reason);

    std::uint64_t id() const { return id_; }
    // The client as the request came in (the key of the server's table).
    const boost::asio::ip::udp::endpoint& client() const { return client_; }
    bool halfOpen() const { return transfer_.halfOpen(); }
    // What its retransmit timer learnt, for the client's next transfers.
    Transfer::Duration timeoutFloor() const { return transfer_.timeoutFloor(); }
    bool hadSpuriousRetransmit() const { return transfer_.spuriousRetransmits() > 0; }
    // The request that started this transfer, to recognise a client's retransmitted RRQ.
    void setRequestKey(std::string key) { requestKey_ = std::move(key); }
    const std::string& requestKey() const { return requestKey_; }
    // The file name as the client sent it, for the boot event.
    void setRequest(std::string name) { request_ = std::move(name); }

  private:
    void onPacket(ByteSpan packet, Transfer::TimePoint now);
    // io_uring: queue the next receive; keep this session alive while operations are queued.
    void armReceive();
    void holdIo();
    void releaseIo();
    // Ends the socket: cancels the queued receive first under io_uring.
    void closeSocket();
    void checkErrors();
    void armTimer();
    void onTimer(const boost::system::error_code& ec, unsigned generation);
    void send(const Transfer::Send& what);
    void flushPending();
    void finish(const char* detail, bool byIcmp = false);
    // Counts how it ended (finish and abort).
    void countEnd(FailReason reason);
    // Its TFTP_FILE boot event, when the server has an event sink.
    void report(Outcome outcome, std::uint64_t bytes, std::string error, std::string text = {});
    std::string request_;  // the name as the client sent it (the event's identity comes from it)

    Server& server_;
    std::uint64_t id_;
    TransferSocket socket_;
    boost::asio::ip::udp::endpoint client_;
    boost::asio::steady_timer timer_;
    FilePtr file_;
    FileStream stream_;
    Transfer transfer_;
    Transfer::Params params_;
    Bytes oack_;
    std::string logName_;  // sanitised request name
    std::string requestKey_;
    Transfer::TimePoint started_;
    Transfer::TimePoint requestAt_;  // when its RRQ was read, for the first-reply latency
    Transfer::TimePoint timerAt_{};
    // What could not be sent yet because the socket's send buffer was full (a large window of
    // large blocks): sent when it drains. A newer Send replaces it.
    Transfer::Send pending_;
    std::vector<std::uint8_t> scratch_;  // blocks of a streamed file, copied out of its chunks
    // The datagrams being sent (a window of at most kMaxBatch): kept here, not on the stack,
    // because io_uring reads them after flushPending returns.
    std::vector<mmsghdr> sendMsgs_;
    std::vector<iovec> sendIov_;  // two per datagram: header, payload
    struct Header {
        std::uint8_t bytes[tftp::kHeaderSize];
    };
    std::vector<Header> sendHeaders_;
    // io_uring: the engine (null under epoll), the one queued receive and its buffer, and the
    // owners of completions.
    struct UringOp final : TransferUring::Op {
        Session* session = nullptr;
        bool receive = false;
        void completed(int res, unsigned flags) override {
            receive ? session->onReceived(res, flags) : session->onSent(res);
        }
    };
    TransferUring* uring_ = nullptr;
    UringOp recvOp_;
    UringOp sendOp_;
    msghdr recvMsg_{};
    iovec recvIov_{};
    sockaddr_storage recvName_{};
    std::vector<std::uint8_t> recvBuf_;
    unsigned ioQueued_ = 0;       // operations queued and not completed
    unsigned sendsInFlight_ = 0;  // of which sends
    bool receiveQueued_ = false;
    std::shared_ptr<Session> self_;  // while ioQueued_ > 0: the kernel writes into this object
    unsigned timerGeneration_ = 0;
    bool timerArmed_ = false;
    bool waitingWrite_ = false;
    bool done_ = false;
    bool replied_ = false;      // OACK or DATA 1 has left
    bool fileChanged_ = false;  // ended because the file changed under it
};

}  // namespace rpinetboot::tftpd
