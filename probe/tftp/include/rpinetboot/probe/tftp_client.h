// A TFTP read client that can behave like Raspberry Pi firmware: chosen options, the probe
// (early terminate after OACK or after DATA 1), a new source port per request, bounded retries.
// Used by rpi-netboot-probe to walk a Pi's boot from the server's side, and by rpi-tftpd's tests.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpinetboot/tftp/packet.h"

namespace rpinetboot::probe {

struct TftpServer {
    sockaddr_storage addr{};
    socklen_t length = 0;
    // Numeric IPv4 or IPv6 address (no resolver: the Pi has none either) and a port.
    static std::optional<TftpServer> parse(const std::string& host, std::uint16_t port = 69);
    std::string str() const;
};

enum class EarlyStop {
    None,        // fetch the whole file
    AfterOack,   // OACK -> ERROR 0 "Early terminate" (current Pi 4/5 EEPROM, rpi-eeprom#74)
    AfterData1,  // OACK -> ACK 0 -> DATA 1 -> ERROR (older firmware, firmware#1700)
};

struct TftpRequest {
    std::string filename;
    tftp::Options options;  // sent exactly as given, in this order
    std::string mode = "octet";
    EarlyStop stop = EarlyStop::None;
    // Wait per packet before re-sending (the Pi re-sends an unanswered RRQ every 2 s).
    std::chrono::milliseconds packetTimeout{2000};
    unsigned retries = 5;
    // Give up on the file after this long (the Pi's TFTP_FILE_TIMEOUT is 30 s).
    std::chrono::milliseconds fileTimeout{30000};
    bool keepData = true;
    std::uint64_t maxBytes = 1ull << 32;  // refuse to receive more than this
    // When set, the socket sends and receives only through this interface (SO_BINDTODEVICE).
    std::string device;
};

enum class TftpOutcome {
    Complete,         // whole file received
    EarlyTerminated,  // we stopped as asked (the probe)
    ServerError,      // the server sent ERROR
    Timeout,          // no answer within the retries / file timeout
    ProtocolError,    // a reply that breaks RFC 1350/2347 (e.g. an OACK option not asked)
    SocketError,
};
const char* toString(TftpOutcome outcome);

struct TftpResult {
    TftpOutcome outcome = TftpOutcome::SocketError;
    bool oackReceived = false;
    tftp::Options oack;                                 // as received
    std::optional<std::uint64_t> tsize;                 // from the OACK
    std::uint16_t blockSize = tftp::kDefaultBlockSize;  // in effect
    std::uint64_t bytes = 0;
    std::vector<std::uint8_t> data;  // when keepData
    std::uint16_t errorCode = 0;
    std::string errorMessage;                 // server's ERROR text, or what went wrong
    std::uint16_t localPort = 0;              // the source port we used
    std::uint16_t serverPort = 0;             // the server's transfer ID
    unsigned requestsSent = 0;                // RRQs, retries included
    unsigned duplicateData = 0;               // DATA blocks received more than once
    unsigned strayPackets = 0;                // packets from an unexpected source, ignored
    std::chrono::microseconds firstReply{0};  // RRQ to first answer
    std::chrono::microseconds elapsed{0};

    // One line for people: outcome, sizes, options, error.
    std::string describe() const;
};

// One request from a fresh socket (new source port), as the Pi does for every attempt.
TftpResult tftpFetch(const TftpServer& server, const TftpRequest& request);

}  // namespace rpinetboot::probe
