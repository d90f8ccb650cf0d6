// A DHCP client on a raw AF_PACKET socket: sends any BOOTP payload with any source MAC (the
// emulated Pi's), and collects every reply for one xid and chaddr within a bounded window, since
// several servers may answer. Needs CAP_NET_RAW.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/mac.h"
#include "rpinetboot/probe/udp_frame.h"
#include "rpinetboot/span.h"
#include "rpinetboot/util/unique_fd.h"

namespace rpinetboot::probe {

struct DhcpReply {
    std::chrono::milliseconds after{0};  // since collect() or receive() started
    MacAddress serverMac;
    std::uint32_t srcIp = 0, dstIp = 0;  // host order
    bool udpChecksumOk = true;           // correct, absent, or left to offload
    bool udpChecksumOffloaded = false;   // the sender's kernel had not filled it in yet
    Bytes bootp;                         // the whole BOOTP payload as received
    DhcpPacket packet;
};

class RawDhcpClient {
  public:
    // Opens a socket bound to `interface` in promiscuous mode (replies go to the emulated MAC).
    // Throws std::system_error naming the interface on failure.
    explicit RawDhcpClient(const std::string& interface);
    ~RawDhcpClient();
    RawDhcpClient(const RawDhcpClient&) = delete;
    RawDhcpClient& operator=(const RawDhcpClient&) = delete;

    const std::string& interface() const { return interface_; }

    // Broadcasts `bootp` from `srcMac`. Throws std::system_error on failure.
    void send(const MacAddress& srcMac, ByteSpan bootp, const Framing& framing = {});

    // Collects BOOTREPLYs to UDP port 68 with this xid and chaddr until `window` has passed or
    // `maxReplies` arrived. Frames that are not such replies are skipped.
    std::vector<DhcpReply> collect(std::uint32_t xid, const MacAddress& chaddr,
                                   std::chrono::milliseconds window, std::size_t maxReplies);

    // The next BOOTREPLY to UDP port 68, whatever its xid and chaddr (many clients share one
    // socket), within `wait`; nothing when none came. Throws std::system_error on failure.
    std::optional<DhcpReply> receive(std::chrono::milliseconds wait);

    // Enlarges the socket's receive buffer (SO_RCVBUFFORCE, past rmem_max; needs CAP_NET_ADMIN)
    // for a burst of replies to many clients. Throws std::system_error on failure.
    void setReceiveBuffer(int bytes);

  private:
    using Clock = std::chrono::steady_clock;
    std::optional<DhcpReply> receiveUntil(Clock::time_point start, Clock::time_point deadline);

    std::string interface_;
    UniqueFd fd_;
    int ifindex_ = 0;
    Bytes buf_ = Bytes(65536);
};

}  // namespace rpinetboot::probe
