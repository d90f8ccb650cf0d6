#include "rpinetboot/netconsole/receiver.h"

#include <cstdio>

namespace rpinetboot::netconsole {
namespace {

constexpr const char* kSource = "rpi-netconsoled";

void addNote(std::string& note, const std::string& what) {
    if (!note.empty()) note += "; ";
    note += what;
}

}  // namespace

std::uint64_t Counters::rejectedTotal() const {
    std::uint64_t n = oversized;
    for (auto r : rejected) n += r;
    return n;
}

std::vector<std::string> splitLines(ByteSpan payload, const Limits& limits, Counters& counters,
                                    std::string& note) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < payload.size()) {
        std::size_t end = start;
        while (end < payload.size() && payload[end] != '\n') ++end;
        std::size_t stop = end;
        if (stop > start && payload[stop - 1] == '\r') --stop;
        if (stop > start) {
            if (out.size() == limits.maxLinesPerDatagram) {
                ++counters.droppedLines;
                addNote(note, "more than " + std::to_string(limits.maxLinesPerDatagram) +
                                  " lines in one datagram, the rest dropped");
                break;
            }
            std::string line;
            bool escaped = false, cut = false;
            for (std::size_t i = start; i < stop; ++i) {
                const std::uint8_t c = payload[i];
                char piece[5] = {static_cast<char>(c), 0, 0, 0, 0};
                if ((c < 0x20 && c != '\t') || c > 0x7e) {
                    std::snprintf(piece, sizeof piece, "\\x%02x", c);
                    escaped = true;
                }
                const std::string_view p(piece);
                if (line.size() + p.size() > limits.maxLineBytes) {
                    cut = true;
                    break;
                }
                line += p;
            }
            if (escaped) {
                ++counters.nonAscii;
                addNote(note, "bytes outside printable ASCII escaped");
            }
            if (cut) {
                ++counters.longLines;
                addNote(note, "line cut at " + std::to_string(limits.maxLineBytes) + " bytes");
            }
            out.push_back(std::move(line));
        }
        start = end + 1;
    }
    return out;
}

Receiver::Receiver(std::uint16_t port, Limits limits) : port_(port), limits_(limits) {}

Result Receiver::onFrame(ByteSpan frame, bool cut, std::uint64_t nowUs) {
    ++counters_.frames;
    if (cut) {
        ++counters_.oversized;
        Result r;
        r.note = "frame larger than the read buffer dropped";
        return r;
    }
    const FrameResult parsed = parseFrame(frame, port_);
    if (parsed.reject != Reject::None) {
        ++counters_.rejected[static_cast<std::size_t>(parsed.reject)];
        Result r;
        r.note = "frame of " + std::to_string(frame.size()) +
                 " bytes dropped: " + std::string(rejectName(parsed.reject));
        if (frame.size() >= 12) {
            MacAddress::Bytes mac{};
            for (std::size_t i = 0; i < 6; ++i) mac[i] = frame[6 + i];
            r.note += " (from " + MacAddress(mac).str() + ")";
        }
        return r;
    }
    const Datagram& d = parsed.datagram;
    return lines(d.payload, d.srcMac.str(), ipv4String(d.srcIp), nowUs);
}

Result Receiver::onDatagram(const std::string& srcAddress, ByteSpan payload, bool cut,
                            std::uint64_t nowUs) {
    if (cut) {
        ++counters_.oversized;
        Result r;
        r.note = "datagram from " + srcAddress + " larger than the read buffer dropped";
        return r;
    }
    return lines(payload, "", srcAddress, nowUs);
}

Result Receiver::lines(ByteSpan payload, const std::string& mac, const std::string& address,
                       std::uint64_t nowUs) {
    Result r;
    ++counters_.datagrams;
    const auto texts = splitLines(payload, limits_, counters_, r.note);
    if (texts.empty()) {
        ++counters_.emptyPayload;
        addNote(r.note, "datagram without text");
    }
    for (const auto& text : texts) {
        BootEvent e;
        e.step = BootStep::NetconsoleLine;
        e.timestampUs = nowUs;
        e.source = kSource;
        e.mac = mac;
        e.address = address;
        e.text = text;
        r.events.push_back(std::move(e));
        ++counters_.lines;
    }
    if (!r.note.empty()) {
        r.note = "datagram from " + (mac.empty() ? address : mac + " " + address) + ": " + r.note;
    }
    return r;
}

std::string Receiver::countersText() const {
    const Counters& c = counters_;
    std::string s = "frames=" + std::to_string(c.frames) +
                    " datagrams=" + std::to_string(c.datagrams) +
                    " lines=" + std::to_string(c.lines);
    for (std::size_t i = 1; i < c.rejected.size(); ++i) {
        s += " " + std::string(rejectName(static_cast<Reject>(i))) + "=" +
             std::to_string(c.rejected[i]);
    }
    s += " oversized=" + std::to_string(c.oversized) + " empty=" + std::to_string(c.emptyPayload) +
         " non_ascii=" + std::to_string(c.nonAscii) + " long_lines=" + std::to_string(c.longLines) +
         " dropped_lines=" + std::to_string(c.droppedLines);
    return s;
}

}  // namespace rpinetboot::netconsole
