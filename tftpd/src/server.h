// The Asio glue: listening sockets, their transfer ports, one Session per transfer, signals. All
// protocol decisions live in the logic classes (Transfer, negotiate, PathResolver, FileCache);
// this file only moves bytes and time between them and the kernel. One io_context, one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "datagram.h"
#include "file_cache.h"
#include "path_resolver.h"
#include "rpinetboot/tftp/packet.h"
#include "settings.h"
#include "transfer_port.h"

namespace rpinetboot::tftpd {

class Session;

class Server {
  public:
    Server(boost::asio::io_context& io, Settings settings, std::vector<std::string> args);
    ~Server();

    // Binds the --listen addresses, or adopts systemd's sockets. Call before dropping privileges.
    bool openListeners(std::string& error);
    // Opens the roots and sizes the cache from the current settings.
    bool configure(std::string& error);
    void start();

    // SIGHUP: re-read flags and file; on success swap resolver, limits and log level, and drop
    // the cache. Running transfers keep their open files and parameters.
    void reload();
    void stop();

    std::size_t activeTransfers() const { return sessions_.size(); }

  private:
    friend class Session;
    struct Listener {
        boost::asio::ip::udp::socket socket;
        bool v6 = false;
        // Where its transfers send from and listen. Two, so that a transfer replacing another
        // from the same client (ip, port) never answers from the same port as the one it
        // replaces (RFC 1350's fresh TID per transfer, for the case where it matters).
        std::vector<std::unique_ptr<TransferPort>> ports;
        unsigned nextPort = 0;
    };

    bool addListener(const boost::asio::ip::udp::endpoint& ep, std::string& error);
    bool adoptListener(int fd, std::string& error);
    bool setupListener(Listener& l, std::string& error);
    void waitRead(Listener& l);
    // Reads up to kBatch queued requests; `rearm` waits for more afterwards (the listener's own
    // wake-up) while a poll from the transfer path leaves the pending wait in place.
    void drain(Listener& l, bool rearm = true);
    // Called by the transfer path with the number of client packets it just handled: every few
    // of them the listening sockets are read too, so that new requests do not wait behind a
    // full round of busy transfers.
    void pollListeners(unsigned packets);
    void waitTransfers(TransferPort& port);
    // Reads the ACKs and ERRORs queued on a transfer port in batches, hands each to its
    // transfer, and sends what they release together.
    void drainTransfers(TransferPort& port);
    void dropUnreachable(TransferPort& port);
    // The transfer of `client` on `port`, if it has one there.
    std::shared_ptr<Session> transferOf(const TransferPort& port,
                                        const boost::asio::ip::udp::endpoint& client) const;
    void flushAll();
    void handleDatagram(Listener& l, const Origin& origin, ByteSpan packet);
    void handleRead(Listener& l, const Origin& origin, tftp::Request req);
    void replyError(Listener& l, const Origin& origin, tftp::ErrorCode code, const char* text);
    bool makeRoom(const boost::asio::ip::address& client);
    void sessionEnded(Session* s);
    void waitSignals();
    void waitHangup();

    boost::asio::io_context& io_;
    Settings settings_;
    std::vector<std::string> args_;
    std::optional<PathResolver> resolver_;
    FileCache cache_;
    std::list<Listener> listeners_;
    RecvBatch requests_;  // one request at a time: requests may be 64 KiB
    std::unordered_map<boost::asio::ip::udp::endpoint, std::shared_ptr<Session>, EndpointHash>
        sessions_;
    std::list<Session*> order_;  // creation order, oldest first: eviction of half-open ones
    std::map<boost::asio::ip::address, unsigned> perClient_;
    boost::asio::signal_set hup_;
    boost::asio::signal_set term_;
    bool stopping_ = false;
    unsigned eventsSincePoll_ = 0;
};

}  // namespace rpinetboot::tftpd
