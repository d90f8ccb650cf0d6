// Server-side option negotiation: RFC 2347 (framework), 2348 (blksize), 2349 (timeout, tsize),
// 7440 (windowsize). Pure: no sockets, no files.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "rpinetboot/tftp/packet.h"

namespace rpinetboot::tftpd {

constexpr std::uint16_t kMinBlockSize = 8;       // RFC 2348
constexpr std::uint16_t kMaxBlockSize = 65464;   // RFC 2348
constexpr std::uint16_t kMaxWindowSize = 65535;  // RFC 7440

struct NegotiationLimits {
    // The largest block offered: already the lower of the configured maximum and the path-MTU
    // clamp. Never below kMinBlockSize.
    std::uint16_t maxBlockSize = kMaxBlockSize;
    std::uint16_t maxWindowSize = 8;
    unsigned minTimeoutSeconds = 1;
    unsigned maxTimeoutSeconds = 255;
};

struct Negotiated {
    std::uint16_t blockSize = tftp::kDefaultBlockSize;
    std::uint16_t windowSize = 1;
    std::optional<unsigned> timeoutSeconds;
    // What the OACK carries: only options that were asked, each once, in the order asked.
    // Empty means no OACK (the transfer starts with DATA 1, RFC 2347).
    tftp::Options oack;
};

// Unknown, duplicate (after the first), malformed and out-of-range options are ignored, as
// RFC 2347 allows. tsize is answered with `fileSize` whatever value the client sent.
Negotiated negotiate(const tftp::Options& asked, const NegotiationLimits& limits,
                     std::uint64_t fileSize);

}  // namespace rpinetboot::tftpd
