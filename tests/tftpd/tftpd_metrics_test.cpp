// The Prometheus text exposition (format 0.0.4,
// https://prometheus.io/docs/instrumenting/exposition_formats/): escaping, # HELP / # TYPE once
// per family, cumulative histogram buckets ending in +Inf, and every failure reason present.
// tests/tftpd/test_metrics.py checks the daemon's output with promtool.
#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "metrics.h"
#include "settings.h"

using namespace rpinetboot::tftpd;

namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

bool has(const std::string& text, const std::string& line) {
    for (const auto& l : lines(text)) {
        if (l == line) return true;
    }
    return false;
}

std::size_t count(const std::string& text, const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& l : lines(text)) {
        if (l.compare(0, prefix.size(), prefix) == 0) ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("label values and help text are escaped", "[metrics]") {
    CHECK(Exposition::escapeLabelValue(R"(a\b"c)"
                                       "\n"
                                       "d") == R"(a\\b\"c\nd)");
    CHECK(Exposition::escapeLabelValue("plain 1.2.3") == "plain 1.2.3");
    // In HELP only backslash and newline are escaped; a quote stays.
    CHECK(Exposition::escapeHelp("say \"hi\"\\\nbye") == "say \"hi\"\\\\\\nbye");

    Exposition e;
    e.family("x_info", "gauge", "multi\nline");
    e.sample("x_info", {{"version", "1.0\"beta\"\\"}, {"b", "2"}}, std::uint64_t{1});
    CHECK(e.text() ==
          "# HELP x_info multi\\nline\n"
          "# TYPE x_info gauge\n"
          "x_info{version=\"1.0\\\"beta\\\"\\\\\",b=\"2\"} 1\n");
    // The version label of the daemon's own output goes through the same escaping.
    Metrics m;
    const auto text = renderMetrics(m, Gauges{}, "1\"2");
    CHECK(has(text, "rpi_tftpd_build_info{version=\"1\\\"2\"} 1"));
}

TEST_CASE("numbers are written so that they read back", "[metrics]") {
    CHECK(Exposition::formatDouble(0.0005) == "0.0005");
    CHECK(Exposition::formatDouble(1) == "1");
    CHECK(Exposition::formatDouble(0.1 + 0.2) == "0.30000000000000004");
    CHECK(Exposition::formatDouble(1.0 / 0.0) == "+Inf");
}

TEST_CASE("histogram buckets are cumulative and end with +Inf", "[metrics]") {
    Histogram h({0.001, 0.01, 0.1});
    h.observe(0.0005);
    h.observe(0.001);  // on a bound: that bucket (le = less or equal)
    h.observe(0.05);
    h.observe(7);
    Exposition e;
    e.histogram("lat_seconds", "Latency.", h);
    const auto t = e.text();
    CHECK(lines(t) == std::vector<std::string>{
                          "# HELP lat_seconds Latency.",
                          "# TYPE lat_seconds histogram",
                          "lat_seconds_bucket{le=\"0.001\"} 2",
                          "lat_seconds_bucket{le=\"0.01\"} 2",
                          "lat_seconds_bucket{le=\"0.1\"} 3",
                          "lat_seconds_bucket{le=\"+Inf\"} 4",
                          "lat_seconds_sum 7.0515",
                          "lat_seconds_count 4",
                      });
}

