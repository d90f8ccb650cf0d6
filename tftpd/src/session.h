// One transfer: the Transfer state machine, the file it serves, and its retransmit timer. Its
// datagrams go through the listener's shared TransferPort; the server hands it the client's
// packets after checking they come from the client's (ip, port).
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "datagram.h"
#include "file_cache.h"
#include "rpinetboot/tftp/packet.h"
#include "transfer.h"

namespace rpinetboot::tftpd {

class Server;
class TransferPort;

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(Server& server, TransferPort& port, const SendBatch::Route& route, FilePtr file,
            const Transfer::Params& params, const tftp::Options& oack, std::string logName);

    // Queues the OACK or DATA 1 on the port (sent with the port's next flush).
    void start();
    // A datagram from the client (ACK, ERROR, anything else is ignored); replies are queued.
    void onPacket(ByteSpan packet, Transfer::TimePoint now);
    // ICMP said the client's port is closed: it has gone away.
    void onUnreachable();
    // Ends the transfer without telling the client (replaced by a new request, evicted, exit).
    void abort(const char* why);

    const boost::asio::ip::udp::endpoint& client() const { return route_.to; }
    const TransferPort& port() const { return port_; }
    bool halfOpen() const { return transfer_.halfOpen(); }
    // The request that started this transfer, to recognise a client's retransmitted RRQ.
    void setRequestKey(std::string key) { requestKey_ = std::move(key); }
    const std::string& requestKey() const { return requestKey_; }

  private:
    void armTimer();
    void onTimer(const boost::system::error_code& ec, unsigned generation);
    void send(const Transfer::Send& what);
    void finish(const char* detail);

    Server& server_;
    TransferPort& port_;
    SendBatch::Route route_;
    boost::asio::steady_timer timer_;
    FilePtr file_;
    Transfer transfer_;
    Transfer::Params params_;
    Bytes oack_;
    std::string logName_;  // sanitised request name
    std::string requestKey_;
    Transfer::TimePoint started_;
    Transfer::TimePoint timerAt_{};
    unsigned timerGeneration_ = 0;
    bool timerArmed_ = false;
    bool done_ = false;
};

}  // namespace rpinetboot::tftpd
