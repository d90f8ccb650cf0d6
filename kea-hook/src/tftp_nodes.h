// Which rpi-tftpd node a Pi is sent to (option 66) when the hook parameter "tftp-groups" lists
// several: groups chosen per subnet, client class or serial range; within a group, rendezvous
// (highest-random-weight) hashing of the Pi's serial, or of its MAC where the query carries no
// serial (the Pi 3B boot ROM, docs/protocol/dhcp.md). With rendezvous hashing, draining a node
// moves only the Pis that node had; every other Pi keeps its node (Thaler and Ravishankar, "Using
// name-based mappings to increase hit rates", IEEE/ACM Transactions on Networking 6(1), 1998).
// Free of Kea, so unit tests drive it directly; docs/kea.md describes the parameter.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/mac.h"
#include "rpinetboot/serial.h"

namespace rpinetboot::kea {

struct Ipv4Prefix {
    std::uint32_t network = 0;  // host order, host bits zero
    unsigned length = 0;        // 0..32
    bool contains(std::uint32_t address) const;
    std::string str() const;
    // "192.0.2.0/24"; the host bits must be zero. nullopt on anything else.
    static std::optional<Ipv4Prefix> parse(const std::string& text);
};

struct TftpNode {
    std::uint32_t address = 0;  // host order
    bool drain = false;         // no new Pi is sent here
};

struct TftpNodeGroup {
    // What a Pi must match to use this group; an unset selector matches every Pi.
    std::optional<Ipv4Prefix> subnet;               // the address offered to the Pi lies in it
    std::optional<std::string> clientClass;         // the query is in this Kea client class
    std::optional<Serial> serialFirst, serialLast;  // both or neither; inclusive
    std::vector<TftpNode> nodes;                    // at least one not drained

    bool matchesSerial(const std::optional<Serial>& serial) const;
};

// What the selector needs to know about one Pi's query and its reply.
struct TftpNodeQuery {
    std::optional<Serial> serial;
    MacAddress mac;
    std::uint32_t offered = 0;  // yiaddr, host order; 0 matches no subnet
    // Whether the query is in a client class (Kea's Pkt4::inClass in the hook).
    std::function<bool(const std::string&)> inClass;
};

struct TftpNodeChoice {
    std::uint32_t address;  // host order
    std::size_t group;      // index into the groups, for the log
};

class TftpNodeSelector {
  public:
    explicit TftpNodeSelector(std::vector<TftpNodeGroup> groups);

    bool empty() const { return groups_.empty(); }
    const std::vector<TftpNodeGroup>& groups() const { return groups_; }

    // The first group the Pi matches, and in it the node of highest weight among those not
    // drained; nullopt when no group matches.
    std::optional<TftpNodeChoice> select(const TftpNodeQuery& query) const;

    // The 64-bit key the weights are computed from: 1 << 32 | serial, else 2 << 48 | MAC (the
    // tags keep a serial and a MAC with the same digits apart).
    static std::uint64_t keyOf(const std::optional<Serial>& serial, const MacAddress& mac);
    // A node's weight for a key: SplitMix64's finaliser (Steele, Lea and Flood, "Fast splittable
    // pseudorandom number generators", OOPSLA 2014) of key ^ mix(address). Fixed arithmetic, so
    // every Kea of a pair or an HA partner picks the same node for the same Pi.
    static std::uint64_t weight(std::uint64_t key, std::uint32_t address);

  private:
    std::vector<TftpNodeGroup> groups_;
};

}  // namespace rpinetboot::kea
