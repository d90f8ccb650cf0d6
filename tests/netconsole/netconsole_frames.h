// NETCONSOLE frames built byte for byte as the bootloader sends them.
// Format: Raspberry Pi documentation, computers/raspberry-pi/eeprom-bootloader, NETCONSOLE
// (defaults: source port 6665, destination port 6666, destination 255.255.255.255 and MAC
// 00:00:00:00:00:00); payload: one line ending in LF, as in the capture in
// raspberrypi/rpi-eeprom#452 ("Stopping network\n": tcpdump's "UDP, length 17" is the payload,
// so the UDP length field is 25; IP total length 45; one byte of Ethernet padding).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace netconsole_test {

// The rpi-eeprom#452 line from a Pi with MAC e4:5f:01:12:34:56 and
// NETCONSOLE=6665@192.0.2.10/,6666@/ (a TEST-NET source address in place of the capture's), to the
// all-zero MAC: 60 bytes.
inline const std::vector<std::uint8_t> kStoppingNetwork = {
    // Ethernet II: destination (all zero), source, EtherType IPv4
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe4, 0x5f, 0x01, 0x12, 0x34, 0x56, 0x08, 0x00,
    // IPv4: version 4, IHL 5, TOS 0, total length 45, id 0, no flags, TTL 64, UDP, checksum
    0x45, 0x00, 0x00, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0xb8, 0xb6,
    // 192.0.2.10 -> 255.255.255.255
    0xc0, 0x00, 0x02, 0x0a, 0xff, 0xff, 0xff, 0xff,
    // UDP: 6665 -> 6666, length 8 + 17, checksum 0 (none)
    0x1a, 0x09, 0x1a, 0x0a, 0x00, 0x19, 0x00, 0x00,
    // "Stopping network\n"
    'S', 't', 'o', 'p', 'p', 'i', 'n', 'g', ' ', 'n', 'e', 't', 'w', 'o', 'r', 'k', '\n',
    // Ethernet padding to the 60-byte minimum
    0x00};

struct FrameSpec {
    std::uint8_t dstMac[6] = {0, 0, 0, 0, 0, 0};
    std::uint8_t srcMac[6] = {0xe4, 0x5f, 0x01, 0x12, 0x34, 0x56};
    std::uint16_t etherType = 0x0800;
    std::uint8_t versionIhl = 0x45;
    std::uint16_t flagsFragment = 0;
    std::uint8_t protocol = 17;
    std::uint8_t srcIp[4] = {192, 0, 2, 10};
    std::uint8_t dstIp[4] = {255, 255, 255, 255};
    std::uint16_t srcPort = 6665, dstPort = 6666;
    std::string payload = "Stopping network\n";
    int udpLengthDelta = 0;  // added to the correct UDP length
    bool breakChecksum = false;
};

inline void put16(std::vector<std::uint8_t>& v, std::uint16_t x) {
    v.push_back(static_cast<std::uint8_t>(x >> 8));
    v.push_back(static_cast<std::uint8_t>(x));
}

inline std::vector<std::uint8_t> buildFrame(const FrameSpec& s) {
    std::vector<std::uint8_t> f(s.dstMac, s.dstMac + 6);
    f.insert(f.end(), s.srcMac, s.srcMac + 6);
    put16(f, s.etherType);
    const std::size_t ip = f.size();
    const std::size_t ihl = static_cast<std::size_t>(s.versionIhl & 0x0f) * 4;
    const auto total = static_cast<std::uint16_t>(ihl + 8 + s.payload.size());
    f.push_back(s.versionIhl);
    f.push_back(0);
    put16(f, total);
    put16(f, 0);
    put16(f, s.flagsFragment);
    f.push_back(64);
    f.push_back(s.protocol);
    put16(f, 0);
    f.insert(f.end(), s.srcIp, s.srcIp + 4);
    f.insert(f.end(), s.dstIp, s.dstIp + 4);
    while (f.size() < ip + ihl) f.push_back(0);  // options (zero)
    std::uint32_t sum = 0;
    for (std::size_t i = ip; i < ip + ihl; i += 2)
        sum += static_cast<std::uint32_t>(f[i] << 8 | f[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    auto check = static_cast<std::uint16_t>(~sum);
    if (s.breakChecksum) check ^= 0x0100;
    f[ip + 10] = static_cast<std::uint8_t>(check >> 8);
    f[ip + 11] = static_cast<std::uint8_t>(check);
    put16(f, s.srcPort);
    put16(f, s.dstPort);
    put16(f, static_cast<std::uint16_t>(static_cast<int>(8 + s.payload.size()) + s.udpLengthDelta));
    put16(f, 0);
    f.insert(f.end(), s.payload.begin(), s.payload.end());
    while (f.size() < 60) f.push_back(0);
    return f;
}

}  // namespace netconsole_test
