#include "rpinetboot/tftp/packet.h"

#include "rpinetboot/util/big_endian.h"

namespace rpinetboot::tftp {
namespace {

void appendString(Bytes& out, std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    out.push_back(0);
}

// Reads a NUL-terminated string starting at `pos`; advances `pos` past the NUL.
std::optional<std::string> readString(ByteSpan packet, std::size_t& pos) {
    for (std::size_t i = pos; i < packet.size(); ++i) {
        if (packet[i] == 0) {
            std::string s(reinterpret_cast<const char*>(packet.data() + pos), i - pos);
            pos = i + 1;
            return s;
        }
    }
    return std::nullopt;
}

Options readOptions(ByteSpan packet, std::size_t pos) {
    Options options;
    while (pos < packet.size()) {
        auto name = readString(packet, pos);
        if (!name) break;
        auto value = readString(packet, pos);
        if (!value) break;
        options.push_back({asciiLower(*name), std::move(*value)});
    }
    return options;
}

}  // namespace

std::string asciiLower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::optional<std::uint16_t> peekOpcode(ByteSpan packet) {
    if (packet.size() < 2) return std::nullopt;
    return readBe16(packet.data());
}

std::optional<Request> parseRequest(ByteSpan packet) {
    auto op = peekOpcode(packet);
    if (!op || (*op != static_cast<std::uint16_t>(Opcode::Rrq) &&
                *op != static_cast<std::uint16_t>(Opcode::Wrq))) {
        return std::nullopt;
    }
    Request req;
    req.opcode = static_cast<Opcode>(*op);
    std::size_t pos = 2;
    auto filename = readString(packet, pos);
    if (!filename) return std::nullopt;
    auto mode = readString(packet, pos);
    if (!mode) return std::nullopt;
    req.filename = std::move(*filename);
    req.mode = asciiLower(*mode);
    req.options = readOptions(packet, pos);
    return req;
}

std::optional<std::uint16_t> parseAck(ByteSpan packet) {
    if (packet.size() < 4 || peekOpcode(packet) != static_cast<std::uint16_t>(Opcode::Ack)) {
        return std::nullopt;
    }
    return readBe16(packet.data() + 2);
}

std::optional<DataPacket> parseData(ByteSpan packet) {
    if (packet.size() < 4 || peekOpcode(packet) != static_cast<std::uint16_t>(Opcode::Data)) {
        return std::nullopt;
    }
    return DataPacket{readBe16(packet.data() + 2), packet.subspan(4, packet.size() - 4)};
}

std::optional<ErrorPacket> parseError(ByteSpan packet) {
    if (packet.size() < 4 || peekOpcode(packet) != static_cast<std::uint16_t>(Opcode::Error)) {
        return std::nullopt;
    }
    ErrorPacket err;
    err.code = readBe16(packet.data() + 2);
    std::size_t pos = 4;
    // A missing terminator is tolerated: the message is only for logs.
    auto msg = readString(packet, pos);
    err.message =
        msg ? *msg
            : std::string(reinterpret_cast<const char*>(packet.data() + 4), packet.size() - 4);
    return err;
}

std::optional<Options> parseOack(ByteSpan packet) {
    if (packet.size() < 2 || peekOpcode(packet) != static_cast<std::uint16_t>(Opcode::Oack)) {
        return std::nullopt;
    }
    return readOptions(packet, 2);
}

Bytes buildRequest(Opcode opcode, std::string_view filename, std::string_view mode,
                   const Options& options) {
    Bytes out;
    appendBe16(out, static_cast<std::uint16_t>(opcode));
    appendString(out, filename);
    appendString(out, mode);
    for (const auto& o : options) {
        appendString(out, o.name);
        appendString(out, o.value);
    }
    return out;
}

Bytes buildAck(std::uint16_t block) {
    Bytes out;
    appendBe16(out, static_cast<std::uint16_t>(Opcode::Ack));
    appendBe16(out, block);
    return out;
}

Bytes buildError(ErrorCode code, std::string_view message) {
    Bytes out;
    appendBe16(out, static_cast<std::uint16_t>(Opcode::Error));
    appendBe16(out, static_cast<std::uint16_t>(code));
    appendString(out, message);
    return out;
}

Bytes buildOack(const Options& options) {
    Bytes out;
    appendBe16(out, static_cast<std::uint16_t>(Opcode::Oack));
    for (const auto& o : options) {
        appendString(out, o.name);
        appendString(out, o.value);
    }
    return out;
}

void writeDataHeader(std::uint8_t (&header)[kHeaderSize], std::uint16_t block) {
    writeBe16(header, static_cast<std::uint16_t>(Opcode::Data));
    writeBe16(header + 2, block);
}

}  // namespace rpinetboot::tftp
