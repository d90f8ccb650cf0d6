// The Asio glue: listening sockets, one Session (with its own socket) per transfer, signals.
// All decisions live in the logic classes (Transfer, TransferPolicy, negotiate, PathResolver,
// FileCache); this file only moves bytes and time between them and the kernel. One io_context,
// one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "datagram.h"
#include "file_cache.h"
#include "file_reader.h"
#include "metrics.h"
#include "metrics_http.h"
#include "path_resolver.h"
#include "rpinetboot/event_sink.h"
#include "rpinetboot/tftp/packet.h"
#include "settings.h"
#include "socket_pool.h"
#include "transfer_policy.h"
#include "transfer_poller.h"
#include "transfer_uring.h"

namespace rpinetboot::tftpd {

class Session;

class Server {
  public:
    Server(boost::asio::io_context& io, Settings settings, std::vector<std::string> args);
    ~Server();

    // Binds the --listen addresses, or adopts systemd's sockets, and the --metrics-listen one.
    // Call before dropping privileges.
    bool openListeners(std::string& error);
    // Chooses the transfer I/O engine: io_uring when available, else epoll (logged).
    bool openEngine(std::string& error);
    // Opens the roots and sizes the cache from the current settings.
    bool configure(std::string& error);
    void start();

    // SIGHUP: re-read flags and file; on success swap resolver, limits and log level, and drop
    // the cache. Running transfers keep their open files and parameters.
    void reload();
    void stop();

    // The Prometheus text exposition of the counters and the cache's state now.
    std::string renderMetrics() const;

  private:
    friend class Session;
    struct Listener {
        boost::asio::ip::udp::socket socket;
        bool v6 = false;
    };

    bool addListener(const boost::asio::ip::udp::endpoint& ep, std::string& error);
    bool adoptListener(int fd, std::string& error);
    void setupListener(Listener& l);
    void waitRead(Listener& l);
    // Reads and answers up to kRequestsPerTurn queued requests, then waits for more (or comes
    // back after the transfers had their turn when more may be queued).
    void drain(Listener& l);
    void handleDatagram(Listener& l, const Origin& origin, ByteSpan packet);
    void handleRead(Listener& l, const Origin& origin, tftp::Request req);
    void replyError(Listener& l, const Origin& origin, tftp::ErrorCode code, const char* text);
    // Ends a transfer for a newcomer: true when there is room now.
    bool evict(std::uint64_t id, const char* why);
    void sessionEnded(Session* s);
    void transferReady(std::uint64_t id, std::uint32_t events);
    // For sessions: the shared receive buffers (one thread), progress for the policy, and the
    // running count of ends that are not the Pi's early terminate.
    RecvBatch& ackBatch() { return acks_; }
    void progressed(std::uint64_t id, Transfer::TimePoint now) { policy_.progressed(id, now); }
    std::uint64_t countUnexpectedEnd() { return ++unexpectedEnds_; }
    // One TFTP_FILE event (queued: never blocks this thread) when --events is not none.
    bool eventsOn() const { return events_ != nullptr; }
    void emitEvent(BootEvent&& event) {
        if (events_) events_->push(std::move(event));
    }
    // The event of a request refused before any transfer started.
    void refusedEvent(const Origin& origin, const std::string& request, const char* error,
                      Transfer::TimePoint requestAt);
    void waitSignals();
    void waitHangup();
    // Tops the socket pool up a few sockets at a time, each step after the handlers already
    // queued (requests that arrived meanwhile are served between steps).
    void topUpSockets();

    boost::asio::io_context& io_;
    Settings settings_;
    std::vector<std::string> args_;
    std::optional<PathResolver> resolver_;
    FileReader reader_;  // before cache_, which hands it loads
    FileCache cache_;
    std::list<Listener> listeners_;
    TransferPolicy policy_;
    TransferPoller poller_;
    // The io_uring engine when the kernel allows it (else null: epoll via poller_).
    // RPI_TFTPD_ENGINE=epoll|io_uring in the environment forces one (tests run both).
    std::unique_ptr<TransferUring> uring_;
    RecvBatch requests_;  // requests, a few per recvmmsg
    SocketPool sockets_;  // transfer sockets made while no request waited
    bool topUpPosted_ = false;
    RecvBatch acks_;  // a transfer's queued ACKs and ERRORs
    // By the client's (ip, port) as the request came in: a new request from there replaces it.
    std::unordered_map<boost::asio::ip::udp::endpoint, std::shared_ptr<Session>, EndpointHash>
        sessions_;
    std::unordered_map<std::uint64_t, Session*> byId_;
    std::uint64_t nextId_ = 0;
    std::uint64_t unexpectedEnds_ = 0;
    boost::asio::signal_set hup_;
    boost::asio::signal_set term_;
    bool stopping_ = false;
    Metrics metrics_;
    MetricsHttp metricsHttp_;
    std::unique_ptr<QueuedSink> events_;  // its destructor writes out what is queued
};

}  // namespace rpinetboot::tftpd
