// rpi-tftp-loadgen: N simulated Pis fetching over TFTP at once, single-threaded, with batched
// I/O so that the client side costs little CPU next to the server being measured.
//
// Each Pi walks a plan, `--rounds` times. A plan is a list of requests, each a probe or a
// fetch, as firmware makes them (docs/protocol/tftp.md): a probe is an RRQ (tsize 0 [blksize
// B]) answered by OACK and ended with ERROR 0 "Early terminate", or answered by ERROR 1 (a file
// the Pi looks for that is not there: normal); a fetch is the RRQ, ACK 0 and the whole file,
// one block per ACK. Every request goes out from a new source port, as the Pi's do. With
// --file the plan is "probe, then fetch" of one file (Pi i takes file i mod count); with
// --plan FILE[,FILE...] Pi i walks plan file i mod count, whose lines are
//     probe NAME                 (OACK or "file not found" are both fine)
//     fetch NAME SIZE            (SIZE in bytes, or - to accept any size)
// Blksize 512 is sent as the Pi 3's tsize-only request (512 is the default). Every RRQ's time
// to the first answer is recorded (send time read just before the send, arrival from the
// kernel's stamp), and every round's time from its first RRQ to its last block (a "boot").
// A DATA block received again is answered with the last ACK again (the Pi's ACK was lost).
// Unanswered packets are re-sent after --timeout-ms (RRQ again, or the last ACK), at most
// --retries times; then the request and its round count as failed.
//
//   rpi-tftp-loadgen --server IP --port N --pis N --blksize B
//                    (--file NAME[,NAME...] [--expect-size BYTES] | --plan FILE[,FILE...])
//                    [--rounds R] [--timeout-ms MS] [--retries N] [--max-seconds S]
//                    [--distinct-sources 1 [--source-base IP]] [--loss P] [--delay-ms MS]
//                    [--seed N] [--latency-out FILE]
// --loss P --delay-ms MS emulate a lossy, slow network inside the generator, for kernels
// without the netem qdisc: every datagram, either way, is lost with probability P, and every
// one sent is held MS first (give the round trip: the server's answers are not held).
// --distinct-sources 1 (IPv4 server only) gives Pi i the source address base + i (default
// base 127.2.0.1, for a loopback server; the addresses must be local). Prints one JSON object
// with the generator's own CPU seconds, the datagrams it sent and the server packets it
// needed (`answers`: each request's first answer and each new DATA block), so that a caller
// can tell a server's retransmits from its namespace's UDP counters. Exit 0 when every
// request ended as its plan expects.
//
// I/O (udp_batch.h): on a paravirtualised guest every syscall costs more than a packet's work,
// so one epoll_wait, then per readable socket one recvmmsg of up to 64 datagrams and one
// sendmmsg of every ACK it calls for. With --distinct-sources 1 all Pis share a pool of 4
// wildcard-bound sockets: Pi i's request number j goes out from pool socket (i + j) mod 4, so
// consecutive requests come from different (address, port) pairs as a Pi's do; its source
// address is set per datagram (IP_PKTINFO) and the Pi an answer is for is told by the
// answer's destination address. Otherwise (IPv6, or one source address for all) each Pi has
// two sockets of its own and alternates between them. A transfer is known by (Pi, local
// socket) and locks onto the first server (address, port) that answers with an OACK, ERROR or
// DATA 1; anything else is stray and ignored, so a server may answer every transfer from one
// port.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "rpinetboot/tftp/packet.h"
#include "rpinetboot/util/ipv4.h"
#include "udp_batch.h"

using namespace rpinetboot;
using loadgen::Datagram;
using loadgen::UdpBatch;
using Clock = std::chrono::steady_clock;

