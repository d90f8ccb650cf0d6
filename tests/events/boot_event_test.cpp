// Boot events: names, the JSON line (parsed back with a real JSON parser), the journal fields,
// and the JSON-lines sink.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "rpinetboot/boot_event.h"
#include "rpinetboot/boot_plan.h"  // with boot_event.h: no name is declared twice
#include "rpinetboot/event_sink.h"
#include "sample_event.h"

using namespace rpinetboot;
using nlohmann::json;

namespace {

std::string fieldValue(const std::vector<std::pair<std::string, std::string>>& fields,
                       const std::string& name) {
    for (const auto& [n, v] : fields) {
        if (n == name) return v;
    }
    return "<absent>";
}

}  // namespace

TEST_CASE("step names round-trip and match the journal vocabulary", "[events]") {
    const BootStep all[] = {BootStep::Discover,      BootStep::OfferHeld, BootStep::OfferSent,
                            BootStep::Request,       BootStep::Ack,       BootStep::TftpFile,
                            BootStep::BootFilesDone, BootStep::NfsMount,  BootStep::NetconsoleLine};
    for (auto s : all) {
        CHECK(parseStep(stepName(s)) == s);
    }
    CHECK(stepName(BootStep::OfferHeld) == "OFFER_HELD");
    CHECK(stepName(BootStep::NetconsoleLine) == "NETCONSOLE_LINE");
    CHECK_FALSE(parseStep("offer_held").has_value());
    CHECK_FALSE(parseStep("").has_value());
}

TEST_CASE("a TFTP event renders as one JSON line with every field", "[events]") {
    const std::string line = toJson(sampleTftpEvent());
    CHECK(line.find('\n') == std::string::npos);
    const json j = json::parse(line);
    CHECK(j["timestamp_us"] == 1796497318163410u);
    CHECK(j["step"] == "TFTP_FILE");
    CHECK(j["source"] == "rpi-tftpd");
    CHECK(j["serial"] == "1a2b3c04");
    CHECK(j["mac"] == "dc:a6:32:01:36:c2");
    CHECK(j["address"] == "192.0.2.10");
    CHECK(j["model"] == "pi4");
    CHECK(j["file"] == "1a2b3c04/start4.elf");
    CHECK(j["bytes"] == 2250000u);
    CHECK(j["duration_us"] == 120500u);
    CHECK(j["outcome"] == "ok");
    CHECK(j["message"] ==
          "TFTP_FILE 1a2b3c04 dc:a6:32:01:36:c2 192.0.2.10 1a2b3c04/start4.elf 2250000 bytes "
          "120 ms ok");
    CHECK_FALSE(j.contains("error"));
    CHECK_FALSE(j.contains("text"));
}

TEST_CASE("unknown fields are left out of the JSON, zero numbers are kept", "[events]") {
    BootEvent e;
    e.step = BootStep::Discover;
    e.mac = "dc:a6:32:01:36:c2";
    e.bytes = 0;
    const json j = json::parse(toJson(e));
    CHECK(j["timestamp_us"] == 0u);
    CHECK(j["bytes"] == 0u);
    for (const char* absent : {"serial", "address", "model", "file", "duration_us", "outcome",
                               "error", "text", "source"}) {
        INFO(absent);
        CHECK_FALSE(j.contains(absent));
    }
    CHECK(toJson(e) == R"({"timestamp_us":0,"step":"DISCOVER","mac":"dc:a6:32:01:36:c2","bytes":0,)"
                       R"("message":"DISCOVER dc:a6:32:01:36:c2 0 bytes"})");
}

