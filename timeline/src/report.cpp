#include "report.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace rpinetboot::timeline {
namespace {

using nlohmann::json;

std::string verdictText(const Pi& pi) {
    if (auto a = pi.currentAnomaly()) return std::string(a->code) + ": " + a->message;
    return pi.lastBoot().finished() ? "ok" : "booting";
}

json findingJson(const std::optional<probe::Finding>& f) {
    if (!f) return nullptr;
    return {
        {"code", f->code}, {"severity", probe::verdictName(f->verdict)}, {"message", f->message}};
}

json optionalText(const std::string& s) {
    return s.empty() ? json(nullptr) : json(s);
}

std::string stepDetail(const BootEvent& e) {
    std::string out;
    auto add = [&out](const std::string& s) {
        if (s.empty()) return;
        if (!out.empty()) out += ' ';
        out += s;
    };
    switch (e.step) {
        case BootStep::TftpFile:
            add(e.file);
            if (e.bytes) add(std::to_string(*e.bytes) + " bytes");
            if (e.durationUs) add("in " + humanDuration(*e.durationUs));
            add(std::string(outcomeName(e.outcome)));
            if (!e.error.empty()) add("(" + e.error + ")");
            if (!e.text.empty()) add("| " + e.text);
            break;
        case BootStep::NetconsoleLine:
            add(e.text);
            break;
        default:
            add(e.address);
            add(e.file);
            add(std::string(outcomeName(e.outcome)));
            if (!e.error.empty()) add("(" + e.error + ")");
            if (!e.text.empty())
                add(e.source == "rpi-netboot-timeline" ? "(" + e.text + ")" : e.text);
    }
    return out;
}

}  // namespace