namespace {

// Shared sockets with --distinct-sources 1. Fewer sockets fill each recvmmsg better (at 128
// Pis, 4 cost ~10% less CPU per MB than 8); at least 2 so that requests alternate ports, and 4
// so that a Pi reuses a port only every other round.
constexpr unsigned kPoolSockets = 4;
constexpr unsigned kBatch = 64;        // datagrams per recvmmsg
constexpr unsigned kReadsPerWake = 4;  // full batches read from one socket before the others

// One request of a plan: its RRQ (built once: queued sends may point into it), whether it is
// a probe, and for a fetch the size expected (-1: any).
struct Step {
    Bytes request;
    bool probe = false;
    std::int64_t size = -1;
};
using Plan = std::vector<Step>;

struct Config {
    sockaddr_storage server{};
    socklen_t serverLen = 0;
    unsigned pis = 1;
    unsigned blksize = 1468;
    std::vector<std::string> files;      // --file
    std::vector<std::string> planFiles;  // --plan
    unsigned rounds = 1;
    std::uint64_t expectSize = 0;  // 0: do not check
    std::chrono::milliseconds timeout{1000};
    unsigned retries = 5;
    double maxSeconds = 300;
    bool distinctSources = false;
    // An emulated network, where the kernel has no netem qdisc: each datagram, either way, is
    // lost with probability `loss`; those sent are held `delay` (the round trip) first.
    double loss = 0;
    std::chrono::microseconds delay{0};
    std::uint64_t seed = 1;
    std::uint32_t sourceBase = (127u << 24) | (2u << 16) | 1u;  // 127.2.0.1
    std::string latencyOut;  // --latency-out: every request's first answer, one line each
};

enum class State { Wait, Data, Done };  // Wait: the request's first answer

struct Pi {
    unsigned id = 0;
    const Plan* plan = nullptr;
    std::size_t step = 0;
    State state = State::Done;
    unsigned round = 0;
    bool roundFailed = false;
    Clock::time_point roundStart;
    unsigned requests = 0;  // RRQs started: picks the socket of the next one
    unsigned sock = 0;      // the socket of the current request
    in_addr source{};       // with distinct sources: base + id; else 0 (the kernel's choice)
    sockaddr_storage tid{};
    socklen_t tidLen = 0;
    bool haveTid = false;
    Bytes lastAck;
    double sentAt = 0;            // RRQ send time (CLOCK_REALTIME, µs), for latency
    Clock::time_point lastHeard;  // for the retransmit timeout
    unsigned tries = 0;
    std::uint16_t blksize = 512;
    std::uint64_t expected = 1;  // next DATA block (absolute)
    std::uint64_t bytes = 0;
};

// One request's first answer, for --latency-out: when the RRQ left (µs, CLOCK_REALTIME), how
// long its first answer took, whose it was and what it asked.
struct Answered {
    double sentUs = 0;
    double latencyUs = 0;
    unsigned pi = 0;
    const Step* step = nullptr;
    std::uint16_t opcode = 0;  // of the answer: OACK, DATA or ERROR
};

struct Stats {
    std::vector<double> latencyUs;
    std::vector<Answered> answered;   // with --latency-out only
    std::vector<double> bootSeconds;  // rounds that completed without a failure
    std::uint64_t bytes = 0;
    std::uint64_t answers = 0;  // server packets needed: first answers + new DATA blocks
    unsigned fetchesOk = 0;
    unsigned probesEnded = 0;  // probes ended with "Early terminate"
    unsigned notFound = 0;     // probes answered "file not found"
    unsigned failures = 0;
    unsigned retransmits = 0;
    unsigned duplicates = 0;
    unsigned stray = 0;
    unsigned emulatedDrops = 0;
    unsigned wrongSize = 0;
    unsigned sendErrors = 0;
    std::uint64_t sent = 0;
    std::map<std::string, unsigned> errors;
};

double realtimeUs() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

bool sameAddr(const sockaddr_storage& a, socklen_t al, const sockaddr_storage& b, socklen_t bl) {
    return al == bl && std::memcmp(&a, &b, al) == 0;
}

class Generator {
  public:
    Generator(Config c, const std::vector<Plan>& plans)
        : c_(std::move(c)),
          shared_(c_.distinctSources && c_.server.ss_family == AF_INET),
          io_(std::max(c_.blksize, 512u) + tftp::kHeaderSize + 64, kBatch),
          pis_(c_.pis),
          earlyTerminate_(tftp::buildError(tftp::ErrorCode::NotDefined, "Early terminate")) {
        // Room for a DATA packet (and its kernel overhead) of every Pi on a socket, twice.
        const unsigned perSocket = shared_ ? (c_.pis + kPoolSockets - 1) / kPoolSockets : 1;
        const auto rcvbuf = static_cast<int>(std::min<std::uint64_t>(
            64u << 20,
            std::max<std::uint64_t>(256u << 10, 2ull * perSocket * 2 * (c_.blksize + 1024))));
        const unsigned sockets = shared_ ? kPoolSockets : 2 * c_.pis;
        for (unsigned i = 0; i < sockets; ++i) io_.open(c_.server.ss_family, rcvbuf);
        for (unsigned i = 0; i < c_.pis; ++i) {
            Pi& p = pis_[i];
            p.id = i;
            p.plan = &plans[i % plans.size()];
            if (shared_) p.source.s_addr = htonl(c_.sourceBase + i);
        }
    }

