#include "server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "logging.h"
#include "negotiation.h"
#include "sanitize.h"
#include "session.h"
#include "unique_fd.h"

namespace rpinetboot::tftpd {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

constexpr std::size_t kMaxDatagram = 65536;
constexpr int kBatch = 64;           // requests read per wake-up before giving transfers a turn
constexpr int kTransferRounds = 4;   // full batches of client packets per wake-up, likewise
constexpr unsigned kPollEvery = 16;  // client packets between extra reads of the listeners
constexpr int kPortsPerListener = 2;

// IPv4 and IPv6 header plus UDP (8) and TFTP DATA (4) headers: MTU 1500 -> blksize 1468 / 1448.
constexpr int kOverheadV4 = 20 + 8 + 4;
constexpr int kOverheadV6 = 40 + 8 + 4;

asio::ip::address unmapped(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    }
    return a;
}

// The route's MTU towards a client, from the kernel (IP_MTU needs a connected socket: a
// short-lived one per request that asks for large blocks). 1500 when it cannot be learnt.
int pathMtu(const Origin& origin) {
    const bool v6 = origin.client.address().is_v6();
    UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) return 1500;
    if (!origin.local.is_unspecified()) {
        auto local = origin.local;
        if (local.is_v6() && local.to_v6().is_link_local()) {
            auto a = local.to_v6();
            a.scope_id(origin.ifindex);
            local = a;
        }
        if (v6 && local.is_v4())
            local = asio::ip::make_address_v6(asio::ip::v4_mapped, local.to_v4());
        const udp::endpoint bindTo(local, 0);
        if (::bind(fd.get(), bindTo.data(), static_cast<socklen_t>(bindTo.size())) != 0) {
            return 1500;
        }
    }
    if (::connect(fd.get(), origin.client.data(), static_cast<socklen_t>(origin.client.size())) !=
        0) {
        return 1500;
    }
    int mtu = 0;
    socklen_t len = sizeof mtu;
    const bool ok = v6 ? ::getsockopt(fd.get(), IPPROTO_IPV6, IPV6_MTU, &mtu, &len) == 0
                       : ::getsockopt(fd.get(), IPPROTO_IP, IP_MTU, &mtu, &len) == 0;
    return ok && mtu > 0 ? mtu : 1500;
}

FileCache::Limits cacheLimits(const Settings& s) {
    return {s.cacheBytes, std::min(s.maxCachedFileBytes, s.cacheBytes)};
}

}  // namespace

Server::Server(asio::io_context& io, Settings settings, std::vector<std::string> args)
    : io_(io),
      settings_(std::move(settings)),
      args_(std::move(args)),
      cache_(cacheLimits(settings_)),
      requests_(1, kMaxDatagram),
      hup_(io, SIGHUP),
      term_(io, SIGTERM, SIGINT) {}

Server::~Server() = default;

bool Server::setupListener(Listener& l, std::string& error) {
    const int fd = l.socket.native_handle();
    const int size = settings_.receiveBuffer;
    setBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, size);
    int got = 0;
    socklen_t len = sizeof got;
    // The kernel reports twice the usable size; a short buffer loses request bursts.
    if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && got / 2 < size) {
        LOG4CPLUS_WARN(logger(), "listening socket receive buffer is "
                                     << got / 2 << " bytes, not " << size
                                     << ": raise net.core.rmem_max "
                                        "or start as root");
    }
    enablePacketInfo(fd, l.v6);
    l.socket.non_blocking(true);
    int v6only = 1;
    len = sizeof v6only;
    if (l.v6) ::getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len);
    boost::system::error_code ec;
    for (int i = 0; i < kPortsPerListener; ++i) {
        auto port = TransferPort::open(io_, l.socket.local_endpoint(ec), v6only != 0, size, error);
        if (!port) return false;
        LOG4CPLUS_DEBUG(logger(), "transfers for " << l.socket.local_endpoint(ec) << " use "
                                                   << port->localEndpoint());
        l.ports.push_back(std::move(port));
    }
    return true;
}

