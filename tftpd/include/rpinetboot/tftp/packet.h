// TFTP wire format (RFC 1350, option extension RFC 2347): parsing and building packets.
// Shared by rpi-tftpd and the Pi-pattern client in probe/tftp, so the codec exists once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpinetboot/span.h"

namespace rpinetboot::tftp {

enum class Opcode : std::uint16_t { Rrq = 1, Wrq = 2, Data = 3, Ack = 4, Error = 5, Oack = 6 };

// RFC 1350 section 5 and RFC 2347 (code 8).
enum class ErrorCode : std::uint16_t {
    NotDefined = 0,
    FileNotFound = 1,
    AccessViolation = 2,
    DiskFull = 3,
    IllegalOperation = 4,
    UnknownTid = 5,
    FileExists = 6,
    NoSuchUser = 7,
    OptionRefused = 8,
};

constexpr std::uint16_t kDefaultBlockSize = 512;  // RFC 1350
constexpr std::size_t kHeaderSize = 4;            // opcode + block number / error code

// An option as sent: names are lowercased (RFC 2347 says they are case-insensitive), values
// are kept verbatim.
struct Option {
    std::string name;
    std::string value;
    bool operator==(const Option& o) const { return name == o.name && value == o.value; }
};
using Options = std::vector<Option>;

struct Request {
    Opcode opcode = Opcode::Rrq;  // Rrq or Wrq
    std::string filename;         // raw bytes up to the first NUL, never interpreted here
    std::string mode;             // lowercased
    Options options;              // in the order sent, duplicates kept (negotiation decides)
};

struct ErrorPacket {
    std::uint16_t code = 0;
    std::string message;
};

struct DataPacket {
    std::uint16_t block = 0;
    ByteSpan payload;  // points into the parsed buffer
};

// The opcode of any packet of at least two bytes, whatever its value (unknown ones included).
std::optional<std::uint16_t> peekOpcode(ByteSpan packet);

// RRQ/WRQ. Fails on a wrong opcode, a missing filename or mode terminator. A trailing option
// without a value or terminator is dropped (lenient, as most servers are).
std::optional<Request> parseRequest(ByteSpan packet);
std::optional<std::uint16_t> parseAck(ByteSpan packet);
std::optional<DataPacket> parseData(ByteSpan packet);
std::optional<ErrorPacket> parseError(ByteSpan packet);
std::optional<Options> parseOack(ByteSpan packet);

Bytes buildRequest(Opcode opcode, std::string_view filename, std::string_view mode,
                   const Options& options);
Bytes buildAck(std::uint16_t block);
Bytes buildError(ErrorCode code, std::string_view message);
Bytes buildOack(const Options& options);
// DATA header only: the payload is sent from the file buffer with scatter/gather.
void writeDataHeader(std::uint8_t (&header)[kHeaderSize], std::uint16_t block);

// ASCII lowercase (option names, modes): locale-independent.
std::string asciiLower(std::string_view text);

}  // namespace rpinetboot::tftp