    Stats run(double& seconds) {
        const auto t0 = Clock::now();
        for (auto& p : pis_) startRound(p, t0);
        io_.flush();
        const auto limit = t0 + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(c_.maxSeconds));
        std::vector<unsigned> ready;
        auto lastScan = t0;
        int waitMs = 20;
        while (active_ > 0) {
            io_.wait(waitMs, ready);
            const auto now = Clock::now();
            for (unsigned s : ready) {
                for (unsigned k = 0; k < kReadsPerWake; ++k) {
                    const auto& batch = io_.receive(s);
                    for (const Datagram& d : batch) dispatch(s, d, now);
                    // ACKs out before the next read, so that the server is not kept waiting.
                    io_.flush();
                    if (batch.size() < io_.batch()) break;  // drained
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
            waitMs = emulated_ ? release(Clock::now(), 20) : 20;
            io_.flush();
            released_.clear();
        }
        seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        stats_.sendErrors = io_.sendErrors();
        stats_.sent = io_.sent();
        return std::move(stats_);
    }

  private:
    // Which Pi a datagram read from socket s is for, or nullptr (stray).
    Pi* owner(unsigned s, const Datagram& d) {
        if (d.truncated) return nullptr;  // larger than the block size asked for
        unsigned id = 0;
        if (shared_) {
            if (!d.haveDst) return nullptr;
            const std::uint32_t dst = ntohl(d.dst.s_addr);
            if (dst < c_.sourceBase || dst - c_.sourceBase >= c_.pis) return nullptr;
            id = dst - c_.sourceBase;
        } else {
            id = s / 2;
        }
        Pi& p = pis_[id];
        // An answer to an earlier request of this Pi (another socket) is stray too.
        return p.sock == s && p.state != State::Done ? &p : nullptr;
    }

    void dispatch(unsigned s, const Datagram& d, Clock::time_point now) {
        if (emulated_ && lose()) {
            ++stats_.emulatedDrops;  // lost on the way from the server
            return;
        }
        if (Pi* p = owner(s, d)) {
            onPacket(*p, ByteSpan(d.data, d.size), *d.from, d.fromLen, now, d.arrivedUs);
        } else {
            ++stats_.stray;
        }
    }

    const Step& step(const Pi& p) const { return (*p.plan)[p.step]; }

    // A new request: the next socket (a new source port, as the Pi uses), first send timed.
    void sendRequest(Pi& p, Clock::time_point now) {
        p.sock = shared_ ? (p.id + p.requests) % kPoolSockets : 2 * p.id + p.requests % 2;
        ++p.requests;
        p.haveTid = false;
        p.state = State::Wait;
        p.lastHeard = now;
        p.tries = 0;
        const Bytes& rrq = step(p).request;
        emit(p.sock, c_.server, c_.serverLen, rrq, p.source, &p.sentAt);
    }

    // Every datagram goes out through here: straight to the batch, or, when a network is
    // emulated, dropped with the loss probability or held for the round-trip delay.
    void emit(unsigned sock, const sockaddr_storage& to, socklen_t toLen, const Bytes& pkt,
              in_addr src, double* sentAt) {
        if (!emulated_) {
            io_.queue(sock, to, toLen, pkt.data(), pkt.size(), src, sentAt);
            return;
        }
        if (lose()) {
            ++stats_.emulatedDrops;
            if (sentAt) *sentAt = realtimeUs();  // as if sent: the loss is on the wire
            return;
        }
        held_.push_back({Clock::now() + c_.delay, sock, to, toLen, pkt, src, sentAt});
    }

    // Held datagrams whose delay is over, into the batch; returns ms until the next one is due
    // (or `idleMs`).
    int release(Clock::time_point now, int idleMs) {
        while (!held_.empty() && held_.front().due <= now) {
            Held& h = held_.front();
            released_.push_back(std::move(h.pkt));  // alive until the flush
            const Bytes& pkt = released_.back();
            io_.queue(h.sock, h.to, h.toLen, pkt.data(), pkt.size(), h.src, h.sentAt);
            held_.pop_front();
        }
        if (held_.empty()) return idleMs;
        const auto wait =
            std::chrono::ceil<std::chrono::milliseconds>(held_.front().due - now).count();
        return static_cast<int>(std::clamp<long long>(wait, 0, idleMs));
    }

    bool lose() { return c_.loss > 0 && uniform_(rng_) < c_.loss; }

    void sendTo(Pi& p, const Bytes& pkt) { emit(p.sock, p.tid, p.tidLen, pkt, p.source, nullptr); }

    void startRound(Pi& p, Clock::time_point now) {
        ++active_;
        p.step = 0;
        p.roundFailed = false;
        p.roundStart = now;
        sendRequest(p, now);
    }

    void endRound(Pi& p, Clock::time_point now) {
        --active_;
        p.state = State::Done;
        if (!p.roundFailed)
            stats_.bootSeconds.push_back(std::chrono::duration<double>(now - p.roundStart).count());
        if (++p.round < c_.rounds && !stopping_) startRound(p, now);
    }

    void nextStep(Pi& p, Clock::time_point now) {
        if (++p.step < p.plan->size()) {
            sendRequest(p, now);
        } else {
            endRound(p, now);
        }
    }

    void fail(Pi& p, const std::string& why, Clock::time_point now) {
        ++stats_.failures;
        ++stats_.errors[why];
        p.roundFailed = true;
        endRound(p, now);
    }

    // A request's first answer is an OACK, an ERROR or DATA 1; a later DATA block, or (for a
    // fetch of known size) an OACK with another tsize, is a late re-send of an earlier
    // transfer that used the same socket (four requests ago; on a lossy link).
    bool firstAnswer(const Pi& p, ByteSpan pkt) const {
        if (const auto data = tftp::parseData(pkt)) return data->block == 1;
        const Step& st = step(p);
        if (st.probe || st.size < 0) return true;
        if (const auto oack = tftp::parseOack(pkt)) {
            for (const auto& o : *oack) {
                if (o.name == "tsize" && o.value != std::to_string(st.size)) return false;
            }
        }
        return true;
    }

    void onPacket(Pi& p, ByteSpan pkt, const sockaddr_storage& from, socklen_t fromLen,
                  Clock::time_point now, double arrivedUs) {
        const bool first = !p.haveTid;
        if (first ? !firstAnswer(p, pkt) : !sameAddr(from, fromLen, p.tid, p.tidLen)) {
            ++stats_.stray;
            return;
        }
        if (first) {
            p.tid = from;
            p.tidLen = fromLen;
            p.haveTid = true;
            ++stats_.answers;
            stats_.latencyUs.push_back(std::max(0.0, arrivedUs - p.sentAt));
            if (!c_.latencyOut.empty()) {
                stats_.answered.push_back({p.sentAt, stats_.latencyUs.back(), p.id, &step(p),
                                           tftp::peekOpcode(pkt).value_or(0)});
            }
        }
        p.lastHeard = now;
        p.tries = 0;
        const Step& st = step(p);
        if (auto err = tftp::parseError(pkt)) {
            if (first && st.probe &&
                err->code == static_cast<std::uint16_t>(tftp::ErrorCode::FileNotFound)) {
                ++stats_.notFound;  // a file the Pi looks for and may not find
                nextStep(p, now);
                return;
            }
            fail(p, "server error " + std::to_string(err->code), now);
            return;
        }
        if (st.probe) {
            if (!first) return;
            // OACK (or DATA 1 from a server ignoring options): the probe ends here.
            sendTo(p, earlyTerminate_);
            ++stats_.probesEnded;
            nextStep(p, now);
            return;
        }
        if (p.state == State::Wait) {
            p.blksize = 512;
            p.expected = 1;
            p.bytes = 0;
            p.state = State::Data;
            if (auto oack = tftp::parseOack(pkt)) {
                for (const auto& o : *oack) {
                    if (o.name == "blksize")
                        p.blksize = static_cast<std::uint16_t>(std::stoul(o.value));
                }
                p.lastAck = tftp::buildAck(0);
                sendTo(p, p.lastAck);
                return;
            }
        }
        auto data = tftp::parseData(pkt);
        if (!data) return;
        if (data->block != static_cast<std::uint16_t>(p.expected)) {
            ++stats_.duplicates;  // the server re-sent a block (or the Sorcerer's Apprentice)
            // The block before the one expected came again: our ACK of it was lost, so repeat
            // it, as TFTP clients do (RFC 1350 section 2) and as Pis do (firmware#1631 is a
            // start4.elf answering a twice-received DATA with an ACK; probe/tftp does the same).
            if (data->block == static_cast<std::uint16_t>(p.expected - 1) && p.expected > 1) {
                sendTo(p, p.lastAck);
            }
            return;
        }
        if (!first) ++stats_.answers;
        p.bytes += data->payload.size();
        stats_.bytes += data->payload.size();
        p.lastAck = tftp::buildAck(data->block);
        sendTo(p, p.lastAck);
        ++p.expected;
        if (data->payload.size() < p.blksize) {
            const std::int64_t want = st.size;
            if (want >= 0 && p.bytes != static_cast<std::uint64_t>(want)) {
                ++stats_.wrongSize;
                fail(p, "wrong size", now);
                return;
            }
            ++stats_.fetchesOk;
            nextStep(p, now);
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
            // The same request from the same port; its latency still counts from the first.
            const Bytes& rrq = step(p).request;
            emit(p.sock, c_.server, c_.serverLen, rrq, p.source, nullptr);
        } else if (!p.lastAck.empty() && p.state == State::Data) {
            sendTo(p, p.lastAck);
        }
    }

    struct Held {
        Clock::time_point due;
        unsigned sock;
        sockaddr_storage to;
        socklen_t toLen;
        Bytes pkt;
        in_addr src;
        double* sentAt;
    };

    Config c_;
    bool shared_;
    bool emulated_ = c_.loss > 0 || c_.delay.count() > 0;
    std::deque<Held> held_;       // in due order: one fixed delay
    std::deque<Bytes> released_;  // queued to the batch, sent at the next flush
    std::mt19937_64 rng_{c_.seed};
    std::uniform_real_distribution<double> uniform_{0.0, 1.0};
    UdpBatch io_;
    std::vector<Pi> pis_;
    const Bytes earlyTerminate_;
    unsigned active_ = 0;
    bool stopping_ = false;
    Stats stats_;
};

// The plans from --file (probe, then fetch, of each file) or --plan files; throws
// std::runtime_error on a plan line it does not understand.
std::vector<Plan> buildPlans(const Config& c) {
    tftp::Options o{{"tsize", "0"}};
    if (c.blksize != 512) o.push_back({"blksize", std::to_string(c.blksize)});
    auto rrq = [&](const std::string& name) {
        return tftp::buildRequest(tftp::Opcode::Rrq, name, "octet", o);
    };
    const auto expect = c.expectSize ? static_cast<std::int64_t>(c.expectSize) : -1;
    std::vector<Plan> plans;
    for (const auto& f : c.files) plans.push_back({{rrq(f), true, -1}, {rrq(f), false, expect}});
    for (const auto& path : c.planFiles) {
        std::ifstream in(path);
        if (!in) throw std::runtime_error("cannot read plan " + path);
        Plan plan;
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream words(line);
            std::string kind, name, size;
            words >> kind >> name >> size;
            if (kind.empty() || kind[0] == '#') continue;
            if (kind == "probe" && !name.empty()) {
                plan.push_back({rrq(name), true, -1});
            } else if (kind == "fetch" && !name.empty() && !size.empty()) {
                plan.push_back({rrq(name), false, size == "-" ? -1 : std::stoll(size)});
            } else {
                throw std::runtime_error(path + ": not a plan line: " + line);
            }
        }
        if (plan.empty()) throw std::runtime_error(path + ": empty plan");
        plans.push_back(std::move(plan));
    }
    return plans;
}

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

// --latency-out: "sent_us latency_us pi probe|fetch NAME answer-opcode", one request a line,
// for finding which requests make up a tail (bench/results: where a burst's RRQs wait).
bool writeLatencies(const std::string& path, const std::vector<Answered>& answered) {
    std::ofstream out(path);
    for (const auto& a : answered) {
        const Bytes& r = a.step->request;
        std::string name;
        for (std::size_t i = 2; i < r.size() && r[i] != 0; ++i) name += static_cast<char>(r[i]);
        out << std::fixed << a.sentUs << ' ' << a.latencyUs << ' ' << a.pi << ' '
            << (a.step->probe ? "probe " : "fetch ") << name << ' ' << a.opcode << '\n';
    }
    return static_cast<bool>(out);
}

int usage() {
    std::cerr
        << "usage: rpi-tftp-loadgen --server IP --port N --pis N --blksize B "
           "(--file NAME[,NAME...] [--expect-size BYTES] | --plan FILE[,FILE...]) "
           "[--rounds R] [--timeout-ms MS] [--retries N] [--max-seconds S] "
           "[--distinct-sources 0|1] [--source-base IP] [--loss P] [--delay-ms MS] [--seed N] "
           "[--latency-out FILE]\n";
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
            else if (k == "--loss")
                c.loss = std::stod(v);
            else if (k == "--delay-ms")
                c.delay = std::chrono::microseconds(std::llround(std::stod(v) * 1000));
            else if (k == "--seed")
                c.seed = std::stoull(v);
            else if (k == "--latency-out")
                c.latencyOut = v;
            else if (k == "--source-base") {
                const auto base = parseIpv4(v);
                if (!base) return usage();
                c.sourceBase = *base;
            } else if (k == "--file" || k == "--plan") {
                std::stringstream ss(v);
                std::string f;
                while (std::getline(ss, f, ','))
                    (k == "--file" ? c.files : c.planFiles).push_back(f);
            } else
                return usage();
        }
    } catch (const std::exception&) {
        return usage();
    }
    if ((argc - 1) % 2 != 0 || c.files.empty() == c.planFiles.empty() || c.pis == 0 ||
        c.pis > 4096 || c.rounds == 0 || c.blksize < 8 || c.blksize > 65464 || port == 0 ||
        port > 65535 || c.loss < 0 || c.loss >= 1 || c.delay.count() < 0) {
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
    // Without distinct sources every Pi has two sockets of its own.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 2 * c.pis + 64) {
        files.rlim_cur = std::min<rlim_t>(files.rlim_max, 2 * c.pis + 64);
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    double seconds = 0;
    std::pair<double, double> cpu0, cpu1;  // around the run only, as `seconds` is
    Stats s;
    std::vector<Plan> plans;
    try {
        plans = buildPlans(c);
    } catch (const std::exception& e) {
        std::cerr << "rpi-tftp-loadgen: " << e.what() << "\n";
        return 2;
    }
    const std::string latencyOut = c.latencyOut;
    try {
        Generator gen(std::move(c), plans);
        cpu0 = cpuSeconds();
        s = gen.run(seconds);
        cpu1 = cpuSeconds();
        if (!latencyOut.empty() && !writeLatencies(latencyOut, s.answered)) {
            std::cerr << "rpi-tftp-loadgen: cannot write " << latencyOut << "\n";
            return 2;
        }
    } catch (const std::system_error& e) {
        std::cerr << "rpi-tftp-loadgen: " << e.what() << "\n";
        return 1;
    }
    std::printf(
        "{\"pis\":%u,\"blksize\":%u,\"rounds\":%u,\"seconds\":%.6f,\"bytes\":%llu,"
        "\"fetches_ok\":%u,\"probes_ended\":%u,\"not_found\":%u,\"failures\":%u,"
        "\"retransmits\":%u,\"duplicates\":%u,\"stray\":%u,\"emulated_drops\":%u,"
        "\"wrong_size\":%u,"
        "\"answers\":%llu,\"sent\":%llu,\"rrq_count\":%zu,\"rrq_p50_us\":%.1f,"
        "\"rrq_p99_us\":%.1f,\"rrq_max_us\":%.1f,\"boots_ok\":%zu,\"boot_p50_s\":%.6f,"
        "\"boot_max_s\":%.6f,\"cpu_user_s\":%.6f,\"cpu_system_s\":%.6f,\"send_errors\":%u,"
        "\"errors\":{",
        pis, blksize, rounds, seconds, static_cast<unsigned long long>(s.bytes), s.fetchesOk,
        s.probesEnded, s.notFound, s.failures, s.retransmits, s.duplicates, s.stray,
        s.emulatedDrops, s.wrongSize, static_cast<unsigned long long>(s.answers),
        static_cast<unsigned long long>(s.sent), s.latencyUs.size(), percentile(s.latencyUs, 50),
        percentile(s.latencyUs, 99), percentile(s.latencyUs, 100), s.bootSeconds.size(),
        percentile(s.bootSeconds, 50), percentile(s.bootSeconds, 100), cpu1.first - cpu0.first,
        cpu1.second - cpu0.second, s.sendErrors);
    bool firstErr = true;
    for (const auto& [why, count] : s.errors) {
        std::printf("%s\"%s\":%u", firstErr ? "" : ",", why.c_str(), count);
        firstErr = false;
    }
    std::printf("}}\n");
    return s.failures == 0 ? 0 : 1;
}