bool Server::addListener(const udp::endpoint& ep, std::string& error) {
    udp::socket sock(io_);
    if (auto why = bindUdp(sock, ep, true)) {
        std::ostringstream msg;
        msg << "cannot listen on " << ep << ": " << *why;
        error = msg.str();
        return false;
    }
    listeners_.push_back({std::move(sock), ep.address().is_v6(), {}, 0});
    if (!setupListener(listeners_.back(), error)) return false;
    LOG4CPLUS_INFO(logger(), "listening on " << ep);
    return true;
}

bool Server::adoptListener(int fd, std::string& error) {
    if (sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1) <= 0) {
        error = "socket-activated descriptor " + std::to_string(fd) + " is not a UDP socket";
        return false;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    const bool v6 = ss.ss_family == AF_INET6;
    boost::system::error_code ec;
    udp::socket sock(io_);
    sock.assign(v6 ? udp::v6() : udp::v4(), fd, ec);
    if (ec) {
        error = "cannot adopt socket-activated descriptor: " + ec.message();
        return false;
    }
    listeners_.push_back({std::move(sock), v6, {}, 0});
    if (!setupListener(listeners_.back(), error)) return false;
    LOG4CPLUS_INFO(logger(),
                   "listening on socket-activated " << listeners_.back().socket.local_endpoint());
    return true;
}

bool Server::openListeners(std::string& error) {
    const int n = sd_listen_fds(1);
    if (n > 0) {
        for (int i = 0; i < n; ++i) {
            if (!adoptListener(SD_LISTEN_FDS_START + i, error)) return false;
        }
        return true;
    }
    if (!settings_.listen.empty()) {
        for (const auto& spec : settings_.listen) {
            auto hp = splitListen(spec);
            if (!addListener(udp::endpoint(asio::ip::make_address(hp->first), hp->second), error)) {
                return false;
            }
        }
        return true;
    }
    // Defaults: IPv4 and IPv6 wildcard; a host without IPv6 still gets IPv4.
    std::string v6error;
    const bool v4 = addListener(udp::endpoint(udp::v4(), 69), error);
    const bool v6 = addListener(udp::endpoint(udp::v6(), 69), v6error);
    if (v4 && !v6) LOG4CPLUS_WARN(logger(), v6error);
    if (!v4 && v6) LOG4CPLUS_WARN(logger(), error);
    if (!v4 && !v6) return false;
    return true;
}

bool Server::configure(std::string& error) {
    auto resolver = PathResolver::create(settings_.resolver, &error);
    if (!resolver) return false;
    resolver_ = std::move(resolver);
    cache_.clear();
    cache_.setLimits(cacheLimits(settings_));
    setLogLevel(settings_.logLevel);
    return true;
}

void Server::start() {
    for (auto& l : listeners_) {
        waitRead(l);
        for (auto& port : l.ports) waitTransfers(*port);
    }
    waitSignals();
}

void Server::waitSignals() {
    waitHangup();
    term_.async_wait([this](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        LOG4CPLUS_INFO(logger(), "signal " << sig << ": exiting");
        stop();
    });
}

void Server::waitHangup() {
    // Re-armed after every reload, so each SIGHUP reloads once.
    hup_.async_wait([this](const boost::system::error_code& ec, int) {
        if (ec || stopping_) return;
        reload();
        waitHangup();
    });
}

void Server::reload() {
    Settings fresh;
    auto parsed = parseSettings(args_, fresh);
    if (parsed.status != ParseStatus::Ok) {
        LOG4CPLUS_ERROR(logger(),
                        "reload failed, keeping the running configuration: " << parsed.text);
        return;
    }
    std::string error;
    auto resolver = PathResolver::create(fresh.resolver, &error);
    if (!resolver) {
        LOG4CPLUS_ERROR(logger(), "reload failed, keeping the running configuration: " << error);
        return;
    }
    if (fresh.listen != settings_.listen || fresh.user != settings_.user) {
        LOG4CPLUS_WARN(logger(), "reload: listen addresses and --user change only on restart");
    }
    fresh.listen = settings_.listen;
    fresh.user = settings_.user;
    settings_ = std::move(fresh);
    resolver_ = std::move(resolver);
    cache_.clear();
    cache_.setLimits(cacheLimits(settings_));
    setLogLevel(settings_.logLevel);
    LOG4CPLUS_INFO(logger(),
                   "configuration reloaded; " << sessions_.size() << " transfers keep running");
}

