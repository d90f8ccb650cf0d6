// rpi-tftp-floor: the least a lock-step TFTP server can do, as the benchmark's floor. It reads
// a batch of datagrams on one socket, answers each from memory and sends the answers in one
// batch: RRQ -> OACK (blksize and tsize only, when asked; RFC 2347, 2348, 2349) or DATA 1; ACK
// of the block in flight -> the next block; a repeated ACK of the block before it (the client
// timed out: RFC 1350 leaves recovery to either side) -> that block again; ERROR -> forget the
// transfer. No timers, no logging, no per-transfer ports, no checks beyond not leaving the
// root: what it costs per MB is close to what the kernel's UDP path alone costs, so a real
// server's CPU per MB can be read against it. Not a server to deploy.
//
//   rpi-tftp-floor --listen IPv4:PORT --root DIR
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "rpinetboot/tftp/packet.h"
#include "rpinetboot/util/decimal.h"
#include "rpinetboot/util/ipv4.h"

using namespace rpinetboot;

namespace {

constexpr unsigned kBatch = 64;

struct Transfer {
    std::shared_ptr<const std::string> file;
    std::size_t blksize = 512;
    std::uint64_t block = 0;  // in flight: 0 is the OACK
};

class Floor {
  public:
    Floor(int fd, std::string root) : fd_(fd), root_(std::move(root)) {}

    void run() {
        std::vector<std::uint8_t> in(kBatch * 65536);
        sockaddr_in from[kBatch];
        iovec inIov[kBatch];
        mmsghdr inMsg[kBatch];
        for (unsigned i = 0; i < kBatch; ++i) {
            inIov[i] = {in.data() + i * 65536, 65536};
            inMsg[i] = {};
            inMsg[i].msg_hdr.msg_name = &from[i];
            inMsg[i].msg_hdr.msg_iov = &inIov[i];
            inMsg[i].msg_hdr.msg_iovlen = 1;
        }
        for (;;) {
            for (auto& m : inMsg) m.msg_hdr.msg_namelen = sizeof(sockaddr_in);
            const int n = ::recvmmsg(fd_, inMsg, kBatch, MSG_WAITFORONE, nullptr);
            if (n < 0) {
                if (errno == EINTR) continue;
                std::perror("rpi-tftp-floor: recvmmsg");
                return;
            }
            out_ = 0;
            for (int i = 0; i < n; ++i)
                handle(ByteSpan(in.data() + i * 65536, inMsg[i].msg_len), from[i]);
            flush();
        }
    }

  private:
    static std::uint64_t key(const sockaddr_in& a) {
        return (static_cast<std::uint64_t>(a.sin_addr.s_addr) << 16) | a.sin_port;
    }

    void handle(ByteSpan pkt, const sockaddr_in& peer) {
        const auto op = tftp::peekOpcode(pkt);
        if (!op) return;
        if (*op == static_cast<std::uint16_t>(tftp::Opcode::Ack)) {
            const auto ack = tftp::parseAck(pkt);
            auto it = transfers_.find(key(peer));
            if (!ack || it == transfers_.end()) return;
            Transfer& t = it->second;
            const auto inFlight = static_cast<std::uint16_t>(t.block);
            if (*ack == inFlight) {
                if (t.block > 0 && t.block * t.blksize > t.file->size()) {
                    transfers_.erase(it);  // the last block is acknowledged
                    return;
                }
                ++t.block;
                data(t, peer);
            } else if (t.block > 0 && *ack == static_cast<std::uint16_t>(inFlight - 1)) {
                data(t, peer);  // the client re-sent its ACK: our block was lost
            }
        } else if (*op == static_cast<std::uint16_t>(tftp::Opcode::Rrq)) {
            request(pkt, peer);
        } else if (*op == static_cast<std::uint16_t>(tftp::Opcode::Error)) {
            transfers_.erase(key(peer));
        }
    }

    void request(ByteSpan pkt, const sockaddr_in& peer) {
        const auto req = tftp::parseRequest(pkt);
        if (!req) return;
        auto file = load(req->filename);
        if (!file) {
            reply(peer, tftp::buildError(tftp::ErrorCode::FileNotFound, "File not found"));
            return;
        }
        Transfer t;
        t.file = file;
        tftp::Options answer;
        for (const auto& o : req->options) {
            if (o.name == "blksize") {
                const unsigned long asked = std::strtoul(o.value.c_str(), nullptr, 10);
                if (asked < 8) continue;
                t.blksize = std::min<unsigned long>(asked, 65464);
                answer.push_back({"blksize", std::to_string(t.blksize)});
            } else if (o.name == "tsize") {
                answer.push_back({"tsize", std::to_string(file->size())});
            }
        }
        Transfer& slot = transfers_[key(peer)] = std::move(t);  // a new RRQ replaces the old
        if (answer.empty()) {
            slot.block = 1;
            data(slot, peer);
        } else {
            reply(peer, tftp::buildOack(answer));
        }
    }

