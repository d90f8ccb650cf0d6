#include "server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "engine_choice.h"
#include "logging.h"
#include "negotiation.h"
#include "rpinetboot/util/unique_fd.h"
#include "sanitize.h"
#include "session.h"
#include "transfer_event.h"

namespace rpinetboot::tftpd {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

constexpr std::size_t kMaxDatagram = 65536;
// Requests served per wake-up before the transfers get a turn: a burst of 128 Pis' requests
// is answered before the next round of DATA (each request is answered on its own, at once), and
// a flood of requests still lets running transfers move every few milliseconds.
constexpr std::size_t kRequestsPerTurn = 128;
constexpr int kMaxReadsPerTurn = 64;  // bounds the loop when reads fail with EINTR
// Requests read per recvmmsg; each slot holds the largest UDP datagram (a request may carry
// options up to 64 KiB).
constexpr std::size_t kRequestSlots = 16;
// Transfer sockets kept ready per address family: two turns' worth of requests (a Pi's probe
// burst and the fetches right behind it), made a step at a time once the requests are served.
constexpr std::size_t kPooledSockets = 2 * kRequestsPerTurn;
constexpr std::size_t kPoolStep = 16;
// A transfer's ACKs read per receive: one in lock-step, a few with windows or duplicates.
constexpr std::size_t kAckBatch = 8;
// Clients send ACKs and ERRORs; an ERROR's text beyond this is cut, which is harmless.
constexpr std::size_t kMaxClientDatagram = 1024;

// IPv4 and IPv6 header plus UDP (8) and TFTP DATA (4) headers: MTU 1500 -> blksize 1468 / 1448.
constexpr int kOverheadV4 = 20 + 8 + 4;
constexpr int kOverheadV6 = 40 + 8 + 4;

FileCache::Limits cacheLimits(const Settings& s) {
    return {s.cacheBytes, std::min(s.maxCachedFileBytes, s.cacheBytes)};
}

TransferPolicy::Limits policyLimits(const Settings& s) {
    return {s.maxTransfers, s.maxPerClient};
}

TransferPolicy::Timing timing(const Settings& s) {
    TransferPolicy::Timing t;
    t.timeout = Transfer::Duration(s.timeoutMs);
    t.maxTimeout = Transfer::Duration(s.maxTimeoutMs);
    t.retries = s.retries;
    t.halfOpenTimeout = Transfer::Duration(s.halfOpenTimeoutMs);
    return t;
}

}  // namespace

Server::Server(asio::io_context& io, Settings settings, std::vector<std::string> args)
    : io_(io),
      settings_(std::move(settings)),
      args_(std::move(args)),
      reader_([this](std::function<void()> done) { asio::post(io_, std::move(done)); }),
      cache_(cacheLimits(settings_), reader_),
      policy_(policyLimits(settings_)),
      poller_(io, [this](std::uint64_t id, std::uint32_t events) { transferReady(id, events); }),
      requests_(kRequestSlots, kMaxDatagram),
      sockets_(kPooledSockets),
      acks_(kAckBatch, kMaxClientDatagram),
      hup_(io, SIGHUP),
      term_(io, SIGTERM, SIGINT),
      metricsHttp_(io, [this] { return renderMetrics(); }) {}

Server::~Server() = default;

void Server::setupListener(Listener& l) {
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
}

bool Server::addListener(const udp::endpoint& ep, std::string& error) {
    udp::socket sock(io_);
    if (auto why = bindUdp(sock, ep, true)) {
        std::ostringstream msg;
        msg << "cannot listen on " << ep << ": " << *why;
        error = msg.str();
        return false;
    }
    listeners_.push_back({std::move(sock), ep.address().is_v6()});
    setupListener(listeners_.back());
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
    listeners_.push_back({std::move(sock), v6});
    setupListener(listeners_.back());
    LOG4CPLUS_INFO(logger(),
                   "listening on socket-activated " << listeners_.back().socket.local_endpoint());
    return true;
}