void Server::stop() {
    stopping_ = true;
    boost::system::error_code ignored;
    for (auto& l : listeners_) {
        l.socket.close(ignored);
        for (auto& port : l.ports) port->socket().close(ignored);
    }
    auto sessions = std::move(sessions_);
    for (auto& [ep, s] : sessions) s->abort("server exiting");
    order_.clear();
    perClient_.clear();
    hup_.cancel(ignored);
    term_.cancel(ignored);
}

void Server::waitRead(Listener& l) {
    l.socket.async_wait(udp::socket::wait_read, [this, &l](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        drain(l);
    });
}

void Server::pollListeners(unsigned packets) {
    // One non-blocking read per listener every kPollEvery client packets: a small fraction of a
    // syscall per DATA block, for RRQ latency that stays low while hundreds of transfers run.
    eventsSincePoll_ += packets;
    if (eventsSincePoll_ < kPollEvery || stopping_) return;
    eventsSincePoll_ = 0;
    for (auto& l : listeners_) drain(l, false);
}

void Server::drain(Listener& l, bool rearm) {
    const int fd = l.socket.native_handle();
    int i = 0;
    for (; i < kBatch && !stopping_; ++i) {
        const int n = requests_.receive(fd);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // drained
        Origin origin;
        if (!requests_.origin(0, origin)) continue;
        handleDatagram(l, origin, requests_.data(0));
    }
    flushAll();  // the OACKs and first blocks of the transfers just started
    if (!rearm || stopping_) return;
    if (i < kBatch) {
        waitRead(l);
        return;
    }
    // More may be queued. The socket is edge-triggered, so waiting would strand those until
    // the next request arrives: come back right after the transfers had their turn.
    asio::post(io_, [this, &l] {
        if (!stopping_) drain(l);
    });
}

void Server::waitTransfers(TransferPort& port) {
    port.socket().async_wait(udp::socket::wait_read,
                             [this, &port](const boost::system::error_code& ec) {
                                 if (ec || stopping_) return;
                                 drainTransfers(port);
                             });
}

void Server::drainTransfers(TransferPort& port) {
    RecvBatch& in = port.received();
    for (int round = 0; round < kTransferRounds; ++round) {
        const int n = in.receive(port.fd());
        if (n < 0) {
            // A queued ICMP error (IP_RECVERR) is reported once as the receive's error.
            dropUnreachable(port);
            if (stopping_) return;
            continue;
        }
        const auto now = Transfer::Clock::now();
        Origin origin;
        for (int i = 0; i < n; ++i) {
            if (!in.origin(static_cast<std::size_t>(i), origin)) continue;
            // From anyone but a transfer's client the datagram is dropped, unanswered. The
            // reference keeps the transfer alive if it ends, and leaves the map, meanwhile.
            if (auto session = transferOf(port, origin.client)) {
                session->onPacket(in.data(static_cast<std::size_t>(i)), now);
            }
        }
        port.outgoing().flush();
        pollListeners(static_cast<unsigned>(n));
        if (stopping_) return;
        if (static_cast<std::size_t>(n) < in.capacity()) {
            waitTransfers(port);  // drained: the next datagram wakes us
            return;
        }
    }
    // Still busy after a few full batches: let timers and listeners run, then continue.
    asio::post(io_, [this, &port] {
        if (!stopping_) drainTransfers(port);
    });
}

void Server::dropUnreachable(TransferPort& port) {
    for (const auto& client : port.unreachableClients()) {
        if (auto session = transferOf(port, client)) session->onUnreachable();
    }
}

std::shared_ptr<Session> Server::transferOf(const TransferPort& port,
                                            const udp::endpoint& client) const {
    auto it = sessions_.find(client);
    if (it == sessions_.end() || &it->second->port() != &port) return nullptr;
    return it->second;
}

void Server::flushAll() {
    for (auto& l : listeners_) {
        for (auto& port : l.ports) {
            if (port->outgoing().pending() > 0) port->outgoing().flush();
        }
    }
}

