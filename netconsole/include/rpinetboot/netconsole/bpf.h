// The classic BPF program attached to the packet socket (SO_ATTACH_FILTER, Linux
// Documentation/networking/filter.rst): the kernel hands over only IPv4 UDP frames to our port,
// and IPv4 fragments (so that they can be counted). Everything else never leaves the kernel.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

namespace rpinetboot::netconsole {

// Offsets are from the start of the Ethernet header (AF_PACKET, SOCK_RAW); untagged frames only.
std::vector<sock_filter> udpPortFilter(std::uint16_t port);

}  // namespace rpinetboot::netconsole