bool Server::openEngine(std::string& error) {
    auto choice = chooseEngine(io_, std::getenv("RPI_TFTPD_ENGINE"));
    if (!choice.error.empty()) {
        error = std::move(choice.error);
        return false;
    }
    uring_ = std::move(choice.uring);
    LOG4CPLUS_INFO(logger(), choice.line);
    return true;
}

bool Server::openListeners(std::string& error) {
    if (!openEngine(error)) return false;
    // Opened here, before privileges are dropped, like the sockets; a bad sink stops start-up.
    SinkSpec sinkSpec;
    if (!parseSinkSpec(settings_.events, sinkSpec, error)) return false;
    if (auto sink = makeSink(sinkSpec, error)) {
        // Room for bursts of a few hundred Pis; when full, events are dropped, never waited for.
        events_ = std::make_unique<QueuedSink>(std::move(sink), 4096);
        LOG4CPLUS_INFO(logger(), "boot events to " << events_->describe());
    } else if (!error.empty()) {
        return false;
    }
    if (!settings_.metricsListen.empty() && !metricsHttp_.open(settings_.metricsListen, error)) {
        return false;
    }
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
    sockets_.setNonBlocking(uring_ == nullptr);
    for (const auto& l : listeners_) {
        sockets_.use(true);  // an IPv6 wildcard listener serves IPv4 clients too
        if (l.v6) sockets_.use(false);
    }
    sockets_.refill(kPooledSockets * 2);
    for (auto& l : listeners_) waitRead(l);
    poller_.start();
    if (uring_) uring_->start();
    metricsHttp_.start();
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
    if (fresh.listen != settings_.listen || fresh.user != settings_.user ||
        fresh.metricsListen != settings_.metricsListen || fresh.events != settings_.events) {
        LOG4CPLUS_WARN(logger(),
                       "reload: listen addresses, --metrics-listen, --events and --user change "
                       "only on restart");
    }
    fresh.listen = settings_.listen;
    fresh.user = settings_.user;
    fresh.metricsListen = settings_.metricsListen;
    fresh.events = settings_.events;
    settings_ = std::move(fresh);
    resolver_ = std::move(resolver);
    cache_.clear();
    cache_.setLimits(cacheLimits(settings_));
    policy_.setLimits(policyLimits(settings_));
    setLogLevel(settings_.logLevel);
    LOG4CPLUS_INFO(logger(),
                   "configuration reloaded; " << sessions_.size() << " transfers keep running");
}

void Server::stop() {
    stopping_ = true;
    boost::system::error_code ignored;
    for (auto& l : listeners_) l.socket.close(ignored);
    poller_.stop();
    metricsHttp_.stop();
    auto sessions = std::move(sessions_);
    for (auto& [ep, s] : sessions) {
        s->abort("server exiting", FailReason::Shutdown);
        policy_.ended(s->id());
    }
    byId_.clear();
    if (uring_) {
        // The cancels of the receives just ended; then nothing queued points into a session.
        uring_->settle(500);
        uring_->stop();
    }
    hup_.cancel(ignored);
    term_.cancel(ignored);
}

void Server::waitRead(Listener& l) {
    l.socket.async_wait(udp::socket::wait_read, [this, &l](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        drain(l);
    });
}

void Server::drain(Listener& l) {
    const int fd = l.socket.native_handle();
    std::size_t handled = 0;
    bool empty = false;
    for (int reads = 0; handled < kRequestsPerTurn && reads < kMaxReadsPerTurn && !stopping_;
         ++reads) {
        const int n = requests_.receive(fd);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            empty = true;
            break;
        }
        for (int k = 0; k < n && !stopping_; ++k) {
            Origin origin;
            if (!requests_.origin(static_cast<std::size_t>(k), origin)) continue;
            handleDatagram(l, origin, requests_.data(static_cast<std::size_t>(k)));
        }
        // The batch's answers leave together, now (as under epoll): one io_uring_enter per
        // batch rather than per request measured a quarter less CPU per request and a lower
        // p99 in a burst of 128 Pis.
        if (uring_) uring_->flush();
        handled += static_cast<std::size_t>(n);
    }
    if (stopping_) return;
    if (empty) {
        waitRead(l);
        if (handled > 0) topUpSockets();
        return;
    }
    // More may be queued. The socket is edge-triggered, so waiting would strand those until
    // the next request arrives: come back right after the transfers had their turn.
    asio::post(io_, [this, &l] {
        if (!stopping_) drain(l);
    });
}

