// rpi-tftp-loadgen: N simulated Pis fetching over TFTP at once, single-threaded (epoll), so
// the client side costs little CPU next to the server being measured.
//
// Each Pi repeats, `--rounds` times, what Pi firmware does for a file (facts section 5): a probe
// RRQ (tsize 0 [blksize B]) answered by OACK and ended with ERROR 0 "Early terminate", then the
// same RRQ from a new source port, ACK 0 and the whole file, one block per ACK. Blksize 512 is
// sent as the Pi 3's tsize-only request (512 is the default). Every RRQ's time to the first
// answer is recorded. Unanswered packets are re-sent after --timeout-ms (RRQ again, or the last
// ACK), at most --retries times; then the fetch counts as failed.
//
//   rpi-tftp-loadgen --server IP --port N --pis N --blksize B --file NAME[,NAME...]
//                    [--rounds R] [--expect-size BYTES] [--timeout-ms MS] [--retries N]
//                    [--max-seconds S] [--distinct-sources 1]
// --distinct-sources 1 (IPv4 loopback server only) gives Pi i the source address 127.2.x.y.
// Prints one JSON object. Exit 0 when every fetch completed with the expected size.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "rpinetboot/tftp/packet.h"

using namespace rpinetboot;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
    sockaddr_storage server{};
    socklen_t serverLen = 0;
    unsigned pis = 1;
    unsigned blksize = 1468;
    std::vector<std::string> files;
    unsigned rounds = 1;
    std::uint64_t expectSize = 0;  // 0: do not check
    std::chrono::milliseconds timeout{1000};
    unsigned retries = 5;
    double maxSeconds = 300;
    bool distinctSources = false;
};

enum class State { Probe, FetchFirst, Data, Done };

struct Pi {
    unsigned id = 0;
    State state = State::Probe;
    int fd = -1;
    unsigned round = 0;
    sockaddr_storage tid{};
    socklen_t tidLen = 0;
    bool haveTid = false;
    Bytes request;
    Bytes lastAck;
    double sentAt = 0;            // RRQ send time (CLOCK_REALTIME, µs), for latency
    Clock::time_point lastHeard;  // for the retransmit timeout
    unsigned tries = 0;
    std::uint16_t blksize = 512;
    std::uint64_t expected = 1;  // next DATA block (absolute)
    std::uint64_t bytes = 0;
};

struct Stats {
    std::vector<double> latencyUs;
    std::uint64_t bytes = 0;
    unsigned fetchesOk = 0;
    unsigned failures = 0;
    unsigned retransmits = 0;
    unsigned duplicates = 0;
    unsigned wrongSize = 0;
    std::map<std::string, unsigned> errors;
};

double realtimeUs() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);  // the clock of SO_TIMESTAMPNS
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

bool sameAddr(const sockaddr_storage& a, socklen_t al, const sockaddr_storage& b, socklen_t bl) {
    return al == bl && std::memcmp(&a, &b, al) == 0;
}

class Generator {
  public:
    explicit Generator(Config c) : c_(std::move(c)), pis_(c_.pis) {
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        for (unsigned i = 0; i < c_.pis; ++i) pis_[i].id = i;
    }
    ~Generator() {
        for (auto& p : pis_)
            if (p.fd >= 0) ::close(p.fd);
        ::close(ep_);
    }