    // The whole file in memory, read on its first request; nullptr when it cannot be read.
    std::shared_ptr<const std::string> load(const std::string& name) {
        std::string rel = name;
        while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
        if (rel.empty() || rel.find("..") != std::string::npos) return nullptr;
        auto it = files_.find(rel);
        if (it != files_.end()) return it->second;
        std::ifstream in(root_ + "/" + rel, std::ios::binary);
        if (!in) return nullptr;
        auto text = std::make_shared<std::string>(std::istreambuf_iterator<char>(in),
                                                  std::istreambuf_iterator<char>());
        files_[rel] = text;
        return text;
    }

    void data(const Transfer& t, const sockaddr_in& peer) {
        const std::uint64_t offset = (t.block - 1) * t.blksize;
        const std::size_t len = offset >= t.file->size()
                                    ? 0
                                    : std::min<std::size_t>(t.blksize, t.file->size() - offset);
        auto& o = slot(peer);
        tftp::writeDataHeader(o.header, static_cast<std::uint16_t>(t.block));  // wraps as TFTP does
        o.iov[0] = {o.header, 4};
        o.iov[1] = {const_cast<char*>(t.file->data()) + (len ? offset : 0), len};
        o.msg.msg_hdr.msg_iovlen = 2;
    }

    void reply(const sockaddr_in& peer, Bytes pkt) {  // an OACK or ERROR
        auto& o = slot(peer);
        o.small = std::move(pkt);
        o.iov[0] = {o.small.data(), o.small.size()};
        o.msg.msg_hdr.msg_iovlen = 1;
    }

    struct OutMsg {
        sockaddr_in to{};
        std::uint8_t header[4]{};
        Bytes small;
        iovec iov[2]{};
        mmsghdr msg{};
    };

    OutMsg& slot(const sockaddr_in& peer) {
        OutMsg& o = outMsgs_[out_++];
        o.to = peer;
        o.msg = {};
        o.msg.msg_hdr.msg_name = &o.to;
        o.msg.msg_hdr.msg_namelen = sizeof o.to;
        o.msg.msg_hdr.msg_iov = o.iov;
        return o;
    }

    void flush() {
        mmsghdr msgs[kBatch];
        for (unsigned i = 0; i < out_; ++i) msgs[i] = outMsgs_[i].msg;
        unsigned done = 0;
        for (unsigned pass = 0; done < out_ && pass < out_ + 8; ++pass) {
            const int r = ::sendmmsg(fd_, msgs + done, out_ - done, 0);
            if (r > 0) {
                done += static_cast<unsigned>(r);
            } else if (r < 0 && errno == EINTR) {
                continue;
            } else {
                ++done;  // lost, as on a wire; the client re-sends
            }
        }
        out_ = 0;
    }

    int fd_;
    std::string root_;
    std::unordered_map<std::string, std::shared_ptr<const std::string>> files_;
    std::unordered_map<std::uint64_t, Transfer> transfers_;
    OutMsg outMsgs_[kBatch];  // at most one answer per datagram read
    unsigned out_ = 0;
};

int usage() {
    std::fprintf(stderr, "usage: rpi-tftp-floor --listen IPv4:PORT --root DIR\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string listen, root;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--listen") {
            listen = argv[i + 1];
        } else if (k == "--root") {
            root = argv[i + 1];
        } else {
            return usage();
        }
    }
    const auto colon = listen.rfind(':');
    if (argc != 5 || root.empty() || colon == std::string::npos) return usage();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    const auto host = parseIpv4(std::string_view(listen).substr(0, colon));
    const auto port = parseDecimal(std::string_view(listen).substr(colon + 1), 65535);
    if (!host || !port || *port == 0) return usage();
    addr.sin_addr.s_addr = htonl(*host);
    addr.sin_port = htons(static_cast<std::uint16_t>(*port));
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    // Every client's ACKs arrive on this one socket: a buffer for a burst of thousands.
    const int rcvbuf = 8 << 20;
    if (fd < 0 ||
        (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0 &&
         ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) ||
        ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        std::perror("rpi-tftp-floor");
        return 1;
    }
    Floor(fd, root).run();
    return 1;
}
