#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "rpinetboot/boot_plan.h"

namespace rpinetboot::tftpd {

namespace {

// A LAN answers in well under a millisecond when the file is cached; a cold file waits for its
// first disk read; a second or more means something is wrong (the Pi gives up after its own
// TFTP timeout).
std::vector<double> firstReplyBounds() {
    return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
}

}  // namespace

const char* failReasonName(FailReason r) {
    switch (r) {
        case FailReason::NotFound:
            return "not_found";
        case FailReason::Access:
            return "access";
        case FailReason::IllegalRequest:
            return "illegal_request";
        case FailReason::WriteRefused:
            return "write_refused";
        case FailReason::Busy:
            return "busy";
        case FailReason::Timeout:
            return "timeout";
        case FailReason::ClientError:
            return "client_error";
        case FailReason::Evicted:
            return "evicted";
        case FailReason::Replaced:
            return "replaced";
        case FailReason::FileChanged:
            return "file_changed";
        case FailReason::Shutdown:
            return "shutdown";
        case FailReason::Count:
            break;
    }
    return "unknown";
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
    std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
    // "le": a value equal to a bound falls in that bound's bucket.
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
    sum_ += value;
    ++count_;
}

Metrics::Metrics() : firstReply(firstReplyBounds()) {}

std::string Exposition::escapeLabelValue(const std::string& v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string Exposition::escapeHelp(const std::string& v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string Exposition::formatDouble(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    // The shortest text that reads back as the same double (0.0005, not 0.00050000000000000001).
    char buf[40];
    for (int precision = 6; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

void Exposition::family(const std::string& name, const char* type, const std::string& help) {
    out_ += "# HELP " + name + ' ' + escapeHelp(help) + '\n';
    out_ += "# TYPE " + name + ' ' + type + '\n';
}

void Exposition::labels(const Labels& labels) {
    if (labels.empty()) return;
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += k + "=\"" + escapeLabelValue(v) + '"';
    }
    out_ += '}';
}

void Exposition::sample(const std::string& name, const Labels& l, double value) {
    out_ += name;
    labels(l);
    out_ += ' ' + formatDouble(value) + '\n';
}

void Exposition::sample(const std::string& name, const Labels& l, std::uint64_t value) {
    out_ += name;
    labels(l);
    out_ += ' ' + std::to_string(value) + '\n';
}

void Exposition::histogram(const std::string& name, const std::string& help, const Histogram& h) {
    family(name, "histogram", help);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.bounds().size(); ++i) {
        cumulative += h.counts()[i];
        sample(name + "_bucket", {{"le", formatDouble(h.bounds()[i])}}, cumulative);
    }
    cumulative += h.counts().back();
    sample(name + "_bucket", {{"le", "+Inf"}}, cumulative);
    sample(name + "_sum", {}, h.sum());
    sample(name + "_count", {}, h.count());
}

void Metrics::completedFile(std::string_view request) {
    const auto purpose = purposeOfFile(request);
    ++completedByPurpose[purpose ? static_cast<std::size_t>(*purpose) : kFilePurposeCount];
}

std::string renderMetrics(const Metrics& m, const Gauges& g, const std::string& version) {
    Exposition e;
    auto counter = [&e](const std::string& name, const std::string& help, std::uint64_t v) {
        e.family(name, "counter", help);
        e.sample(name, {}, v);
    };
    auto gauge = [&e](const std::string& name, const std::string& help, std::uint64_t v) {
        e.family(name, "gauge", help);
        e.sample(name, {}, v);
    };
    e.family("rpi_tftpd_build_info", "gauge", "rpi-tftpd version, always 1.");
    e.sample("rpi_tftpd_build_info", {{"version", version}}, std::uint64_t{1});
    counter("rpi_tftpd_requests_total", "Read requests (RRQ) received.", m.requests);
    counter("rpi_tftpd_transfers_started_total",
            "Transfers started: the request was admitted and given its own socket.", m.started);
    counter("rpi_tftpd_transfers_completed_total",
            "Transfers whose last block the client acknowledged.", m.completed);
    counter("rpi_tftpd_transfers_early_terminated_total",
            "Transfers the client ended with ERROR before acknowledging any DATA: the Pi "
            "bootloader's size probe, normal.",
            m.earlyTerminated);
    e.family("rpi_tftpd_boot_files_completed_total", "counter",
             "Completed transfers by what the file is for in a Pi's boot (second_stage: "
             "bootcode.bin; firmware: start*.elf and fixup*.dat; config, dtb, overlays, cmdline, "
             "kernel, initramfs, ...; other: a file of no boot plan).");
    for (std::size_t i = 0; i <= kFilePurposeCount; ++i) {
        if (i < kFilePurposeCount && static_cast<FilePurpose>(i) == FilePurpose::Prefix) {
            continue;  // a probe, not a file: its file is counted under its own purpose
        }
        std::string purpose =
            i < kFilePurposeCount ? std::string(purposeName(static_cast<FilePurpose>(i))) : "other";
        std::replace(purpose.begin(), purpose.end(), ' ', '_');
        e.sample("rpi_tftpd_boot_files_completed_total", {{"purpose", purpose}},
                 m.completedByPurpose[i]);
    }
    e.family("rpi_tftpd_transfers_failed_total", "counter",
             "Requests refused and transfers that ended without the whole file, by reason.");
    for (std::size_t i = 0; i < m.failures.size(); ++i) {
        e.sample("rpi_tftpd_transfers_failed_total",
                 {{"reason", failReasonName(static_cast<FailReason>(i))}}, m.failures[i]);
    }
    gauge("rpi_tftpd_transfers_active", "Transfers running now.", g.activeTransfers);
    counter("rpi_tftpd_sent_bytes_total",
            "File bytes sent in DATA packets, retransmissions included.", m.sentBytes);
    counter("rpi_tftpd_retransmits_total", "OACK and DATA packets sent again after a timeout.",
            m.retransmits);
    counter("rpi_tftpd_evictions_total",
            "Half-open or stalled transfers ended to make room for a new request.", m.evictions);
    e.family("rpi_tftpd_refusals_total", "counter",
             "Requests refused for lack of room, by the limit that was full (per_client: "
             "--max-per-client, total: --max-transfers).");
    e.sample("rpi_tftpd_refusals_total", {{"limit", "per_client"}}, m.refusedPerClient);
    e.sample("rpi_tftpd_refusals_total", {{"limit", "total"}}, m.refusedTotal);
    e.histogram("rpi_tftpd_first_reply_seconds",
                "Time from receiving a read request to sending its OACK or DATA 1.", m.firstReply);
    counter("rpi_tftpd_cache_hits_total", "Requests served from file contents already held.",
            g.cacheHits);
    counter("rpi_tftpd_cache_misses_total", "Requests whose file contents were not held.",
            g.cacheMisses);
    counter("rpi_tftpd_cache_streamed_total",
            "Misses streamed from disk because the file was too large or the cache full.",
            g.cacheStreamed);
    gauge("rpi_tftpd_cache_resident_bytes",
          "File contents held in memory, cached or used by running transfers.",
          g.cacheResidentBytes);
    gauge("rpi_tftpd_cache_limit_bytes", "The cache's size limit (--cache-mb).", g.cacheLimitBytes);
    gauge("rpi_tftpd_cache_entries", "Files held in the cache.", g.cacheEntries);
    counter("rpi_tftpd_disk_read_bytes_total", "Bytes read from disk by the file reader thread.",
            g.readBytes);
    counter("rpi_tftpd_disk_read_errors_total",
            "Reads that failed or came up short (a file shrank or became unreadable).",
            g.readErrors);
    gauge("rpi_tftpd_disk_read_backlog", "Disk reads queued or running.", g.readerBacklog);
    return e.text();
}

}  // namespace rpinetboot::tftpd
