// One transfer on its own connected UDP socket (the TFTP "TID"). Connecting the socket makes the
// kernel drop every datagram whose source (ip, port) is not the client's.
#pragma once

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "file_cache.h"
#include "rpinetboot/tftp/packet.h"
#include "transfer.h"

namespace rpinetboot::tftpd {

class Server;

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(Server& server, boost::asio::ip::udp::socket socket,
            boost::asio::ip::udp::endpoint client, FilePtr file, const Transfer::Params& params,
            const tftp::Options& oack, std::string logName);

    void start();
    // Ends the transfer without telling the client (replaced by a new request, evicted, exit).
    void abort(const char* why);

    const boost::asio::ip::udp::endpoint& client() const { return client_; }
    bool halfOpen() const { return transfer_.halfOpen(); }
    // The request that started this transfer, to recognise a client's retransmitted RRQ.
    void setRequestKey(std::string key) { requestKey_ = std::move(key); }
    const std::string& requestKey() const { return requestKey_; }

  private:
    void receive();
    void onReceive(const boost::system::error_code& ec, std::size_t n);
    void armTimer();
    void onTimer(const boost::system::error_code& ec, unsigned generation);
    void send(const Transfer::Send& what);
    void finish(const char* detail);

    Server& server_;
    boost::asio::ip::udp::socket socket_;
    boost::asio::steady_timer timer_;
    boost::asio::ip::udp::endpoint client_;
    FilePtr file_;
    Transfer transfer_;
    Transfer::Params params_;
    Bytes oack_;
    std::string logName_;  // sanitised request name
    std::string requestKey_;
    std::array<std::uint8_t, 516> rx_{};
    std::vector<std::uint8_t> scratch_;  // only for files streamed from disk
    Transfer::TimePoint started_;
    Transfer::TimePoint timerAt_{};
    unsigned timerGeneration_ = 0;
    bool timerArmed_ = false;
    bool done_ = false;
};

}  // namespace rpinetboot::tftpd
