#include "report.h"

#include <iomanip>
#include <nlohmann/json.hpp>

namespace rpinetboot::probe {

Report::Report() : start_(std::chrono::steady_clock::now()) {}

void Report::step(const std::string& stage, const std::string& step, Verdict verdict,
                  const std::string& detail) {
    const std::chrono::duration<double, std::milli> t = std::chrono::steady_clock::now() - start_;
    timeline_.push_back({t.count(), stage, step, verdict, detail});
}

void Report::finding(const Finding& f, const std::string& stage) {
    if (f.verdict == Verdict::Ok) return;
    findings_.emplace_back(stage, f);
}

bool Report::sound() const {
    for (const auto& [stage, f] : findings_) {
        if (f.verdict == Verdict::Fail) return false;
    }
    return true;
}

void Report::printText(std::ostream& out) const {
    out << "rpi-netboot-probe: " << model << " " << mac << (serial.empty() ? "" : " serial ")
        << serial << " on " << interface << "\n\n";
    for (const auto& e : timeline_) {
        out << std::fixed << std::setprecision(1) << std::setw(9) << e.tMs << " ms  " << std::left
            << std::setw(8) << e.stage << std::setw(6) << verdictName(e.verdict) << e.step
            << (e.detail.empty() ? "" : ": ") << e.detail << std::right << "\n";
    }
    out << "\n";
    if (findings_.empty()) {
        out << "Diagnosis: the boot path is sound.\n";
        return;
    }
    out << "Diagnosis:\n";
    for (const auto& [stage, f] : findings_) {
        out << "  [" << verdictName(f.verdict) << "] " << f.code << ": " << f.message << "\n";
    }
    out << (sound() ? "The boot path is sound (warnings above).\n"
                    : "The Pi would not boot (see failures above).\n");
}

void Report::printJson(std::ostream& out) const {
    using nlohmann::json;
    auto opt = [](const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); };
    json j;
    j["model"] = model;
    j["mac"] = mac;
    j["serial"] = serial.empty() ? json(nullptr) : json(serial);
    j["interface"] = interface;
    j["address"] = opt(address);
    j["tftp_server"] = opt(tftpServer);
    j["prefix"] = opt(prefix);
    j["nfs_root"] = opt(nfs_root);
    j["nfs_exported"] = nfsExported ? json(*nfsExported) : json(nullptr);
    j["sound"] = sound();
    j["offers"] = json::array();
    for (const auto& o : offers_) {
        j["offers"].push_back({{"server", o.server},
                               {"address", o.address},
                               {"tftp_server", o.tftpServer},
                               {"tftp_source", o.tftpSource},
                               {"netboot", o.netboot},
                               {"chosen", o.chosen}});
    }
    j["timeline"] = json::array();
    for (const auto& e : timeline_) {
        j["timeline"].push_back({{"t_ms", e.tMs},
                                 {"stage", e.stage},
                                 {"step", e.step},
                                 {"verdict", verdictName(e.verdict)},
                                 {"detail", e.detail}});
    }
    j["files"] = json::array();
    for (const auto& f : files_) {
        j["files"].push_back(
            {{"path", f.path}, {"found", f.found}, {"bytes", f.bytes}, {"oack", f.oack}});
    }
    j["findings"] = json::array();
    for (const auto& [stage, f] : findings_) {
        j["findings"].push_back({{"stage", stage},
                                 {"verdict", verdictName(f.verdict)},
                                 {"code", std::string(f.code)},
                                 {"message", f.message}});
    }
    out << j.dump(2) << "\n";
}

}  // namespace rpinetboot::probe