void Server::topUpSockets() {
    if (topUpPosted_) return;
    topUpPosted_ = true;
    asio::post(io_, [this] {
        topUpPosted_ = false;
        if (!stopping_ && !sockets_.refill(kPoolStep)) topUpSockets();
    });
}

void Server::replyError(Listener& l, const Origin& origin, tftp::ErrorCode code, const char* text) {
    // Sent from the listening socket with the request's own destination as source, so the
    // reply leaves from the address the client talked to. Errors are never larger than the
    // request that caused them by more than a few bytes, and the text is fixed: no server paths.
    auto packet = tftp::buildError(code, text);
    sendFrom(l.socket.native_handle(), l.v6, origin, packet.data(), packet.size());
}

void Server::handleDatagram(Listener& l, const Origin& origin, ByteSpan packet) {
    auto op = tftp::peekOpcode(packet);
    if (!op) return;
    if (*op == static_cast<std::uint16_t>(tftp::Opcode::Wrq)) {
        metrics_.failed(FailReason::WriteRefused);
        LOG4CPLUS_INFO(logger(), "refused write request from " << origin.client);
        replyError(l, origin, tftp::ErrorCode::AccessViolation, "Write requests are not accepted");
        return;
    }
    if (*op != static_cast<std::uint16_t>(tftp::Opcode::Rrq)) {
        // DATA, ACK, ERROR, OACK or garbage on the request port: silently dropped.
        LOG4CPLUS_TRACE(logger(), "dropped opcode " << *op << " from " << origin.client);
        return;
    }
    ++metrics_.requests;
    auto req = tftp::parseRequest(packet);
    if (!req) {
        metrics_.failed(FailReason::IllegalRequest);
        LOG4CPLUS_INFO(logger(), "malformed read request from " << origin.client);
        replyError(l, origin, tftp::ErrorCode::IllegalOperation, "Malformed request");
        return;
    }
    handleRead(l, origin, std::move(*req));
}

bool Server::evict(std::uint64_t id, const char* why) {
    auto it = byId_.find(id);
    if (it == byId_.end()) {
        policy_.ended(id);  // not ours any more: forget it
        return true;
    }
    auto keep = sessions_.at(it->second->client());
    std::string reason = std::string("evicted: ") + why;
    keep->abort(reason.c_str(), FailReason::Evicted);
    ++metrics_.evictions;
    sessionEnded(keep.get());
    return true;
}