    Stats run(double& seconds) {
        const auto t0 = Clock::now();
        for (auto& p : pis_) startRound(p, t0);
        const auto limit = t0 + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(c_.maxSeconds));
        std::vector<std::uint8_t> buf(70000);
        epoll_event events[256];
        auto lastScan = t0;
        while (active_ > 0) {
            const int n = ::epoll_wait(ep_, events, 256, 20);
            const auto now = Clock::now();
            for (int i = 0; i < n; ++i) {
                Pi& p = pis_[events[i].data.u32];
                for (int k = 0; k < 64 && p.fd >= 0; ++k) {
                    sockaddr_storage from{};
                    alignas(cmsghdr) char control[128];
                    iovec iov{buf.data(), buf.size()};
                    msghdr msg{};
                    msg.msg_name = &from;
                    msg.msg_namelen = sizeof from;
                    msg.msg_iov = &iov;
                    msg.msg_iovlen = 1;
                    msg.msg_control = control;
                    msg.msg_controllen = sizeof control;
                    const ssize_t len = ::recvmsg(p.fd, &msg, MSG_DONTWAIT);
                    if (len < 0) break;
                    // The kernel's arrival time, so that time this loop spends on other Pis
                    // (it shares a loaded CPU with the server) is not counted as latency.
                    double arrivedUs = realtimeUs();
                    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
                        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                            timespec ts{};
                            std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                            arrivedUs = static_cast<double>(ts.tv_sec) * 1e6 +
                                        static_cast<double>(ts.tv_nsec) / 1e3;
                        }
                    }
                    onPacket(p, ByteSpan(buf.data(), static_cast<std::size_t>(len)), from,
                             msg.msg_namelen, now, arrivedUs);
                }
            }
            if (now - lastScan > std::chrono::milliseconds(10)) {
                lastScan = now;
                for (auto& p : pis_) checkTimeout(p, now);
            }
            if (now > limit && !stopping_) {
                stopping_ = true;
                for (auto& p : pis_) {
                    if (p.state != State::Done) fail(p, "run time limit", now);
                }
            }
        }
        seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        return std::move(stats_);
    }

  private:
    tftp::Options options() const {
        tftp::Options o{{"tsize", "0"}};
        if (c_.blksize != 512) o.push_back({"blksize", std::to_string(c_.blksize)});
        return o;
    }

    void openSocket(Pi& p) {
        if (p.fd >= 0) ::close(p.fd);  // a new source port for every request, as the Pi does
        p.fd = ::socket(c_.server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        const int on = 1;
        ::setsockopt(p.fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
        if (c_.distinctSources && c_.server.ss_family == AF_INET) {
            // Each Pi has its own address, as on a real network (per-client limits apply to
            // addresses): 127.2.0.1, 127.2.0.2, ... all local on loopback.
            sockaddr_in src{};
            src.sin_family = AF_INET;
            src.sin_addr.s_addr = htonl((127u << 24) | (2u << 16) | (p.id + 1));
            ::bind(p.fd, reinterpret_cast<const sockaddr*>(&src), sizeof src);
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = p.id;
        ::epoll_ctl(ep_, EPOLL_CTL_ADD, p.fd, &ev);
        p.haveTid = false;
    }

    void sendRequest(Pi& p, Clock::time_point now) {
        // The clock is read at the send itself: `now` is when epoll returned, and a busy batch
        // would otherwise count the generator's own work as server latency.
        p.sentAt = realtimeUs();
        p.lastHeard = now;
        p.tries = 0;
        ::sendto(p.fd, p.request.data(), p.request.size(), 0,
                 reinterpret_cast<const sockaddr*>(&c_.server), c_.serverLen);
    }

    void startRound(Pi& p, Clock::time_point now) {
        ++active_;
        const auto& file = c_.files[p.id % c_.files.size()];
        p.request = tftp::buildRequest(tftp::Opcode::Rrq, file, "octet", options());
        p.state = State::Probe;
        openSocket(p);
        sendRequest(p, now);
    }

    void endRound(Pi& p, Clock::time_point now) {
        --active_;
        ::close(p.fd);
        p.fd = -1;
        p.state = State::Done;
        if (++p.round < c_.rounds && !stopping_) startRound(p, now);
    }

    void fail(Pi& p, const std::string& why, Clock::time_point now) {
        ++stats_.failures;
        ++stats_.errors[why];
        endRound(p, now);
    }

    void sendTo(Pi& p, const Bytes& pkt) {
        ::sendto(p.fd, pkt.data(), pkt.size(), 0, reinterpret_cast<const sockaddr*>(&p.tid),
                 p.tidLen);
    }

    void onPacket(Pi& p, ByteSpan pkt, const sockaddr_storage& from, socklen_t fromLen,
                  Clock::time_point now, double arrivedUs) {
        if (p.state == State::Done) return;
        if (p.haveTid && !sameAddr(from, fromLen, p.tid, p.tidLen)) return;  // stray
        const bool first = !p.haveTid;
        if (first) {
            p.tid = from;
            p.tidLen = fromLen;
            p.haveTid = true;
            stats_.latencyUs.push_back(std::max(0.0, arrivedUs - p.sentAt));
        }
        p.lastHeard = now;
        p.tries = 0;
        if (auto err = tftp::parseError(pkt)) {
            fail(p, "server error " + std::to_string(err->code), now);
            return;
        }
        if (p.state == State::Probe) {
            if (!first) return;
            // OACK (or DATA 1 from a server ignoring options): the probe ends here.
            sendTo(p, tftp::buildError(tftp::ErrorCode::NotDefined, "Early terminate"));
            p.state = State::FetchFirst;
            openSocket(p);
            sendRequest(p, now);
            return;
        }
        if (p.state == State::FetchFirst && first) {
            p.blksize = 512;
            p.expected = 1;
            p.bytes = 0;
            if (auto oack = tftp::parseOack(pkt)) {
                for (const auto& o : *oack) {
                    if (o.name == "blksize")
                        p.blksize = static_cast<std::uint16_t>(std::stoul(o.value));
                }
                p.state = State::Data;
                p.lastAck = tftp::buildAck(0);
                sendTo(p, p.lastAck);
                return;
            }
            p.state = State::Data;
        }
        auto data = tftp::parseData(pkt);
        if (!data) return;
        if (data->block != static_cast<std::uint16_t>(p.expected)) {
            ++stats_.duplicates;
            return;
        }
        p.bytes += data->payload.size();
        stats_.bytes += data->payload.size();
        p.lastAck = tftp::buildAck(data->block);
        sendTo(p, p.lastAck);
        ++p.expected;
        if (data->payload.size() < p.blksize) {
            if (c_.expectSize && p.bytes != c_.expectSize) {
                ++stats_.wrongSize;
                fail(p, "wrong size", now);
                return;
            }
            ++stats_.fetchesOk;
            endRound(p, now);
        }
    }

    void checkTimeout(Pi& p, Clock::time_point now) {
        if (p.state == State::Done || now - p.lastHeard < c_.timeout) return;
        if (++p.tries > c_.retries) {
            fail(p, p.haveTid ? "timeout during transfer" : "no answer to RRQ", now);
            return;
        }
        ++stats_.retransmits;
        p.lastHeard = now;
        if (!p.haveTid) {
            ::sendto(p.fd, p.request.data(), p.request.size(), 0,
                     reinterpret_cast<const sockaddr*>(&c_.server), c_.serverLen);
        } else if (!p.lastAck.empty() && p.state == State::Data) {
            sendTo(p, p.lastAck);
        }
    }

    Config c_;
    std::vector<Pi> pis_;
    int ep_ = -1;
    unsigned active_ = 0;
    bool stopping_ = false;
    Stats stats_;
};

// User and system CPU seconds of this process so far, so that a run can show whether the
// generator itself was what limited it.
std::pair<double, double> cpuSeconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto sec = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return {sec(ru.ru_utime), sec(ru.ru_stime)};
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    // Nearest rank, as bench/lib/benchlib.py does.
    auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(p / 100.0 * v.size())));
    return v[std::min(rank, v.size()) - 1];
}

