#include "rpinetboot/probe/tftp_client.h"
#include "rpinetboot/util/decimal.h"
#include "rpinetboot/util/unique_fd.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace rpinetboot::probe {
namespace {

using Clock = std::chrono::steady_clock;

std::uint16_t portOf(const sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
    if (ss.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
    }
    return 0;
}

bool sameHost(const sockaddr_storage& a, const sockaddr_storage& b) {
    if (a.ss_family != b.ss_family) return false;
    if (a.ss_family == AF_INET) {
        return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
               reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
    }
    return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                       &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr, 16) == 0;
}

std::optional<std::uint64_t> number(const std::string& s) {
    return parseDecimal(s, UINT64_MAX);
}

const tftp::Option* find(const tftp::Options& options, const std::string& name) {
    for (const auto& o : options) {
        if (o.name == name) return &o;
    }
    return nullptr;
}

class Socket {
  public:
    explicit Socket(int family) : fd_(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
    int fd() const { return fd_.get(); }

  private:
    UniqueFd fd_;
};

}  // namespace

const char* toString(TftpOutcome outcome) {
    switch (outcome) {
        case TftpOutcome::Complete:
            return "complete";
        case TftpOutcome::EarlyTerminated:
            return "early-terminated";
        case TftpOutcome::ServerError:
            return "server-error";
        case TftpOutcome::Timeout:
            return "timeout";
        case TftpOutcome::ProtocolError:
            return "protocol-error";
        case TftpOutcome::SocketError:
            return "socket-error";
    }
    return "?";
}

std::optional<TftpServer> TftpServer::parse(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) {
        return std::nullopt;
    }
    TftpServer s;
    std::memcpy(&s.addr, res->ai_addr, res->ai_addrlen);
    s.length = res->ai_addrlen;
    ::freeaddrinfo(res);
    return s;
}

std::string TftpServer::str() const {
    char host[INET6_ADDRSTRLEN] = "?";
    if (addr.ss_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, host,
                    sizeof host);
        return std::string(host) + ":" + std::to_string(portOf(addr));
    }
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, host,
                sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(portOf(addr));
}

std::string TftpResult::describe() const {
    std::ostringstream out;
    out << toString(outcome) << " bytes=" << bytes << " blksize=" << blockSize;
    if (tsize) out << " tsize=" << *tsize;
    if (oackReceived) {
        out << " oack=";
        for (std::size_t i = 0; i < oack.size(); ++i) {
            out << (i ? "," : "") << oack[i].name << "=" << oack[i].value;
        }
    }
    if (outcome == TftpOutcome::ServerError) out << " error=" << errorCode;
    if (!errorMessage.empty()) out << " message=\"" << errorMessage << "\"";
    out << " requests=" << requestsSent << " ms=" << elapsed.count() / 1000;
    return out.str();
}

