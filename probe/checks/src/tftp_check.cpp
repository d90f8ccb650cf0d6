#include "rpinetboot/probe/tftp_check.h"

#include <algorithm>

namespace rpinetboot::probe {

std::vector<Finding> assessTransfer(const BootFileStep& step, const std::string& requested,
                                    const TransferObservation& obs, const std::string& server) {
    using O = TransferObservation::Outcome;
    const std::string what(purposeName(step.purpose));
    switch (obs.outcome) {
        case O::Found:
            break;
        case O::Missing:
            // A missing optional file is normal: the firmware probes many.
            if (step.required) {
                return {makeFinding(FindingId::FileMissing,
                                    {what, requested, server, obs.errorMessage})};
            }
            break;
        case O::Denied:
            return {makeFinding(FindingId::FileUnreadable, {what, requested, obs.errorMessage})};
        case O::OtherError:
            return {makeFinding(
                step.required ? FindingId::TftpErrorRequired : FindingId::TftpErrorOptional,
                {requested, server, obs.errorMessage})};
        case O::NoAnswer:
            return {makeFinding(FindingId::TftpTimeout, {server, requested, obs.errorMessage})};
        case O::ProtocolError:
            return {makeFinding(FindingId::TftpProtocol, {requested, obs.errorMessage})};
    }
    return {};
}

std::optional<Finding> unreachable(const TransferObservation& first, const std::string& server) {
    if (first.outcome != TransferObservation::Outcome::NoAnswer) return std::nullopt;
    return makeFinding(FindingId::TftpUnreachable, {server, first.errorMessage});
}

Finding prefixFallback(const std::string& prefix, const std::string& file) {
    return makeFinding(FindingId::SerialDirMissing, {prefix, file, prefix});
}

std::optional<Finding> missingOack(PiModel model, const std::string& requested,
                                   const TransferObservation& obs) {
    if (obs.outcome != TransferObservation::Outcome::Found || obs.asked.empty()) {
        return std::nullopt;
    }
    std::string missing;
    for (const auto& name : obs.asked) {
        if (std::find(obs.acknowledged.begin(), obs.acknowledged.end(), name) ==
            obs.acknowledged.end()) {
            missing += (missing.empty() ? "" : " and ") + name;
        }
    }
    if (missing.empty()) return std::nullopt;
    // Without the OACK a Pi 4 silently ignores config.txt; older firmware only falls back.
    const bool eeprom = shapeOf(model) == DiscoverShape::C;
    return makeFinding(
        eeprom ? FindingId::NoOackEeprom : FindingId::NoOackFirmware,
        {requested, obs.oack ? "with an OACK that does not acknowledge " + missing
                             : "without an OACK although the Pi asked for " + missing});
}

std::optional<Finding> blockCounterFinding(PiModel model, const BootFileStep& step,
                                           const std::string& requested, std::uint64_t size,
                                           std::uint16_t blksize) {
    if (!exceedsBlockCounter(size, blksize)) return std::nullopt;
    const bool kernel = step.purpose == FilePurpose::Kernel;
    const bool oldFirmware = shapeOf(model) != DiscoverShape::C;
    const FindingId id = kernel ? (oldFirmware ? FindingId::KernelTooManyBlocksFirmware
                                               : FindingId::KernelTooManyBlocksEeprom)
                                : (oldFirmware ? FindingId::FileTooManyBlocksFirmware
                                               : FindingId::FileTooManyBlocksEeprom);
    return makeFinding(
        id, {requested, std::to_string(size), std::to_string((size + blksize - 1) / blksize),
             std::to_string(blksize)});
}

}  // namespace rpinetboot::probe
