// The probe's account of one boot: a timeline of steps with verdicts, then the diagnosis.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "rpinetboot/probe/findings.h"

namespace rpinetboot::probe {

struct TimelineEntry {
    double tMs = 0;     // since the probe started
    std::string stage;  // "dhcp", "tftp", "nfs"
    std::string step;   // e.g. "DISCOVER", "RRQ start4.elf"
    Verdict verdict = Verdict::Ok;
    std::string detail;
};

// One DHCP reply as the Pi judged it.
struct OfferSummary {
    std::string server;      // IP source of the reply
    std::string address;     // yiaddr
    std::string tftpServer;  // where the Pi would fetch from ("" when unknown)
    std::string tftpSource;  // "option 66", "option 54" or "source address"
    bool netboot = false;    // carries a usable option 43
    bool chosen = false;     // the one the Pi would take
};

struct FileResult {
    std::string path;  // as requested, prefix included
    bool found = false;
    std::uint64_t bytes = 0;
    bool oack = false;
};

class Report {
  public:
    Report();

    void step(const std::string& stage, const std::string& step, Verdict verdict,
              const std::string& detail);
    void finding(const Finding& f, const std::string& stage);
    void file(FileResult f) { files_.push_back(std::move(f)); }
    void offer(OfferSummary o) { offers_.push_back(std::move(o)); }
    const std::vector<FileResult>& files() const { return files_; }

    // Facts about the emulated Pi and what it got.
    std::string model, mac, serial, interface;
    std::optional<std::string> address, tftpServer, prefix, nfs_root;
    std::optional<bool> nfsExported;

    bool sound() const;
    void printText(std::ostream& out) const;
    void printJson(std::ostream& out) const;

  private:
    std::chrono::steady_clock::time_point start_;
    std::vector<TimelineEntry> timeline_;
    std::vector<std::pair<std::string, Finding>> findings_;  // (stage, finding)
    std::vector<FileResult> files_;
    std::vector<OfferSummary> offers_;
};

}  // namespace rpinetboot::probe