TftpResult tftpFetch(const TftpServer& server, const TftpRequest& request) {
    TftpResult r;
    const auto started = Clock::now();
    const auto fileDeadline = started + request.fileTimeout;
    auto done = [&](TftpOutcome outcome, std::string message = {}) {
        r.outcome = outcome;
        if (!message.empty()) r.errorMessage = std::move(message);
        r.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
        return r;
    };

    Socket sock(server.addr.ss_family);
    if (sock.fd() < 0) return done(TftpOutcome::SocketError, std::strerror(errno));
    if (!request.device.empty() &&
        ::setsockopt(sock.fd(), SOL_SOCKET, SO_BINDTODEVICE, request.device.c_str(),
                     static_cast<socklen_t>(request.device.size())) != 0) {
        return done(TftpOutcome::SocketError,
                    "binding to " + request.device + ": " + std::strerror(errno));
    }
    {
        // Bind now so the source port is known before sending, and stays for the transfer.
        sockaddr_storage any{};
        any.ss_family = server.addr.ss_family;
        socklen_t len = any.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        if (::bind(sock.fd(), reinterpret_cast<sockaddr*>(&any), len) != 0) {
            return done(TftpOutcome::SocketError, std::strerror(errno));
        }
        sockaddr_storage local{};
        len = sizeof local;
        ::getsockname(sock.fd(), reinterpret_cast<sockaddr*>(&local), &len);
        r.localPort = portOf(local);
    }

    const Bytes rrq =
        tftp::buildRequest(tftp::Opcode::Rrq, request.filename, request.mode, request.options);
    Bytes last = rrq;                     // what a timeout re-sends: the RRQ, then the latest ACK
    sockaddr_storage peer = server.addr;  // becomes the server's TID on the first reply
    socklen_t peerLen = server.length;
    bool locked = false;
    std::uint16_t blockSize = tftp::kDefaultBlockSize;
    std::uint64_t received = 0;  // blocks received in order
    std::uint64_t wantedBlockSize = tftp::kDefaultBlockSize;
    if (auto* b = find(request.options, "blksize")) {
        if (auto v = number(b->value)) wantedBlockSize = *v;
    }

    auto sendPacket = [&](const Bytes& p) {
        return ::sendto(sock.fd(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&peer),
                        peerLen) == static_cast<ssize_t>(p.size());
    };
    auto terminate = [&]() {
        sendPacket(tftp::buildError(tftp::ErrorCode::NotDefined, "Early terminate"));
        return done(TftpOutcome::EarlyTerminated);
    };

    if (!sendPacket(rrq)) return done(TftpOutcome::SocketError, std::strerror(errno));
    r.requestsSent = 1;
    unsigned retries = 0;
    std::vector<std::uint8_t> buf(65536);
    for (;;) {
        auto now = Clock::now();
        if (now >= fileDeadline) return done(TftpOutcome::Timeout, "file timeout");
        auto wait = std::min<Clock::duration>(request.packetTimeout, fileDeadline - now);
        pollfd pfd{sock.fd(), POLLIN, 0};
        int ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
        int ready = ::poll(&pfd, 1, ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return done(TftpOutcome::SocketError, std::strerror(errno));
        if (ready == 0) {
            if (++retries > request.retries) return done(TftpOutcome::Timeout, "no answer");
            if (!locked) ++r.requestsSent;
            sendPacket(last);
            continue;
        }
        sockaddr_storage from{};
        socklen_t fromLen = sizeof from;
        ssize_t n = ::recvfrom(sock.fd(), buf.data(), buf.size(), 0,
                               reinterpret_cast<sockaddr*>(&from), &fromLen);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            if (errno == ECONNREFUSED) continue;  // ICMP from an earlier datagram
            return done(TftpOutcome::SocketError, std::strerror(errno));
        }
        // Only the server's host; once locked, only its transfer port.
        if (!sameHost(from, server.addr) || (locked && portOf(from) != portOf(peer))) {
            ++r.strayPackets;
            continue;
        }
        if (r.firstReply.count() == 0) {
            r.firstReply =
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
        }
        if (!locked) {
            peer = from;
            peerLen = fromLen;
            locked = true;
            r.serverPort = portOf(from);
        }
        ByteSpan packet(buf.data(), static_cast<std::size_t>(n));
        auto op = tftp::peekOpcode(packet);
        if (!op) continue;
        if (auto err = tftp::parseError(packet)) {
            r.errorCode = err->code;
            return done(TftpOutcome::ServerError, err->message);
        }
        if (auto oack = tftp::parseOack(packet)) {
            if (received > 0 || r.oackReceived) continue;  // late duplicate
            r.oackReceived = true;
            r.oack = *oack;
            // RFC 2347: the server may only acknowledge options the client asked for, and may
            // not raise blksize.
            std::vector<std::string> seen;
            for (const auto& o : *oack) {
                if (!find(request.options, o.name)) {
                    return done(TftpOutcome::ProtocolError, "OACK option not requested: " + o.name);
                }
                for (const auto& s : seen) {
                    if (s == o.name) {
                        return done(TftpOutcome::ProtocolError, "OACK repeats " + o.name);
                    }
                }
                seen.push_back(o.name);
                if (o.name == "blksize") {
                    auto v = number(o.value);
                    if (!v || *v < 8 || *v > wantedBlockSize) {
                        return done(TftpOutcome::ProtocolError, "OACK blksize " + o.value);
                    }
                    blockSize = static_cast<std::uint16_t>(*v);
                } else if (o.name == "tsize") {
                    r.tsize = number(o.value);
                    if (!r.tsize) return done(TftpOutcome::ProtocolError, "OACK tsize " + o.value);
                }
            }
            r.blockSize = blockSize;
            if (request.stop == EarlyStop::AfterOack) return terminate();
            last = tftp::buildAck(0);
            sendPacket(last);
            retries = 0;
            continue;
        }
        if (auto data = tftp::parseData(packet)) {
            const auto expected = static_cast<std::uint16_t>((received + 1) & 0xffff);
            if (data->block != expected) {
                if (data->block == static_cast<std::uint16_t>(received & 0xffff)) {
                    ++r.duplicateData;
                    sendPacket(last);  // our ACK was lost: repeat it
                }
                continue;
            }
            if (data->payload.size() > blockSize) {
                return done(TftpOutcome::ProtocolError, "DATA larger than blksize");
            }
            ++received;
            r.bytes += data->payload.size();
            if (r.bytes > request.maxBytes) {
                return done(TftpOutcome::ProtocolError, "more data than allowed");
            }
            if (request.keepData) {
                r.data.insert(r.data.end(), data->payload.begin(), data->payload.end());
            }
            if (request.stop == EarlyStop::AfterData1 && received == 1) return terminate();
            last = tftp::buildAck(data->block);
            sendPacket(last);
            retries = 0;
            if (data->payload.size() < blockSize) {
                if (r.tsize && *r.tsize != r.bytes) {
                    return done(TftpOutcome::ProtocolError, "size differs from tsize");
                }
                return done(TftpOutcome::Complete);
            }
            continue;
        }
        ++r.strayPackets;  // ACK/RRQ/unknown from the server: ignored
    }
}

}  // namespace rpinetboot::probe
