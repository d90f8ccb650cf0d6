// From received bytes to NETCONSOLE_LINE boot events: frame checks, line splitting, attribution
// to a Pi, bounds and counters. No sockets here; the daemon feeds it what it reads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rpinetboot/boot_event.h"
#include "rpinetboot/netconsole/frame.h"

namespace rpinetboot::netconsole {

// The bootloader's default destination port (eeprom-bootloader documentation, NETCONSOLE).
constexpr std::uint16_t kDefaultPort = 6666;

struct Limits {
    std::size_t maxLineBytes = 512;        // longer lines are cut and counted
    std::size_t maxLinesPerDatagram = 16;  // the bootloader sends one; more are cut and counted
};

struct Counters {
    std::uint64_t frames = 0;                 // read from the packet socket
    std::uint64_t datagrams = 0;              // accepted (either path)
    std::uint64_t lines = 0;                  // events produced
    std::array<std::uint64_t, 7> rejected{};  // by Reject
    std::uint64_t oversized = 0;              // larger than the read buffer (cut by the read)
    std::uint64_t emptyPayload = 0;           // no text at all
    std::uint64_t nonAscii = 0;      // lines holding bytes outside printable ASCII (escaped)
    std::uint64_t longLines = 0;     // lines cut at maxLineBytes
    std::uint64_t droppedLines = 0;  // lines beyond maxLinesPerDatagram
    std::uint64_t rejectedTotal() const;
};

struct Result {
    std::vector<BootEvent> events;
    std::string note;  // why something was rejected or changed (for a debug log); empty if clean
};

// Splits a payload into lines at LF (a trailing CR dropped, empty lines skipped), escapes bytes
// outside printable ASCII and tab as \xNN, cuts long lines; counts what it changes.
std::vector<std::string> splitLines(ByteSpan payload, const Limits& limits, Counters& counters,
                                    std::string& note);

class Receiver {
  public:
    explicit Receiver(std::uint16_t port = kDefaultPort, Limits limits = {});

    // A whole Ethernet frame from the packet socket; `cut` when the read truncated it (MSG_TRUNC).
    // Lines are attributed to the Ethernet source MAC, the Pi's own (rpi-eeprom#452 capture).
    Result onFrame(ByteSpan frame, bool cut, std::uint64_t nowUs);
    // A UDP payload from the plain socket: only the source address is known (the bootloader
    // copies it from its configuration, so Pis sharing one configuration share it).
    Result onDatagram(const std::string& srcAddress, ByteSpan payload, bool cut,
                      std::uint64_t nowUs);

    const Counters& counters() const { return counters_; }
    // "frames=3 datagrams=2 lines=2 truncated=1 ..." (every counter, for logs)
    std::string countersText() const;

  private:
    Result lines(ByteSpan payload, const std::string& mac, const std::string& address,
                 std::uint64_t nowUs);

    std::uint16_t port_;
    Limits limits_;
    Counters counters_;
};

}  // namespace rpinetboot::netconsole
