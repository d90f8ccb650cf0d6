// An NFS client given as an IPv4 address or CIDR block, the only client forms we write: host names
// need a resolver at export time and wildcards/netgroups cannot be restricted to one Pi.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpinetboot::nfs {

class ClientNet {
  public:
    // "192.0.2.10" or "192.0.2.0/24" (host bits must be zero). Anything else: nullopt.
    static std::optional<ClientNet> parse(std::string_view text);
    // Also accepts the "a.b.c.d/32" form mountd and ganesha print; nullopt for names and wildcards.
    static std::optional<ClientNet> parseLoose(std::string_view text);

    std::uint32_t address() const { return addr_; }
    int prefix() const { return prefix_; }
    bool isHost() const { return prefix_ == 32; }
    bool contains(const ClientNet& other) const;
    // "192.0.2.10" for a host, "192.0.2.0/24" otherwise: the form written to exports files.
    std::string str() const;
    bool operator==(const ClientNet& o) const { return addr_ == o.addr_ && prefix_ == o.prefix_; }

  private:
    ClientNet(std::uint32_t addr, int prefix) : addr_(addr), prefix_(prefix) {}
    std::uint32_t addr_;
    int prefix_;
};

}  // namespace rpinetboot::nfs
