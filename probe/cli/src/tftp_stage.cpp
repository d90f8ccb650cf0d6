// The model's TFTP boot walk (probe/checks boot_plan): the prefix probe, then every file probed
// with the model's options and early terminate, then fetched, as the firmware does; config.txt
// picks the kernel, device tree and initramfs; cmdline.txt is handed back for the NFS check.
#include <cstdint>
#include <string>

#include "rpinetboot/boot_plan.h"
#include "rpinetboot/dhcp_packet.h"
#include "rpinetboot/probe/config_txt.h"
#include "rpinetboot/probe/pi_tftp.h"
#include "rpinetboot/probe/route_check.h"
#include "rpinetboot/probe/tftp_check.h"
#include "rpinetboot/probe/tftp_client.h"
#include "stages.h"

namespace rpinetboot::probe {

namespace {

constexpr unsigned kRetries = 2;  // three requests per file in all (the Pi re-sends every 2 s)

using Outcome = TransferObservation::Outcome;

TransferObservation observe(const TftpResult& r, const tftp::Options& asked) {
    TransferObservation o;
    for (const auto& a : asked) o.asked.push_back(a.name);
    o.oack = r.oackReceived;
    for (const auto& a : r.oack) o.acknowledged.push_back(a.name);
    o.blksize = r.blockSize;
    o.errorMessage = r.errorMessage;
    switch (r.outcome) {
        case TftpOutcome::Complete:
            o.outcome = Outcome::Found;
            o.size = r.bytes;
            break;
        case TftpOutcome::EarlyTerminated:
            o.outcome = Outcome::Found;
            o.size = r.tsize;
            break;
        case TftpOutcome::ServerError:
            o.outcome = r.errorCode == 1   ? Outcome::Missing
                        : r.errorCode == 2 ? Outcome::Denied
                                           : Outcome::OtherError;
            o.errorMessage = std::to_string(r.errorCode) + " \"" + r.errorMessage + "\"";
            break;
        case TftpOutcome::Timeout:
            o.outcome = Outcome::NoAnswer;
            break;
        case TftpOutcome::ProtocolError:
        case TftpOutcome::SocketError:
            o.outcome = Outcome::ProtocolError;
            break;
    }
    return o;
}

std::string summary(const TftpResult& r) {
    std::string s;
    if (r.oackReceived) {
        s = r.oack.empty() ? "empty OACK" : "OACK";
        for (const auto& o : r.oack) s += " " + o.name + "=" + o.value;
    }
    switch (r.outcome) {
        case TftpOutcome::Complete:
            return s + (s.empty() ? "" : ", ") + std::to_string(r.bytes) + " bytes in blocks of " +
                   std::to_string(r.blockSize);
        case TftpOutcome::EarlyTerminated:
            return s + (s.empty() ? "" : ", ") + "early terminate";
        case TftpOutcome::ServerError:
            return "ERROR " + std::to_string(r.errorCode) + " \"" + r.errorMessage + "\"";
        default:
            return std::string(toString(r.outcome)) +
                   (r.errorMessage.empty() ? "" : ": " + r.errorMessage);
    }
}

class Walk {
  public:
    Walk(const ProbeOptions& opt, std::uint32_t server, Report& report)
        : opt_(opt), report_(report), serverText_(ipv4ToString(server)) {
        server_ = *TftpServer::parse(serverText_);
    }

    TftpWalkOutcome run() {
        TftpWalkOutcome out;
        const PiModel model = opt_.pi.model;
        BootConfig config;
        for (BootFileStep step : bootPlan(model)) {
            switch (step.purpose) {
                case FilePurpose::DeviceTree:
                    if (config.deviceTree) step.file = *config.deviceTree;
                    break;
                case FilePurpose::Kernel:
                    kernelStep(step, config);
                    continue;
                case FilePurpose::Initramfs:
                    // Loaded when config.txt names one (the plan's name is a default), or under
                    // auto_initramfs=1 the one named after the kernel, if it exists.
                    if (config.initramfs) {
                        step.file = *config.initramfs;
                        step.required = true;
                        fileStep(step);
                    } else if (config.autoInitramfs && !kernel_.empty() &&
                               !autoInitramfs(kernel_).empty()) {
                        step.file = autoInitramfs(kernel_);
                        step.required = false;
                        fileStep(step);
                    }
                    continue;
                default:
                    break;
            }
            // A re-read of a file already judged proves nothing more, and the recovery images
            // and armstub the firmware looks for (normally missing) do not decide the boot.
            if (step.kind == StepKind::Reread || step.purpose == FilePurpose::Recovery ||
                step.purpose == FilePurpose::Armstub) {
                continue;
            }
            if (!fileStep(step)) return out;
            out.reached = true;
            if (step.purpose == FilePurpose::Config && lastData_) {
                // A Pi 4 that got no OACK ignores config.txt (firmware#1012): so does the walk.
                if (!(oackMissing_ && shapeOf(model) == DiscoverShape::C)) {
                    config = parseConfigTxt(*lastData_, model);
                } else {
                    report_.step("tftp", "config.txt ignored", Verdict::Warn,
                                 "no OACK: the firmware boots with its defaults");
                }
            }
            if (step.purpose == FilePurpose::Cmdline && lastData_) out.cmdline = lastData_;
        }
        return out;
    }