void Server::handleRead(Listener& l, const Origin& origin, tftp::Request req) {
    const auto requestAt = Transfer::Clock::now();
    const std::string logName = sanitize(req.filename);
    if (req.mode != "octet") {
        metrics_.failed(FailReason::IllegalRequest);
        // netascii is optional here and unused by every Pi loader: refused clearly.
        LOG4CPLUS_INFO(logger(), "failed \"" << logName << "\" to " << origin.client
                                             << ": unsupported mode \"" << sanitize(req.mode, 16)
                                             << "\"");
        refusedEvent(origin, req.filename, "unsupported mode", requestAt);
        replyError(l, origin, tftp::ErrorCode::IllegalOperation, "Only octet mode is supported");
        return;
    }
    // A new request from the (ip, port) of a live transfer replaces it: Pi firmware reuses
    // ports (firmware#745, #1041). From the same address but another port it is another
    // transfer, and a running one is never ended by it (only the policy may make room).
    std::string key = req.filename + '\0' + req.mode;
    for (const auto& o : req.options) key += '\0' + o.name + '\0' + o.value;
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
        old->abort("replaced by a new request from the same port", FailReason::Replaced);
        sessionEnded(old.get());
    }
    const auto clientIp = TransferPolicy::canonical(origin.client.address());
    auto resolved =
        resolver_->resolve(req.filename, clientIp.to_string(), PathResolver::Open::PathOnly);
    if (!resolved.file) {
        const bool denied = resolved.error == ResolveError::AccessViolation;
        metrics_.failed(denied ? FailReason::Access : FailReason::NotFound);
        LOG4CPLUS_INFO(logger(), "failed \"" << logName << "\" to " << origin.client << ": "
                                             << resolved.reason);
        refusedEvent(origin, req.filename, denied ? "access violation" : "file not found",
                     requestAt);
        replyError(l, origin,
                   denied ? tftp::ErrorCode::AccessViolation : tftp::ErrorCode::FileNotFound,
                   denied ? "Access violation" : "File not found");
        return;
    }
    LOG4CPLUS_TRACE(logger(), "\"" << logName << "\" is " << resolved.file->serverPath);
    auto st = resolved.file->st;
    // A cached version needs no open of the file; only a miss opens it (for the reader), and
    // loads it once admitted.
    FilePtr file = cache_.find(st);
    if (!file) {
        ResolveError openError{};
        const char* why = "";
        if (!resolver_->openForReading(*resolved.file, openError, why)) {
            const bool denied = openError == ResolveError::AccessViolation;
            metrics_.failed(denied ? FailReason::Access : FailReason::NotFound);
            LOG4CPLUS_INFO(logger(),
                           "failed \"" << logName << "\" to " << origin.client << ": " << why);
            refusedEvent(origin, req.filename, denied ? "access violation" : "file not found",
                         requestAt);
            replyError(l, origin,
                       denied ? tftp::ErrorCode::AccessViolation : tftp::ErrorCode::FileNotFound,
                       denied ? "Access violation" : "File not found");
            return;
        }
    }
    const auto now = Transfer::Clock::now();
    const auto decision = policy_.admit(clientIp, now);
    if (decision.verdict == TransferPolicy::Verdict::Evict) {
        evict(decision.victim, decision.reason);
    } else if (decision.verdict == TransferPolicy::Verdict::Refuse) {
        metrics_.failed(FailReason::Busy);
        ++(decision.perClient ? metrics_.refusedPerClient : metrics_.refusedTotal);
        LOG4CPLUS_INFO(logger(), "failed \"" << logName << "\" to " << origin.client
                                             << ": too many transfers (" << decision.reason << ")");
        refusedEvent(origin, req.filename, "server busy", requestAt);
        replyError(l, origin, tftp::ErrorCode::NotDefined, "Server busy, try again");
        return;
    }
    if (!file) file = cache_.get(std::move(resolved.file->fd), st);
    if (cache_.takeFullNotice()) {
        LOG4CPLUS_WARN(logger(), "file cache full: "
                                     << (cache_.bytesHeld() >> 20) << " MiB of file contents held "
                                     << "for running transfers (--cache-mb "
                                     << (settings_.cacheBytes >> 20)
                                     << "); files that do not fit are streamed from disk "
                                        "in 64 KiB chunks until transfers end");
    }
    // Its own socket: a fresh port (TID), replies from the address the request reached.
    std::string error;
    auto socket = TransferSocket::open(origin, error, uring_ == nullptr,
                                       sockets_.take(TransferSocket::isV4(origin)));
    if (!socket) {
        LOG4CPLUS_WARN(logger(),
                       "failed \"" << logName << "\" to " << origin.client << ": " << error);
        metrics_.failed(FailReason::Busy);
        refusedEvent(origin, req.filename, "server busy", requestAt);
        replyError(l, origin, tftp::ErrorCode::NotDefined, "Server busy, try again");
        return;
    }

    NegotiationLimits limits;
    limits.maxBlockSize = settings_.maxBlockSize;
    limits.maxWindowSize = settings_.maxWindowSize;
    limits.maxTimeoutSeconds = TransferPolicy::kMaxTimeoutOptionSeconds;
    if (settings_.mtuClamp) {
        const int overhead = clientIp.is_v4() ? kOverheadV4 : kOverheadV6;
        // Blocks that fit the smallest MTU IP allows (576, IPv6 1280) need no route lookup.
        const int alwaysFits = (clientIp.is_v4() ? 576 : 1280) - overhead;
        if (negotiate(req.options, limits, file->size()).blockSize > alwaysFits) {
            const int clamp = std::max<int>(
                kMinBlockSize, std::min<int>(kMaxBlockSize, socket->pathMtu() - overhead));
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
    TransferPolicy::applyTiming(timing(settings_), negotiated.timeoutSeconds, params);
    // A floor this client's earlier transfers raised (their retransmits were spurious).
    params.minTimeout =
        std::min(std::max(params.minTimeout, policy_.floorFor(clientIp)), params.timeout);

    const std::uint64_t id = ++nextId_;
    LOG4CPLUS_DEBUG(logger(), "start \"" << logName << "\" to " << origin.client << " from "
                                         << socket->localEndpoint() << ", " << file->size()
                                         << " bytes, blksize " << params.blockSize
                                         << (params.sendOack ? ", OACK" : ""));
    auto session = std::make_shared<Session>(*this, id, std::move(*socket), origin.client, file,
                                             reader_, params, negotiated.oack, logName, requestAt);
    session->setRequestKey(std::move(key));
    if (events_) session->setRequest(req.filename);
    if (!uring_ && !poller_.add(session->fd(), id)) {
        LOG4CPLUS_WARN(logger(), "failed \"" << logName << "\" to " << origin.client
                                             << ": cannot watch its socket");
        metrics_.failed(FailReason::Busy);
        refusedEvent(origin, req.filename, "server busy", requestAt);
        replyError(l, origin, tftp::ErrorCode::NotDefined, "Server busy, try again");
        return;
    }
    sessions_.emplace(origin.client, session);
    byId_.emplace(id, session.get());
    policy_.started(id, clientIp, now);
    ++metrics_.started;
    session->start();
}

void Server::refusedEvent(const Origin& origin, const std::string& request, const char* error,
                          Transfer::TimePoint requestAt) {
    if (!events_) return;
    auto e = tftpFileEvent(request, TransferPolicy::canonical(origin.client.address()).to_string());
    e.bytes = 0;
    e.durationUs = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Transfer::Clock::now() - requestAt)
            .count());
    e.outcome = Outcome::Failed;
    e.error = error;
    emitEvent(std::move(e));
}

