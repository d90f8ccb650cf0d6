// The /metrics endpoint: a small HTTP/1.1 server (Boost.Beast) on the daemon's own io_context.
// Every step is asynchronous and bounded in time and size, so a slow or hostile HTTP client
// costs a socket and a few KiB, never the TFTP loop's time. GET /metrics is answered; any other
// path gets 404, any other method 405.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace rpinetboot::tftpd {

class MetricsHttp {
  public:
    using Render = std::function<std::string()>;

    // Request header limit (a scrape sends a few hundred bytes); requests with a body are
    // refused.
    static constexpr std::size_t kMaxHeaderBytes = 8192;
    // Reading a request (or waiting for the next on a kept-alive connection), or writing a
    // response, must finish within this.
    static constexpr std::chrono::seconds kIoTimeout{10};
    // Connections open at once; more are closed at once.
    static constexpr unsigned kMaxConnections = 16;

    MetricsHttp(boost::asio::io_context& io, Render render);
    ~MetricsHttp();

    // Binds and listens on "ADDR:PORT" or "[ADDR6]:PORT". Call before dropping privileges.
    bool open(const std::string& spec, std::string& error);
    void start();
    void stop();

  private:
    class Connection;
    struct Registry;
    void accept();

    Render render_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_;
    std::shared_ptr<Registry> registry_;  // the open connections
    bool stopping_ = false;
};

}  // namespace rpinetboot::tftpd