  private:
    // The kernel named in config.txt, or the first default name that exists.
    void kernelStep(BootFileStep kernel, const BootConfig& config) {
        if (config.kernel) {
            kernel.file = *config.kernel;
            fileStep(kernel);
            if (lastFound_) kernel_ = kernel.file;
            return;
        }
        const auto names = defaultKernels(opt_.pi.model);
        for (std::size_t i = 0; i < names.size(); ++i) {
            kernel.file = names[i];
            kernel.required = i + 1 == names.size();
            if (fileStep(kernel) && lastFound_) {
                kernel_ = kernel.file;
                break;
            }
        }
    }

    TftpResult request(const std::string& name, const TftpDialect& dialect, EarlyStop stop,
                       bool keep) {
        TftpRequest req;
        req.filename = name;
        req.options = piRequestOptions(dialect);
        req.stop = req.options.empty() ? EarlyStop::None : stop;
        req.packetTimeout = opt_.timeout;
        req.retries = kRetries;
        req.keepData = keep;
        req.device = opt_.interface;  // the probe talks through the named interface only
        return tftpFetch(server_, req);
    }

    // One file: probe, judge, fetch. False when the walk cannot go on (server gone).
    bool fileStep(const BootFileStep& step) {
        if (gone_) return false;  // the server stopped answering: no more waiting
        gone_ = !fileStepOnce(step);
        return !gone_;
    }

    bool fileStepOnce(const BootFileStep& step) {
        lastData_.reset();
        lastFound_ = false;
        const bool prefixProbe = step.kind == StepKind::PrefixProbe;
        std::string name = step.file;
        if (prefixProbe) {
            name = opt_.pi.serial.str() + "/" + step.file;
        } else if (step.kind == StepKind::File) {
            name = prefix_ + step.file;
        }
        const tftp::Options asked = piRequestOptions(step.dialect);
        const bool options = !asked.empty();
        const bool keep =
            step.purpose == FilePurpose::Config || step.purpose == FilePurpose::Cmdline;
        const TftpResult first = request(name, step.dialect, EarlyStop::AfterOack, keep);
        const TransferObservation obs = observe(first, asked);
        const bool found = obs.outcome == Outcome::Found;
        lastFound_ = found;
        const bool quietMiss = obs.outcome == Outcome::Missing && (!step.required || prefixProbe);
        report_.step("tftp", "RRQ " + name + (options ? " (probe)" : ""),
                     found || quietMiss ? Verdict::Ok : Verdict::Fail, summary(first));
        if (!contacted_) {
            contacted_ = true;
            if (auto f = unreachable(obs, serverText_)) {
                report_.finding(*f, "tftp");
                report_.file({name, false, 0, false});
                return false;
            }
        }
        if (prefixProbe) {
            if (found) {
                prefix_ = opt_.pi.serial.str() + "/";
                report_.prefix = prefix_;
            } else {
                prefix_.clear();
                report_.prefix = "";
                if (obs.outcome == Outcome::Missing) {
                    report_.finding(prefixFallback(opt_.pi.serial.str(), step.file), "tftp");
                } else {
                    for (const auto& f : assessTransfer(step, name, obs, serverText_)) {
                        report_.finding(f, "tftp");
                    }
                }
            }
        } else {
            for (const auto& f : assessTransfer(step, name, obs, serverText_)) {
                report_.finding(f, "tftp");
            }
        }
        if (obs.outcome == Outcome::NoAnswer) return false;
        if (!oackMissing_) {
            if (auto f = missingOack(opt_.pi.model, name, obs)) {
                oackMissing_ = true;
                report_.finding(*f, "tftp");
            }
        }
        if (!found || prefixProbe) {
            if (!prefixProbe || !found) report_.file({name, false, 0, false});
            return true;
        }
        if (obs.size) {
            if (auto f = blockCounterFinding(opt_.pi.model, step, name, *obs.size, obs.blksize)) {
                report_.finding(*f, "tftp");
                if (f->verdict == Verdict::Fail) {
                    // The firmware stops at block 65535; fetching the rest proves nothing.
                    report_.file({name, true, *obs.size, obs.oack});
                    return true;
                }
            }
        }
        TftpResult fetched = first;
        if (first.outcome != TftpOutcome::Complete) {
            fetched = request(name, step.dialect, EarlyStop::None, keep);
            const TransferObservation got = observe(fetched, asked);
            report_.step("tftp", "RRQ " + name,
                         got.outcome == Outcome::Found ? Verdict::Ok : Verdict::Fail,
                         summary(fetched));
            for (const auto& f : assessTransfer(step, name, got, serverText_)) {
                report_.finding(f, "tftp");
            }
            if (got.outcome == Outcome::NoAnswer) return false;
        }
        const bool complete = fetched.outcome == TftpOutcome::Complete;
        report_.file({name, complete, fetched.bytes, first.oackReceived});
        if (complete && keep) lastData_ = std::string(fetched.data.begin(), fetched.data.end());
        return true;
    }

    const ProbeOptions& opt_;
    Report& report_;
    std::string serverText_;
    TftpServer server_;
    std::string prefix_;
    bool contacted_ = false;
    bool oackMissing_ = false;
    bool lastFound_ = false;
    bool gone_ = false;
    std::string kernel_;  // the kernel the walk found: auto_initramfs names the initramfs after it
    std::optional<std::string> lastData_;
};

}  // namespace

TftpWalkOutcome runTftp(const ProbeOptions& opt, const InterfaceInfo& iface, std::uint32_t server,
                        Report& report) {
    report.tftpServer = ipv4ToString(server);
    if (auto problem = routeProblem(iface, server)) {
        report.step("tftp", "route", Verdict::Fail, *problem);
        report.finding(routeElsewhere("probing TFTP", *problem), "tftp");
        return {};
    }
    return Walk(opt, server, report).run();
}

}  // namespace rpinetboot::probe