void Server::replyError(Listener& l, const Origin& origin, tftp::ErrorCode code, const char* text) {
    // Sent from the listening socket with the request's own destination as source, so the
    // reply leaves from the address the client talked to. Errors are never larger than the
    // request that caused them by more than a few bytes, and the text is fixed: no server paths.
    auto packet = tftp::buildError(code, text);
    boost::system::error_code ec;
    l.socket.send_to(asio::buffer(packet), origin.client, 0, ec);
}

void Server::handleDatagram(Listener& l, const Origin& origin, ByteSpan packet) {
    auto op = tftp::peekOpcode(packet);
    if (!op) return;
    if (*op == static_cast<std::uint16_t>(tftp::Opcode::Wrq)) {
        LOG4CPLUS_INFO(logger(), "refused write request from " << origin.client);
        replyError(l, origin, tftp::ErrorCode::AccessViolation, "Write requests are not accepted");
        return;
    }
    if (*op != static_cast<std::uint16_t>(tftp::Opcode::Rrq)) {
        // DATA, ACK, ERROR, OACK or garbage on the request port: silently dropped.
        LOG4CPLUS_TRACE(logger(), "dropped opcode " << *op << " from " << origin.client);
        return;
    }
    auto req = tftp::parseRequest(packet);
    if (!req) {
        LOG4CPLUS_INFO(logger(), "malformed read request from " << origin.client);
        replyError(l, origin, tftp::ErrorCode::IllegalOperation, "Malformed request");
        return;
    }
    handleRead(l, origin, std::move(*req));
}

bool Server::makeRoom(const asio::ip::address& client) {
    auto it = perClient_.find(client);
    if (it != perClient_.end() && it->second >= settings_.maxPerClient) return false;
    if (sessions_.size() < settings_.maxTransfers) return true;
    // Full: the oldest half-open transfer (OACK/DATA 1 never acknowledged) gives way, so a
    // flood of abandoned requests cannot lock legitimate clients out.
    for (Session* s : order_) {
        if (s->halfOpen()) {
            auto key = s->client();
            auto found = sessions_.find(key);
            auto keep = found->second;
            s->abort("evicted: server full");
            sessionEnded(s);
            return true;
        }
    }
    return false;
}

