#include "negotiation.h"

#include <algorithm>
#include <string>

#include "rpinetboot/util/decimal.h"

namespace rpinetboot::tftpd {

Negotiated negotiate(const tftp::Options& asked, const NegotiationLimits& limits,
                     std::uint64_t fileSize) {
    Negotiated result;
    bool seenBlksize = false, seenTsize = false, seenTimeout = false, seenWindow = false;
    const std::uint16_t maxBlock = std::max(limits.maxBlockSize, kMinBlockSize);
    for (const auto& opt : asked) {
        if (opt.name == "blksize") {
            if (seenBlksize) continue;
            seenBlksize = true;
            auto v = parseDecimal(opt.value, kMaxBlockSize);
            if (!v || *v < kMinBlockSize) continue;
            result.blockSize = static_cast<std::uint16_t>(std::min<std::uint64_t>(*v, maxBlock));
            result.oack.push_back({"blksize", std::to_string(result.blockSize)});
        } else if (opt.name == "tsize") {
            if (seenTsize) continue;
            seenTsize = true;
            // The client's value (0 in a read request) is meaningless here: send the real size.
            if (!parseDecimal(opt.value, UINT64_MAX >> 1)) continue;
            result.oack.push_back({"tsize", std::to_string(fileSize)});
        } else if (opt.name == "timeout") {
            if (seenTimeout) continue;
            seenTimeout = true;
            auto v = parseDecimal(opt.value, 255);
            if (!v || *v < limits.minTimeoutSeconds || *v > limits.maxTimeoutSeconds) continue;
            result.timeoutSeconds = static_cast<unsigned>(*v);
            result.oack.push_back({"timeout", std::to_string(*v)});
        } else if (opt.name == "windowsize") {
            if (seenWindow) continue;
            seenWindow = true;
            auto v = parseDecimal(opt.value, kMaxWindowSize);
            if (!v || *v < 1) continue;
            auto granted =
                std::min<std::uint64_t>(*v, std::max<std::uint16_t>(limits.maxWindowSize, 1));
            result.windowSize = static_cast<std::uint16_t>(granted);
            result.oack.push_back({"windowsize", std::to_string(granted)});
        }
    }
    return result;
}

}  // namespace rpinetboot::tftpd
