// The sockets of rpi-netconsoled and the Asio loop around them; every decision is in Receiver.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "rpinetboot/event_sink.h"
#include "rpinetboot/netconsole/receiver.h"
#include "settings.h"

namespace rpinetboot::netconsole {

class Daemon {
  public:
    Daemon(boost::asio::io_context& io, Settings settings, EventSink* sink);
    // Packet sockets (filtered, promiscuous) on each --interface, then the UDP sockets (from
    // systemd when `activatedFds` > 0, else --udp). Needs CAP_NET_RAW for the packet sockets.
    bool open(int activatedFds, std::string& error);
    void start();
    std::string countersText() const;

  private:
    struct Socket {
        Socket(boost::asio::io_context& io, int fd, std::string n, bool packet)
            : descriptor(io, fd), name(std::move(n)), isPacket(packet) {}
        boost::asio::posix::stream_descriptor descriptor;
        std::string name;
        bool isPacket;
    };

    bool openPacket(const std::string& interface, std::string& error);
    bool openUdp(const UdpListen& listen, std::string& error);
    bool adoptUdp(int fd, std::string& error);
    void wait(Socket& socket);
    void readPackets(Socket& socket);
    void readDatagrams(Socket& socket);
    void deliver(const Result& result);

    boost::asio::io_context& io_;
    Settings settings_;
    EventSink* sink_;
    Receiver receiver_;
    std::vector<std::unique_ptr<Socket>> sockets_;
    std::set<int> packetInterfaces_;  // ifindex of each --interface
    std::vector<std::uint8_t> buffer_;
    std::uint64_t leftToPacketSocket_ = 0;  // UDP datagrams also read by a packet socket
    std::uint64_t outgoing_ = 0;            // our own frames seen by the packet socket
};

}  // namespace rpinetboot::netconsole
