// rpi-netconsoled's logic: frames as the bootloader sends them (netconsole_frames.h cites the
// format), every kind of bad input counted, line splitting and bounds, the BPF filter run by the
// kernel, and the settings.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "netconsole_frames.h"
#include "rpinetboot/netconsole/bpf.h"
#include "rpinetboot/netconsole/frame.h"
#include "rpinetboot/netconsole/receiver.h"
#include "settings.h"

using namespace rpinetboot;
using namespace rpinetboot::netconsole;
using namespace netconsole_test;

namespace {

std::uint64_t rejected(const Receiver& r, Reject why) {
    return r.counters().rejected[static_cast<std::size_t>(why)];
}

ByteSpan bytes(const std::string& s) {
    return ByteSpan(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::vector<std::string> texts(const Result& r) {
    std::vector<std::string> out;
    for (const auto& e : r.events) out.push_back(e.text);
    return out;
}

}  // namespace

TEST_CASE("the frame builder reproduces the documented frame byte for byte", "[netconsole]") {
    CHECK(buildFrame(FrameSpec{}) == kStoppingNetwork);
    CHECK(kStoppingNetwork.size() == 60);
}

TEST_CASE("a default NETCONSOLE frame decodes to its line", "[netconsole]") {
    const auto parsed = parseFrame(kStoppingNetwork, 6666);
    REQUIRE(parsed.reject == Reject::None);
    const Datagram& d = parsed.datagram;
    CHECK(d.srcMac.str() == "e4:5f:01:12:34:56");
    CHECK(d.dstMac.str() == "00:00:00:00:00:00");
    CHECK(ipv4String(d.srcIp) == "192.0.2.10");
    CHECK(ipv4String(d.dstIp) == "255.255.255.255");
    CHECK(d.srcPort == 6665);
    CHECK(d.dstPort == 6666);
    // The padding byte is not part of the payload.
    CHECK(std::string(d.payload.begin(), d.payload.end()) == "Stopping network\n");
}

TEST_CASE("the receiver makes one NETCONSOLE_LINE event per line, by source MAC", "[netconsole]") {
    Receiver r;
    const Result res = r.onFrame(kStoppingNetwork, false, 1796497318163410);
    CHECK(res.note.empty());
    REQUIRE(res.events.size() == 1);
    const BootEvent& e = res.events[0];
    CHECK(e.step == BootStep::NetconsoleLine);
    CHECK(e.mac == "e4:5f:01:12:34:56");
    CHECK(e.address == "192.0.2.10");
    CHECK(e.text == "Stopping network");
    CHECK(e.source == "rpi-netconsoled");
    CHECK(e.timestampUs == 1796497318163410);
    CHECK(r.counters().frames == 1);
    CHECK(r.counters().lines == 1);
    CHECK(r.counters().rejectedTotal() == 0);
}

TEST_CASE("a frame to this host's MAC and address (bootloaders since 2022-09-02) decodes too",
          "[netconsole]") {
    FrameSpec s;
    const std::uint8_t ours[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    std::copy(ours, ours + 6, s.dstMac);
    const std::uint8_t dst[4] = {192, 0, 2, 1};
    std::copy(dst, dst + 4, s.dstIp);
    // A counter line of 84 characters, the length seen in the rpi-eeprom#452 capture.
    s.payload = std::string(84, 'x') + "\n";
    Receiver r;
    const auto res = r.onFrame(buildFrame(s), false, 0);
    REQUIRE(res.events.size() == 1);
    CHECK(res.events[0].text == std::string(84, 'x'));
    CHECK(res.events[0].mac == "e4:5f:01:12:34:56");
}

TEST_CASE("bad frames are counted by reason, never produce events", "[netconsole]") {
    Receiver r;
    struct Case {
        const char* name;
        std::vector<std::uint8_t> frame;
        Reject why;
    };
    FrameSpec arp;
    arp.etherType = 0x0806;
    FrameSpec v6;
    v6.versionIhl = 0x65;
    FrameSpec shortIhl;
    shortIhl.versionIhl = 0x44;
    FrameSpec checksum;
    checksum.breakChecksum = true;
    FrameSpec moreFragments;
    moreFragments.flagsFragment = 0x2000;
    FrameSpec laterFragment;
    laterFragment.flagsFragment = 0x0010;
    FrameSpec icmp;
    icmp.protocol = 1;
    FrameSpec port;
    port.dstPort = 6667;
    FrameSpec udpTooLong;
    udpTooLong.udpLengthDelta = 1;
    FrameSpec udpTooShort;
    udpTooShort.udpLengthDelta = -18;  // below the 8-byte header
    auto cut = kStoppingNetwork;
    cut.resize(14 + 20 + 4);  // inside the UDP header
    auto cutPayload = buildFrame(FrameSpec{});
    cutPayload.resize(14 + 20 + 8 + 5);  // IP total length says more
    const std::vector<std::uint8_t> tiny(10, 0);
    const std::vector<std::uint8_t> empty;
    FrameSpec dontFragment;  // DF alone is not a fragment
    dontFragment.flagsFragment = 0x4000;

    const Case cases[] = {
        {"ARP", buildFrame(arp), Reject::NotIpv4},
        {"IP version 6", buildFrame(v6), Reject::NotIpv4},
        {"IHL 4", buildFrame(shortIhl), Reject::BadHeader},
        {"bad checksum", buildFrame(checksum), Reject::BadHeader},
        {"more fragments", buildFrame(moreFragments), Reject::Fragment},
        {"later fragment", buildFrame(laterFragment), Reject::Fragment},
        {"ICMP", buildFrame(icmp), Reject::NotUdp},
        {"port 6667", buildFrame(port), Reject::WrongPort},
        {"UDP length past the IP payload", buildFrame(udpTooLong), Reject::Truncated},
        {"UDP length below its header", buildFrame(udpTooShort), Reject::Truncated},
        {"cut in the UDP header", cut, Reject::Truncated},
        {"cut in the payload", cutPayload, Reject::Truncated},
        {"10 bytes", tiny, Reject::Truncated},
        {"0 bytes", empty, Reject::Truncated},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const auto before = rejected(r, c.why);
        const auto res = r.onFrame(c.frame, false, 0);
        CHECK(res.events.empty());
        CHECK(rejected(r, c.why) == before + 1);
        CHECK(res.note.find(std::string(rejectName(c.why))) != std::string::npos);
    }
    CHECK(r.counters().rejectedTotal() == std::size(cases));
    CHECK(r.counters().lines == 0);
    CHECK(r.onFrame(buildFrame(dontFragment), false, 0).events.size() == 1);

    // A frame the read had to cut is dropped whole.
    const auto res = r.onFrame(kStoppingNetwork, true, 0);
    CHECK(res.events.empty());
    CHECK(r.counters().oversized == 1);
    CHECK(r.countersText().find("oversized=1") != std::string::npos);
    CHECK(r.countersText().find("fragment=2") != std::string::npos);
}

TEST_CASE("IP options are skipped by the header length", "[netconsole]") {
    FrameSpec s;
    s.versionIhl = 0x46;  // 24-byte header
    Receiver r;
    const auto res = r.onFrame(buildFrame(s), false, 0);
    REQUIRE(res.events.size() == 1);
    CHECK(res.events[0].text == "Stopping network");
}

TEST_CASE("line splitting: LF, CR LF, several lines, empty lines, no final LF", "[netconsole]") {
    Receiver r;
    CHECK(texts(r.onDatagram("192.0.2.10", bytes("a\nb\r\n\n\nc"), false, 0)) ==
          std::vector<std::string>{"a", "b", "c"});
    const auto empty = r.onDatagram("192.0.2.10", bytes("\n\r\n"), false, 0);
    CHECK(empty.events.empty());
    CHECK(r.counters().emptyPayload == 1);
    CHECK_FALSE(empty.note.empty());
    CHECK(r.onDatagram("192.0.2.10", ByteSpan(), false, 0).events.empty());
    CHECK(r.counters().emptyPayload == 2);
}

TEST_CASE("bytes outside printable ASCII are escaped and counted", "[netconsole]") {
    Receiver r;
    static const char text[] = "Boot\tmode \x01\xff\xc3\xa9 \x7f end\n";
    const std::string raw(text, sizeof text - 1);
    const auto res = r.onDatagram("192.0.2.10", bytes(raw), false, 0);
    REQUIRE(res.events.size() == 1);
    CHECK(res.events[0].text == "Boot\tmode \\x01\\xff\\xc3\\xa9 \\x7f end");
    CHECK(r.counters().nonAscii == 1);
    CHECK(res.note.find("192.0.2.10") != std::string::npos);
    CHECK(res.note.find("escaped") != std::string::npos);
    // NUL bytes too (the bootloader sends none; rpi-eeprom#452's trailing 00 is padding).
    const auto nul = r.onDatagram("192.0.2.10", bytes(std::string("a\0b", 3)), false, 0);
    CHECK(texts(nul) == std::vector<std::string>{"a\\x00b"});
}

TEST_CASE("bounds: long lines cut, lines per datagram capped, cut reads dropped", "[netconsole]") {
    Limits limits;
    limits.maxLineBytes = 64;
    limits.maxLinesPerDatagram = 3;
    Receiver r(6666, limits);
    auto res = r.onDatagram("192.0.2.10", bytes(std::string(200, 'y') + "\n"), false, 0);
    REQUIRE(res.events.size() == 1);
    CHECK(res.events[0].text == std::string(64, 'y'));
    CHECK(r.counters().longLines == 1);
    // An escape is never split by the cut.
    res = r.onDatagram("192.0.2.10", bytes(std::string(62, 'y') + "\xff"), false, 0);
    CHECK(res.events[0].text == std::string(62, 'y'));
    res = r.onDatagram("192.0.2.10", bytes("1\n2\n3\n4\n5\n"), false, 0);
    CHECK(texts(res) == std::vector<std::string>{"1", "2", "3"});
    CHECK(r.counters().droppedLines == 1);
    res = r.onDatagram("192.0.2.10", bytes("x"), true, 0);
    CHECK(res.events.empty());
    CHECK(r.counters().oversized == 1);
}

TEST_CASE("the UDP path attributes by source address only", "[netconsole]") {
    Receiver r;
    const auto res = r.onDatagram("192.0.2.10", bytes("Stopping network\n"), false, 5);
    REQUIRE(res.events.size() == 1);
    CHECK(res.events[0].mac.empty());
    CHECK(res.events[0].address == "192.0.2.10");
    CHECK(r.counters().frames == 0);
    CHECK(r.counters().datagrams == 1);
}

TEST_CASE("the BPF filter, run by the kernel, passes only IPv4 UDP to the port and fragments",
          "[netconsole]") {
    // SO_ATTACH_FILTER works on any socket: on an AF_UNIX datagram pair the program sees our
    // bytes from offset 0, exactly as a packet socket sees a frame from the Ethernet header.
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
    auto program = udpPortFilter(6666);
    sock_fprog fprog{static_cast<unsigned short>(program.size()), program.data()};
    REQUIRE(::setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) == 0);
    auto passes = [&sv](const std::vector<std::uint8_t>& frame) {
        REQUIRE(::send(sv[0], frame.data(), frame.size(), 0) == static_cast<ssize_t>(frame.size()));
        std::uint8_t buf[2048];
        const ssize_t n = ::recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
        if (n >= 0) CHECK(static_cast<std::size_t>(n) == frame.size());  // never cut
        return n >= 0;
    };
    FrameSpec options;
    options.versionIhl = 0x46;
    FrameSpec arp;
    arp.etherType = 0x0806;
    FrameSpec icmp;
    icmp.protocol = 1;
    FrameSpec port;
    port.dstPort = 6665;
    FrameSpec fragment;
    fragment.flagsFragment = 0x2000;
    FrameSpec big;
    big.payload = std::string(1400, 'z') + "\n";
    CHECK(passes(kStoppingNetwork));
    CHECK(passes(buildFrame(options)));
    CHECK(passes(buildFrame(fragment)));
    CHECK(passes(buildFrame(big)));
    CHECK_FALSE(passes(buildFrame(arp)));
    CHECK_FALSE(passes(buildFrame(icmp)));
    CHECK_FALSE(passes(buildFrame(port)));
    ::close(sv[0]);
    ::close(sv[1]);
}

TEST_CASE("settings: interfaces, UDP listeners, port, events, bounds", "[netconsole]") {
    Settings s;
    auto r = parseSettings({"--config", "/nonexistent/x.conf", "-i", "eth0"}, false, s);
    CHECK(r.status == ParseStatus::Error);
    CHECK(r.text.find("/nonexistent/x.conf") != std::string::npos);

    r = parseSettings({"-i", "eth0", "--interface", "eth1", "--udp", "0.0.0.0", "--udp",
                       "192.0.2.1:7000", "--udp", "[::]:6000", "--events", "json:/tmp/e.json",
                       "--max-line-bytes", "128", "--promiscuous=false"},
                      false, s);
    REQUIRE(r.status == ParseStatus::Ok);
    CHECK(s.interfaces == std::vector<std::string>{"eth0", "eth1"});
    REQUIRE(s.udp.size() == 3);
    CHECK(s.udp[0].address == "0.0.0.0");
    CHECK(s.udp[0].port == 6666);
    CHECK(s.udp[1].address == "192.0.2.1");
    CHECK(s.udp[1].port == 7000);
    CHECK(s.udp[2].address == "::");
    CHECK(s.udp[2].port == 6000);
    CHECK(s.events.kind == SinkSpec::Kind::File);
    CHECK(s.events.path == "/tmp/e.json");
    CHECK(s.limits.maxLineBytes == 128);
    CHECK_FALSE(s.promiscuous);

    Settings p;
    REQUIRE(parseSettings({"--port", "7777", "--udp", "0.0.0.0"}, false, p).status ==
            ParseStatus::Ok);
    CHECK(p.port == 7777);
    CHECK(p.udp[0].port == 7777);
    CHECK(p.promiscuous);
    CHECK(p.events.kind == SinkSpec::Kind::Auto);

    for (std::vector<std::string> bad : {
             std::vector<std::string>{},
             {"--udp", "host.example:6666"},
             {"--udp", "0.0.0.0:0"},
             {"--udp", "0.0.0.0:70000"},
             {"--udp", "0.0.0.0:"},
             {"--udp", "[::"},
             {"-i", ""},
             {"-i", "a-very-long-interface-name"},
             {"-i", "eth0", "--port", "0"},
             {"-i", "eth0", "--max-line-bytes", "10"},
             {"-i", "eth0", "--events", "syslog"},
             {"-i", "eth0", "--log-level", "loud"},
             {"-i", "eth0", "--bogus"},
         }) {
        INFO((bad.empty() ? std::string("no arguments") : bad.back()));
        Settings untouched;
        untouched.port = 1;
        const auto res = parseSettings(bad, false, untouched);
        CHECK(res.status == ParseStatus::Error);
        CHECK_FALSE(res.text.empty());
        CHECK(untouched.port == 1);
    }
    // Under socket activation the sockets come from systemd: no listener flag needed.
    Settings activated;
    CHECK(parseSettings({}, true, activated).status == ParseStatus::Ok);

    Settings h;
    r = parseSettings({"--help"}, false, h);
    CHECK(r.status == ParseStatus::Help);
    CHECK(r.text.find("--interface") != std::string::npos);
    CHECK(r.text.find("00:00:00:00:00:00") != std::string::npos);
}