TEST_CASE("JSON escaping: quotes, backslashes, control characters", "[events]") {
    BootEvent e;
    e.step = BootStep::NetconsoleLine;
    static const char raw[] = "a\"b\\c\nd\re\tf\x01g\x7fh\0i";
    e.text = std::string(raw, sizeof raw - 1);
    const std::string line = toJson(e);
    CHECK(line.find(R"("text":"a\"b\\c\nd\re\tf\u0001g\u007fh\u0000i")") != std::string::npos);
    CHECK(json::parse(line)["text"] == e.text);
}

TEST_CASE("JSON escaping: valid UTF-8 passes, invalid bytes become U+FFFD", "[events]") {
    BootEvent e;
    e.step = BootStep::NetconsoleLine;
    SECTION("valid two-, three- and four-byte sequences") {
        e.text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\x93";
        CHECK(json::parse(toJson(e))["text"] == e.text);
    }
    SECTION("invalid sequences") {
        struct Case {
            std::string in, out;
        } cases[] = {
            {"\xff", "\xef\xbf\xbd"},                                  // never valid
            {"a\xc3", "a\xef\xbf\xbd"},                                // truncated at the end
            {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                  // overlong '/'
            {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},  // a surrogate
            {"\xf4\x90\x80\x80x",
             "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx"},  // > U+10FFFF
            {"\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd"},               // truncated three-byte
        };
        for (const auto& c : cases) {
            e.text = c.in;
            const std::string line = toJson(e);
            INFO(line);
            // nlohmann's parser rejects invalid UTF-8: parsing proves the line is valid JSON.
            CHECK(json::parse(line)["text"] == c.out);
        }
    }
}

TEST_CASE("journal fields: names, values, empty ones left out", "[events]") {
    auto fields = journalFields(sampleTftpEvent());
    CHECK(fieldValue(fields, "MESSAGE") == summary(sampleTftpEvent()));
    CHECK(fieldValue(fields, "MESSAGE_ID") == kBootEventMessageId);
    CHECK(fieldValue(fields, "PRIORITY") == "6");
    CHECK(fieldValue(fields, "SYSLOG_IDENTIFIER") == "rpi-tftpd");
    CHECK(fieldValue(fields, "RPI_STEP") == "TFTP_FILE");
    CHECK(fieldValue(fields, "RPI_SERIAL") == "1a2b3c04");
    CHECK(fieldValue(fields, "RPI_MAC") == "dc:a6:32:01:36:c2");
    CHECK(fieldValue(fields, "RPI_ADDRESS") == "192.0.2.10");
    CHECK(fieldValue(fields, "RPI_MODEL") == "pi4");
    CHECK(fieldValue(fields, "RPI_FILE") == "1a2b3c04/start4.elf");
    CHECK(fieldValue(fields, "RPI_BYTES") == "2250000");
    CHECK(fieldValue(fields, "RPI_DURATION_US") == "120500");
    CHECK(fieldValue(fields, "RPI_OUTCOME") == "ok");
    CHECK(fieldValue(fields, "RPI_TIMESTAMP_US") == "1796497318163410");
    CHECK(fieldValue(fields, "RPI_ERROR") == "<absent>");
    CHECK(fieldValue(fields, "RPI_TEXT") == "<absent>");
    // Journal field names: upper-case letters, digits and '_' only, not starting with '_'.
    for (const auto& [name, value] : fields) {
        INFO(name);
        CHECK(name.front() != '_');
        CHECK(name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos);
    }

    BootEvent failed = sampleTftpEvent();
    failed.outcome = Outcome::Failed;
    failed.error = "file not found";
    fields = journalFields(failed);
    CHECK(fieldValue(fields, "PRIORITY") == "4");
    CHECK(fieldValue(fields, "RPI_ERROR") == "file not found");
    CHECK(fieldValue(fields, "MESSAGE").find("failed (file not found)") != std::string::npos);
}

TEST_CASE("nowMicros is wall-clock microseconds", "[events]") {
    const auto t = nowMicros();
    CHECK(t > 1600000000ull * 1000000ull);
    CHECK(t / 1000000u <= static_cast<std::uint64_t>(::time(nullptr)) + 1);
}

TEST_CASE("the JSON-lines sink appends one line per event to its file", "[events]") {
    char path[] = "/tmp/rpinb-events-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    std::string error;
    {
        auto sink = JsonLinesSink::open(path, error);
        REQUIRE(sink);
        CHECK(sink->describe() == std::string("json:") + path);
        sink->emit(sampleTftpEvent());
        BootEvent line;
        line.step = BootStep::NetconsoleLine;
        line.text = "Stopping network\n";
        sink->emit(line);
        CHECK(sink->failures() == 0);
    }
    std::ifstream in(path);
    std::string first, second, third;
    REQUIRE(std::getline(in, first));
    REQUIRE(std::getline(in, second));
    CHECK_FALSE(std::getline(in, third));
    CHECK(json::parse(first)["file"] == "1a2b3c04/start4.elf");
    CHECK(json::parse(second)["text"] == "Stopping network\n");
    ::unlink(path);

    CHECK_FALSE(JsonLinesSink::open("/nonexistent-dir/events.json", error));
    CHECK(error.find("/nonexistent-dir/events.json") != std::string::npos);
}

TEST_CASE("a sink that cannot write counts the failure", "[events]") {
    const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    JsonLinesSink sink(fd, true, "full");
    sink.emit(sampleTftpEvent());
    CHECK(sink.failures() == 1);
}

TEST_CASE("sink specs", "[events]") {
    SinkSpec spec;
    std::string error;
    CHECK(parseSinkSpec("auto", spec, error));
    CHECK(spec.kind == SinkSpec::Kind::Auto);
    CHECK(parseSinkSpec("stderr", spec, error));
    CHECK(spec.kind == SinkSpec::Kind::Stderr);
    CHECK(parseSinkSpec("none", spec, error));
    CHECK(spec.kind == SinkSpec::Kind::None);
    CHECK(parseSinkSpec("json:/var/log/rpi.json", spec, error));
    CHECK(spec.kind == SinkSpec::Kind::File);
    CHECK(spec.path == "/var/log/rpi.json");
    CHECK(parseSinkSpec("journal", spec, error) == journalSupported());
    for (const char* bad : {"", "json:", "JOURNAL", "file:/x", "syslog"}) {
        INFO(bad);
        SinkSpec before;
        before.kind = SinkSpec::Kind::Stderr;
        SinkSpec s = before;
        error.clear();
        CHECK_FALSE(parseSinkSpec(bad, s, error));
        CHECK_FALSE(error.empty());
        CHECK(s.kind == SinkSpec::Kind::Stderr);  // unchanged
    }
    spec.kind = SinkSpec::Kind::None;
    CHECK(makeSink(spec, error) == nullptr);
    spec.kind = SinkSpec::Kind::File;
    spec.path = "/nonexistent-dir/x.json";
    error.clear();
    CHECK(makeSink(spec, error) == nullptr);
    CHECK_FALSE(error.empty());
    spec.kind = SinkSpec::Kind::Stderr;
    auto sink = makeSink(spec, error);
    REQUIRE(sink);
    CHECK(sink->describe() == "stderr");
}

TEST_CASE("a boot plan's file step and a boot event's step share a translation unit") {
    // tftpd's metrics and the timeline read both: BootFileStep (the plan) and BootStep (events).
    const BootFileStep planned{StepKind::File, "start4.elf", true, {}, FilePurpose::Firmware};
    BootEvent fetched = sampleTftpEvent();
    CHECK(fetched.step == BootStep::TftpFile);
    CHECK(stepName(fetched.step) == "TFTP_FILE");
    CHECK(fetched.file.substr(fetched.file.find('/') + 1) == planned.file);
}