std::string Server::renderMetrics() const {
    Gauges g;
    g.activeTransfers = sessions_.size();
    g.cacheHits = cache_.hits();
    g.cacheMisses = cache_.misses();
    g.cacheStreamed = cache_.streamed();
    g.cacheResidentBytes = cache_.bytesHeld();
    g.cacheLimitBytes = settings_.cacheBytes;
    g.cacheEntries = cache_.entries();
    g.readerBacklog = reader_.backlog();
    g.readBytes = reader_.metrics().readBytes.load(std::memory_order_relaxed);
    g.readErrors = reader_.metrics().readErrors.load(std::memory_order_relaxed);
    return tftpd::renderMetrics(metrics_, g, RPI_NETBOOT_VERSION);
}

void Server::transferReady(std::uint64_t id, std::uint32_t events) {
    auto it = byId_.find(id);
    if (it == byId_.end()) return;  // ended earlier in this batch
    auto session = it->second->shared_from_this();
    if (events & EPOLLOUT) session->onWritable();
    if (events & (EPOLLIN | EPOLLERR)) session->onReadable();
}

void Server::sessionEnded(Session* s) {
    auto it = sessions_.find(s->client());
    if (it == sessions_.end() || it->second.get() != s) return;
    auto keep = it->second;  // s stays valid until this function returns
    sessions_.erase(it);
    byId_.erase(s->id());
    policy_.ended(s->id());
    policy_.transferTimed(s->client().address(), s->timeoutFloor(), s->hadSpuriousRetransmit());
}

}  // namespace rpinetboot::tftpd