void Server::handleRead(Listener& l, const Origin& origin, tftp::Request req) {
    const std::string logName = sanitize(req.filename);
    if (req.mode != "octet") {
        // netascii is optional here and unused by every Pi loader: refused clearly.
        LOG4CPLUS_INFO(logger(), "failed \"" << logName << "\" to " << origin.client
                                             << ": unsupported mode \"" << sanitize(req.mode, 16)
                                             << "\"");
        replyError(l, origin, tftp::ErrorCode::IllegalOperation, "Only octet mode is supported");
        return;
    }
    // A new request from an (ip, port) with a live transfer replaces it (ports get reused,
    // firmware#745, #1041).
    std::string key = req.filename + '\0' + req.mode;
    for (const auto& o : req.options) key += '\0' + o.name + '\0' + o.value;
    const TransferPort* replaced = nullptr;
    if (auto it = sessions_.find(origin.client); it != sessions_.end()) {
        auto old = it->second;
        if (old->halfOpen() && old->requestKey() == key) {
            // The client re-sent its request before our answer reached it: the live transfer
            // already answered (and its timer re-sends), so replacing it would leave the client
            // talking to a closed port when it takes the first answer.
            LOG4CPLUS_DEBUG(logger(), "\"" << logName << "\" from " << origin.client
                                           << ": repeated request, transfer kept");
            return;
        }
        old->abort("replaced by a new request from the same port");
        sessionEnded(old.get());
        replaced = &old->port();
    }
    const auto clientIp = unmapped(origin.client.address());
    if (!makeRoom(clientIp)) {
        LOG4CPLUS_INFO(logger(), "failed \"" << logName << "\" to " << origin.client
                                             << ": too many transfers");
        replyError(l, origin, tftp::ErrorCode::NotDefined, "Server busy, try again");
        return;
    }
    auto resolved = resolver_->resolve(req.filename, clientIp.to_string());
    if (!resolved.file) {
        const bool denied = resolved.error == ResolveError::AccessViolation;
        LOG4CPLUS_INFO(logger(), "failed \"" << logName << "\" to " << origin.client << ": "
                                             << resolved.reason);
        replyError(l, origin,
                   denied ? tftp::ErrorCode::AccessViolation : tftp::ErrorCode::FileNotFound,
                   denied ? "Access violation" : "File not found");
        return;
    }
    LOG4CPLUS_TRACE(logger(), "\"" << logName << "\" is " << resolved.file->serverPath);
    auto st = resolved.file->st;
    FilePtr file = cache_.get(std::move(resolved.file->fd), st);
    if (!file) {
        LOG4CPLUS_WARN(logger(),
                       "failed \"" << logName << "\" to " << origin.client << ": read error");
        replyError(l, origin, tftp::ErrorCode::NotDefined, "Read error");
        return;
    }

    // Replies leave the listener's transfer port from the address the request reached (with
    // its interface for an IPv6 link-local address).
    SendBatch::Route route;
    route.to = origin.client;
    route.from = origin.local;
    if (origin.local.is_v6() && origin.local.to_v6().is_link_local())
        route.ifindex = origin.ifindex;

    NegotiationLimits limits;
    limits.maxBlockSize = settings_.maxBlockSize;
    limits.maxWindowSize = settings_.maxWindowSize;
    if (settings_.mtuClamp) {
        const int overhead = clientIp.is_v4() ? kOverheadV4 : kOverheadV6;
        // Blocks that fit the smallest MTU IP allows (576, IPv6 1280) need no route lookup.
        const int alwaysFits = (clientIp.is_v4() ? 576 : 1280) - overhead;
        if (negotiate(req.options, limits, file->size()).blockSize > alwaysFits) {
            const int clamp = std::max<int>(
                kMinBlockSize, std::min<int>(kMaxBlockSize, pathMtu(origin) - overhead));
            limits.maxBlockSize =
                static_cast<std::uint16_t>(std::min<int>(limits.maxBlockSize, clamp));
        }
    }
    auto negotiated = negotiate(req.options, limits, file->size());

    Transfer::Params params;
    params.fileSize = file->size();
    params.blockSize = negotiated.blockSize;
    params.windowSize = negotiated.windowSize;
    params.sendOack = !negotiated.oack.empty();
    params.timeout = negotiated.timeoutSeconds
                         ? Transfer::Duration(*negotiated.timeoutSeconds * 1000u)
                         : Transfer::Duration(settings_.timeoutMs);
    params.maxTimeout = std::max(params.timeout, Transfer::Duration(settings_.maxTimeoutMs));
    params.maxRetries = settings_.retries;
    params.halfOpenTimeout = Transfer::Duration(settings_.halfOpenTimeoutMs);

    // Transfers take the listener's ports in turn; one replacing another takes a different one.
    TransferPort* port = l.ports[l.nextPort++ % l.ports.size()].get();
    if (port == replaced) port = l.ports[l.nextPort++ % l.ports.size()].get();
    auto session =
        std::make_shared<Session>(*this, *port, route, file, params, negotiated.oack, logName);
    session->setRequestKey(std::move(key));
    sessions_.emplace(origin.client, session);
    order_.push_back(session.get());
    ++perClient_[clientIp];
    LOG4CPLUS_DEBUG(logger(), "start \"" << logName << "\" to " << origin.client << ", "
                                         << file->size() << " bytes, blksize " << params.blockSize
                                         << (params.sendOack ? ", OACK" : ""));
    session->start();
}

void Server::sessionEnded(Session* s) {
    auto it = sessions_.find(s->client());
    if (it == sessions_.end() || it->second.get() != s) return;
    auto keep = it->second;  // s stays valid until this function returns
    sessions_.erase(it);
    order_.remove(s);
    auto ip = unmapped(s->client().address());
    auto pc = perClient_.find(ip);
    if (pc != perClient_.end() && --pc->second == 0) perClient_.erase(pc);
}

}  // namespace rpinetboot::tftpd