int usage() {
    std::cerr << "usage: rpi-tftp-loadgen --server IP --port N --pis N --blksize B "
                 "--file NAME[,NAME...] [--rounds R] [--expect-size BYTES] [--timeout-ms MS] "
                 "[--retries N] [--max-seconds S] [--distinct-sources 0|1]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    Config c;
    std::string host = "127.0.0.1";
    unsigned port = 69;
    try {
        for (int i = 1; i + 1 < argc; i += 2) {
            const std::string k = argv[i], v = argv[i + 1];
            if (k == "--server")
                host = v;
            else if (k == "--port")
                port = static_cast<unsigned>(std::stoul(v));
            else if (k == "--pis")
                c.pis = static_cast<unsigned>(std::stoul(v));
            else if (k == "--blksize")
                c.blksize = static_cast<unsigned>(std::stoul(v));
            else if (k == "--rounds")
                c.rounds = static_cast<unsigned>(std::stoul(v));
            else if (k == "--expect-size")
                c.expectSize = std::stoull(v);
            else if (k == "--timeout-ms")
                c.timeout = std::chrono::milliseconds(std::stoul(v));
            else if (k == "--retries")
                c.retries = static_cast<unsigned>(std::stoul(v));
            else if (k == "--max-seconds")
                c.maxSeconds = std::stod(v);
            else if (k == "--distinct-sources")
                c.distinctSources = v == "1";
            else if (k == "--file") {
                std::stringstream ss(v);
                std::string f;
                while (std::getline(ss, f, ',')) c.files.push_back(f);
            } else
                return usage();
        }
    } catch (const std::exception&) {
        return usage();
    }
    if ((argc - 1) % 2 != 0 || c.files.empty() || c.pis == 0 || c.pis > 4096 || c.rounds == 0 ||
        c.blksize < 8 || c.blksize > 65464 || port == 0 || port > 65535) {
        return usage();
    }
    std::memset(&c.server, 0, sizeof c.server);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&c.server);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&c.server);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        c.serverLen = sizeof *v4;
    } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        c.serverLen = sizeof *v6;
    } else {
        return usage();
    }
    const unsigned pis = c.pis, blksize = c.blksize, rounds = c.rounds;
    Generator gen(std::move(c));
    double seconds = 0;
    const auto cpu0 = cpuSeconds();
    Stats s = gen.run(seconds);
    const auto cpu1 = cpuSeconds();
    std::printf(
        "{\"pis\":%u,\"blksize\":%u,\"rounds\":%u,\"seconds\":%.6f,\"bytes\":%llu,"
        "\"fetches_ok\":%u,\"failures\":%u,\"retransmits\":%u,\"duplicates\":%u,"
        "\"wrong_size\":%u,\"rrq_count\":%zu,\"rrq_p50_us\":%.1f,\"rrq_p99_us\":%.1f,"
        "\"rrq_max_us\":%.1f,\"cpu_user_s\":%.3f,\"cpu_system_s\":%.3f,\"errors\":{",
        pis, blksize, rounds, seconds, static_cast<unsigned long long>(s.bytes), s.fetchesOk,
        s.failures, s.retransmits, s.duplicates, s.wrongSize, s.latencyUs.size(),
        percentile(s.latencyUs, 50), percentile(s.latencyUs, 99), percentile(s.latencyUs, 100),
        cpu1.first - cpu0.first, cpu1.second - cpu0.second);
    bool firstErr = true;
    for (const auto& [why, count] : s.errors) {
        std::printf("%s\"%s\":%u", firstErr ? "" : ",", why.c_str(), count);
        firstErr = false;
    }
    std::printf("}}\n");
    return s.failures == 0 ? 0 : 1;
}
