// rpi-tftpd's counters and their rendering in the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Counting is plain integer
// arithmetic on the loop thread; only the file reader's counters (another thread) are atomic.
// Nothing here knows about sockets or HTTP.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rpinetboot/boot_plan.h"

namespace rpinetboot::tftpd {

// Why a request or transfer did not end in a complete file. The Pi's probe (an early terminate
// after the OACK) is normal and counted apart, not here.
enum class FailReason {
    NotFound,        // no such file (ERROR 1)
    Access,          // outside the tree, or pinned to another client (ERROR 2)
    IllegalRequest,  // malformed RRQ, or a mode other than octet (ERROR 4)
    WriteRefused,    // WRQ: the server is read-only
    Busy,            // refused by --max-transfers / --max-per-client, or no socket for it
    Timeout,         // the client stopped acknowledging
    ClientError,     // the client sent ERROR mid-file, or its port was unreachable
    Evicted,         // ended to make room for a newcomer
    Replaced,        // a new request came from the same client port
    FileChanged,     // the file shrank or became unreadable while being served
    Shutdown,        // the daemon exited while it ran
    Count
};
const char* failReasonName(FailReason r);

// A histogram with fixed upper bounds; counts are kept per bucket and made cumulative only
// when rendered.
class Histogram {
  public:
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);
    const std::vector<double>& bounds() const { return bounds_; }
    // Per bucket, not cumulative; the last one is +Inf.
    const std::vector<std::uint64_t>& counts() const { return counts_; }
    double sum() const { return sum_; }
    std::uint64_t count() const { return count_; }

  private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> counts_;
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

// The loop thread's counters.
struct Metrics {
    Metrics();
    void failed(FailReason r) { ++failures[static_cast<std::size_t>(r)]; }
    // A completed transfer of `request`, counted by what the file is for in a Pi's boot (core's
    // purposeOfFile; the last slot: a file of no boot plan), so that a dashboard can follow how
    // far boots get and an alert can see Pis that get DHCP answers but no firmware.
    void completedFile(std::string_view request);

    std::uint64_t requests = 0;  // RRQs received
    std::uint64_t started = 0;   // transfers that got a socket and sent OACK or DATA 1
    std::uint64_t completed = 0;
    // core's FilePurpose values, then "other".
    static constexpr std::size_t kBootFileSlots = kFilePurposeCount + 1;
    std::array<std::uint64_t, kBootFileSlots> completedByPurpose{};
    std::uint64_t earlyTerminated = 0;  // the client's ERROR before any DATA was acknowledged
    std::array<std::uint64_t, static_cast<std::size_t>(FailReason::Count)> failures{};
    std::uint64_t sentBytes = 0;  // DATA payload, retransmissions included
    std::uint64_t retransmits = 0;
    std::uint64_t evictions = 0;
    std::uint64_t refusedPerClient = 0;  // --max-per-client full, nothing to evict
    std::uint64_t refusedTotal = 0;      // --max-transfers full, nothing to evict
    // Time from receiving the RRQ to sending its OACK or DATA 1 (a cold file waits for disk).
    Histogram firstReply;
};

// The file reader thread's counters.
struct ReaderMetrics {
    std::atomic<std::uint64_t> readBytes{0};
    std::atomic<std::uint64_t> readErrors{0};
};

// Values read at scrape time.
struct Gauges {
    std::uint64_t activeTransfers = 0;
    std::uint64_t cacheHits = 0;
    std::uint64_t cacheMisses = 0;
    std::uint64_t cacheStreamed = 0;
    std::uint64_t cacheResidentBytes = 0;
    std::uint64_t cacheLimitBytes = 0;
    std::uint64_t cacheEntries = 0;
    std::uint64_t readerBacklog = 0;
    std::uint64_t readBytes = 0;
    std::uint64_t readErrors = 0;
};

// Writes metric families in the text format: one # HELP and # TYPE per family, label values
// and help text escaped as the format requires.
class Exposition {
  public:
    using Labels = std::vector<std::pair<std::string, std::string>>;

    // Starts a family; type is counter, gauge, histogram or untyped.
    void family(const std::string& name, const char* type, const std::string& help);
    void sample(const std::string& name, const Labels& labels, double value);
    void sample(const std::string& name, const Labels& labels, std::uint64_t value);
    void histogram(const std::string& name, const std::string& help, const Histogram& h);

    const std::string& text() const { return out_; }

    static std::string escapeLabelValue(const std::string& v);
    static std::string escapeHelp(const std::string& v);
    static std::string formatDouble(double v);

  private:
    void labels(const Labels& labels);
    std::string out_;
};

std::string renderMetrics(const Metrics& m, const Gauges& g, const std::string& version);

}  // namespace rpinetboot::tftpd