std::string utcTime(std::uint64_t us) {
    const std::time_t t = static_cast<std::time_t>(us / 1'000'000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

std::string humanDuration(std::uint64_t us) {
    char buf[48];
    if (us < 1'000'000) {
        std::snprintf(buf, sizeof buf, "%llu ms", static_cast<unsigned long long>(us / 1000));
    } else if (us < 60'000'000) {
        std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(us) / 1e6);
    } else {
        const auto s = us / 1'000'000;
        std::snprintf(buf, sizeof buf, "%llu min %llu s", static_cast<unsigned long long>(s / 60),
                      static_cast<unsigned long long>(s % 60));
    }
    return buf;
}

void printFleet(std::ostream& out, const Fleet& fleet) {
    if (fleet.pis.empty()) {
        out << "No Pi in the boot events.\n";
    } else {
        const std::vector<std::string> headers = {
            "PI", "MAC", "ADDRESS", "MODEL", "LAST SEEN (UTC)", "REACHED", "TOOK", "VERDICT"};
        std::vector<std::vector<std::string>> rows;
        for (const auto& pi : fleet.pis) {
            const Boot& b = pi.lastBoot();
            rows.push_back({pi.label(), pi.mac.empty() ? "-" : pi.mac,
                            pi.address.empty() ? "-" : pi.address,
                            pi.model.empty() ? "-" : pi.model, utcTime(pi.lastSeenUs),
                            std::string(stageName(b.reached)),
                            humanDuration(b.reachedUs - b.startUs), verdictText(pi)});
        }
        std::vector<std::size_t> widths(headers.size());
        for (std::size_t i = 0; i < headers.size(); ++i) {
            widths[i] = headers[i].size();
            for (const auto& r : rows) widths[i] = std::max(widths[i], r[i].size());
        }
        auto line = [&](const std::vector<std::string>& cells) {
            std::string s;
            for (std::size_t i = 0; i < cells.size(); ++i) {
                s += cells[i];
                if (i + 1 < cells.size()) s += std::string(widths[i] - cells[i].size() + 2, ' ');
            }
            out << s << "\n";
        };
        line(headers);
        for (const auto& r : rows) line(r);
    }
    for (const auto& u : fleet.unattributed) {
        out << "Not attributed to any Pi: " << u.events << " event" << (u.events == 1 ? "" : "s")
            << " from " << u.address << " (no DHCP event gave that address to a Pi).\n";
    }
}

void printPi(std::ostream& out, const Pi& pi) {
    const Boot& b = pi.lastBoot();
    out << "Pi " << pi.label();
    std::vector<std::string> ids;
    if (!pi.serial.empty() && !pi.mac.empty()) ids.push_back(pi.mac);
    if (!pi.address.empty()) ids.push_back(pi.address);
    if (!pi.model.empty()) ids.push_back(pi.model);
    for (std::size_t i = 0; i < ids.size(); ++i) out << (i == 0 ? " (" : ", ") << ids[i];
    out << (ids.empty() ? "" : ")") << ": last boot " << utcTime(b.startUs) << " UTC";
    if (pi.boots.size() > 1) out << " (boot " << pi.boots.size() << " in the events)";
    out << "\n\n";
    std::uint64_t previous = b.startUs;
    for (const auto& e : b.events) {
        char at[32], delta[32];
        std::snprintf(at, sizeof at, "+%.3f s",
                      static_cast<double>(e.timestampUs - b.startUs) / 1e6);
        std::snprintf(delta, sizeof delta, "(+%s)",
                      humanDuration(e.timestampUs - previous).c_str());
        previous = e.timestampUs;
        std::string step(stepName(e.step));
        if (e.step == BootStep::NetconsoleLine) step = "NETCONSOLE";
        if (isOsPhase(e)) step = "OS " + step;  // "OS DISCOVER": the OS DHCP step
        char head[96];
        const std::string detail = stepDetail(e);
        std::snprintf(head, sizeof head, detail.empty() ? "%12s %14s  %s" : "%12s %14s  %-16s", at,
                      delta, step.c_str());
        out << head << detail << "\n";
    }
    out << "\nReached: " << stageName(b.reached) << " in " << humanDuration(b.reachedUs - b.startUs)
        << "\n";
    if (auto a = pi.currentAnomaly()) {
        out << "Verdict: [" << probe::verdictName(a->verdict) << "] " << a->code << ": "
            << a->message
            << (b.anomaly ? "" : " (the previous boot; this one is still in progress)") << "\n";
    } else {
        out << "Verdict: "
            << (b.reached == Stage::OsDhcp ? "booted to its NFS root, its OS asked for an address"
                : b.finished()             ? "booted to its NFS root"
                                           : "still booting")
            << "\n";
    }
}

json piSummaryJson(const Pi& pi) {
    const Boot& b = pi.lastBoot();
    return {{"serial", optionalText(pi.serial)},
            {"mac", optionalText(pi.mac)},
            {"address", optionalText(pi.address)},
            {"model", optionalText(pi.model)},
            {"last_seen_us", pi.lastSeenUs},
            {"boots", pi.boots.size()},
            {"boot_start_us", b.startUs},
            {"reached", stageName(b.reached)},
            {"took_us", b.reachedUs - b.startUs},
            {"state", b.finished() ? "ok" : (pi.currentAnomaly() ? "failed" : "booting")},
            {"anomaly", findingJson(pi.currentAnomaly())}};
}

json fleetJson(const Fleet& fleet) {
    json pis = json::array();
    for (const auto& pi : fleet.pis) pis.push_back(piSummaryJson(pi));
    json unattributed = json::array();
    for (const auto& u : fleet.unattributed) {
        unattributed.push_back({{"address", u.address}, {"events", u.events}});
    }
    return {{"pis", pis}, {"unattributed", unattributed}};
}

json piJson(const Pi& pi) {
    json j = piSummaryJson(pi);
    json steps = json::array();
    const Boot& b = pi.lastBoot();
    std::uint64_t previous = b.startUs;
    for (const auto& e : b.events) {
        json s = {{"step", stepName(e.step)},
                  {"timestamp_us", e.timestampUs},
                  {"offset_us", e.timestampUs - b.startUs},
                  {"since_previous_us", e.timestampUs - previous},
                  {"source", optionalText(e.source)}};
        previous = e.timestampUs;
        if (!e.address.empty()) s["address"] = e.address;
        if (!e.file.empty()) s["file"] = e.file;
        if (e.bytes) s["bytes"] = *e.bytes;
        if (e.durationUs) s["duration_us"] = *e.durationUs;
        if (e.outcome != Outcome::None) s["outcome"] = outcomeName(e.outcome);
        if (!e.error.empty()) s["error"] = e.error;
        if (!e.text.empty()) s["text"] = e.text;
        if (!e.phase.empty()) s["phase"] = e.phase;
        steps.push_back(std::move(s));
    }
    j["steps"] = std::move(steps);
    return j;
}

}  // namespace rpinetboot::timeline