TEST_CASE("the daemon's families: one HELP and TYPE each, every reason", "[metrics]") {
    Metrics m;
    m.started = 3;
    m.completed = 1;
    m.earlyTerminated = 1;
    m.failed(FailReason::NotFound);
    m.failed(FailReason::Timeout);
    m.failed(FailReason::Timeout);
    m.sentBytes = 12345;
    m.refusedPerClient = 4;
    m.firstReply.observe(0.0003);
    m.firstReply.observe(2.0);
    Gauges g;
    g.activeTransfers = 2;
    g.cacheResidentBytes = 1 << 20;
    const auto text = renderMetrics(m, g, "0.1.0");

    CHECK(has(text, "# TYPE rpi_tftpd_transfers_started_total counter"));
    CHECK(has(text, "rpi_tftpd_transfers_started_total 3"));
    CHECK(has(text, "rpi_tftpd_transfers_completed_total 1"));
    CHECK(has(text, "rpi_tftpd_transfers_early_terminated_total 1"));
    CHECK(has(text, "rpi_tftpd_transfers_failed_total{reason=\"not_found\"} 1"));
    CHECK(has(text, "rpi_tftpd_transfers_failed_total{reason=\"timeout\"} 2"));
    CHECK(has(text, "rpi_tftpd_transfers_failed_total{reason=\"evicted\"} 0"));
    CHECK(count(text, "rpi_tftpd_transfers_failed_total{") ==
          static_cast<std::size_t>(FailReason::Count));
    CHECK(has(text, "# TYPE rpi_tftpd_transfers_active gauge"));
    CHECK(has(text, "rpi_tftpd_transfers_active 2"));
    CHECK(has(text, "rpi_tftpd_sent_bytes_total 12345"));
    CHECK(has(text, "rpi_tftpd_refusals_total{limit=\"per_client\"} 4"));
    CHECK(has(text, "rpi_tftpd_cache_resident_bytes 1048576"));
    CHECK(has(text, "# TYPE rpi_tftpd_first_reply_seconds histogram"));
    CHECK(has(text, "rpi_tftpd_first_reply_seconds_bucket{le=\"0.0005\"} 1"));
    CHECK(has(text, "rpi_tftpd_first_reply_seconds_bucket{le=\"1\"} 1"));
    CHECK(has(text, "rpi_tftpd_first_reply_seconds_bucket{le=\"+Inf\"} 2"));
    CHECK(has(text, "rpi_tftpd_first_reply_seconds_count 2"));

    // Every sample belongs to the family announced just before it, announced once.
    std::string family;
    std::vector<std::string> seen;
    for (const auto& l : lines(text)) {
        INFO(l);
        REQUIRE(!l.empty());
        if (l.rfind("# HELP ", 0) == 0) {
            family = l.substr(7, l.find(' ', 7) - 7);
            CHECK(std::find(seen.begin(), seen.end(), family) == seen.end());
            seen.push_back(family);
            continue;
        }
        if (l.rfind("# TYPE ", 0) == 0) {
            CHECK(l.substr(7, family.size() + 1) == family + " ");
            continue;
        }
        CHECK(l.compare(0, family.size(), family) == 0);
        CHECK(family.rfind("rpi_tftpd_", 0) == 0);
    }
    CHECK(seen.size() > 20);
}

TEST_CASE("completed boot files are counted by their purpose in a Pi's boot", "[metrics]") {
    Metrics m;
    for (const char* f : {"bootcode.bin", "1a2b3c04/start.elf", "1a2b3c04/start4.elf",
                          "1a2b3c04/fixup4.dat", "1a2b3c04/kernel8.img", "config.txt", "config.txt",
                          "notes.txt", "1a2b3c04/my-kernel.img"}) {
        m.completedFile(f);
    }
    const auto text = renderMetrics(m, Gauges{}, "0.1.0");
    CHECK(has(text, "# TYPE rpi_tftpd_boot_files_completed_total counter"));
    CHECK(has(text, "rpi_tftpd_boot_files_completed_total{purpose=\"second_stage\"} 1"));
    CHECK(has(text, "rpi_tftpd_boot_files_completed_total{purpose=\"firmware\"} 3"));
    CHECK(has(text, "rpi_tftpd_boot_files_completed_total{purpose=\"kernel\"} 1"));
    CHECK(has(text, "rpi_tftpd_boot_files_completed_total{purpose=\"config\"} 2"));
    CHECK(has(text, "rpi_tftpd_boot_files_completed_total{purpose=\"initramfs\"} 0"));
    CHECK(has(text, "rpi_tftpd_boot_files_completed_total{purpose=\"other\"} 2"));
    // One series per purpose but the prefix probe (not a file), and "other".
    CHECK(count(text, "rpi_tftpd_boot_files_completed_total{") == Metrics::kBootFileSlots - 1);
    CHECK_FALSE(has(text, "purpose=\"prefix\""));
    CHECK_FALSE(has(text, "purpose=\"second stage\""));
}

TEST_CASE("the metrics-listen option needs an address and a port", "[metrics][settings]") {
    auto parse = [](std::vector<std::string> args, Settings& s) {
        args.insert(args.begin(), {"--config", "/dev/null", "--root", "/srv/tftp"});
        return parseSettings(args, s);
    };
    Settings s;
    REQUIRE(parse({}, s).status == ParseStatus::Ok);
    CHECK(s.metricsListen.empty());  // off by default
    REQUIRE(parse({"--metrics-listen", "127.0.0.1:9469"}, s).status == ParseStatus::Ok);
    CHECK(s.metricsListen == "127.0.0.1:9469");
    REQUIRE(parse({"--metrics-listen", "[::1]:9469"}, s).status == ParseStatus::Ok);
    for (const char* bad :
         {"127.0.0.1", "::1", "[::1]", "localhost:9469", "127.0.0.1:99999", "127.0.0.1:", ""}) {
        INFO(bad);
        auto r = parse({"--metrics-listen", bad}, s);
        CHECK(r.status == ParseStatus::Error);
        CHECK(r.text.find("--metrics-listen") != std::string::npos);
    }
}
