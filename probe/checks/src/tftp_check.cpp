#include "rpinetboot/probe/tftp_check.h"

#include <algorithm>

namespace rpinetboot::probe {

namespace {

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}

}  // namespace

std::vector<Finding> assessTransfer(const BootStep& step, const std::string& requested,
                                    const TransferObservation& obs, const std::string& server) {
    using O = TransferObservation::Outcome;
    std::vector<Finding> out;
    const std::string what = std::string(purposeName(step.purpose)) + " file";
    switch (obs.outcome) {
        case O::Found:
            break;
        case O::Missing:
            if (step.required) {
                out.push_back({Verdict::Fail, "file-missing",
                               "The " + what + " " + quoted(requested) + " is not on " + server +
                                   " (TFTP error: " + obs.error_message +
                                   "); the Pi cannot boot without it."});
            }
            break;
        case O::Denied:
            out.push_back({Verdict::Fail, "file-unreadable",
                           "The " + what + " " + quoted(requested) +
                               " exists but the TFTP server may not read it (TFTP error: " +
                               obs.error_message +
                               "). Make it readable by the TFTP daemon's user, e.g. chmod a+r "
                               "(Ubuntu kernels are installed with mode 0600)."});
            break;
        case O::OtherError:
            out.push_back({step.required ? Verdict::Fail : Verdict::Warn, "tftp-error",
                           "Requesting " + quoted(requested) + " from " + server +
                               " failed with TFTP error: " + obs.error_message + "."});
            break;
        case O::NoAnswer:
            out.push_back({Verdict::Fail, "tftp-timeout",
                           "The TFTP server " + server + " stopped answering for " +
                               quoted(requested) + " (" + obs.error_message + ")."});
            break;
        case O::ProtocolError:
            out.push_back({Verdict::Fail, "tftp-protocol",
                           "The TFTP server's answer for " + quoted(requested) +
                               " breaks the protocol: " + obs.error_message + "."});
            break;
    }
    return out;
}

std::optional<Finding> unreachable(const TransferObservation& first, const std::string& server) {
    if (first.outcome != TransferObservation::Outcome::NoAnswer) return std::nullopt;
    return Finding{Verdict::Fail, "tftp-unreachable",
                   "Nothing answers TFTP on " + server + " (" + first.error_message +
                       "). Check that the TFTP server runs and listens on that address, and "
                       "that no firewall drops UDP port 69."};
}

Finding prefixFallback(const std::string& prefix, const std::string& file) {
    return {Verdict::Fail, "serial-dir-missing",
            "\"" + prefix + "/" + file + "\" does not exist, so the Pi falls back to the TFTP " +
                "root and boots whatever is there instead of its own tree. Create the " +
                "directory \"" + prefix + "/\" (or a symlink to a shared tree) in the TFTP root."};
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
    const bool eeprom = shapeOf(model) == DiscoverShape::C;
    return Finding{eeprom ? Verdict::Fail : Verdict::Warn, "no-oack",
                   "The TFTP server answered " + quoted(requested) +
                       (obs.oack ? " with an OACK that does not acknowledge " + missing
                                 : " without an OACK although the Pi asked for " + missing) +
                       (eeprom ? "; a Pi 4 then silently ignores config.txt (firmware#1012). "
                               : "; the firmware falls back to 512-byte blocks and no size. ") +
                       "Use a TFTP server that acknowledges tsize and blksize (RFC 2347-2349)."};
}

std::optional<Finding> blockCounterFinding(PiModel model, const BootStep& step,
                                           const std::string& requested, std::uint64_t size,
                                           std::uint16_t blksize) {
    if (blksize == 0 || !exceedsBlockCounter(size, blksize)) return std::nullopt;
    const bool kernel = step.purpose == FilePurpose::Kernel;
    const bool old_firmware = shapeOf(model) != DiscoverShape::C;
    return Finding{
        old_firmware ? Verdict::Fail : Verdict::Warn,
        kernel ? "kernel-too-many-blocks" : "file-too-many-blocks",
        quoted(requested) + " is " + std::to_string(size) +
            " bytes: " + std::to_string((size + blksize - 1) / blksize) + " blocks of " +
            std::to_string(blksize) +
            " bytes, more than the 65535 a TFTP block counter holds. Pi firmware and "
            "bootloaders before 2025-09-23 cannot roll the counter over and stop at block "
            "65535 (rpi-eeprom#720). Use a smaller (compressed) file" +
            (old_firmware ? "." : " or update the bootloader.")};
}

}  // namespace rpinetboot::probe
