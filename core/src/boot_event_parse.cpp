// Boot events read back from JSON lines and journal fields; the inverse of boot_event_json.cpp and
// journalFields(). Strict about the fields a reader relies on (step, timestamp), lenient about
// unknown ones.
#include "rpinetboot/boot_event_parse.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace rpinetboot {
namespace {

std::optional<std::uint64_t> parseUnsigned(std::string_view text) {
    std::uint64_t value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
    return value;
}

std::optional<Outcome> parseOutcome(std::string_view text) {
    if (text.empty()) return Outcome::None;
    if (text == "ok") return Outcome::Ok;
    if (text == "failed") return Outcome::Failed;
    return std::nullopt;
}

}  // namespace

std::optional<BootEvent> eventFromJson(std::string_view line, std::string& error) {
    using nlohmann::json;
    json j = json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded()) {
        error = "not JSON";
        return std::nullopt;
    }
    if (!j.is_object()) {
        error = "not a JSON object";
        return std::nullopt;
    }
    BootEvent e;
    auto step = j.find("step");
    if (step == j.end() || !step->is_string()) {
        error = "no \"step\"";
        return std::nullopt;
    }
    auto parsed = parseStep(step->get<std::string>());
    if (!parsed) {
        error = "unknown step \"" + step->get<std::string>() + "\"";
        return std::nullopt;
    }
    e.step = *parsed;
    auto ts = j.find("timestamp_us");
    if (ts == j.end() || !ts->is_number_unsigned()) {
        error = "no \"timestamp_us\"";
        return std::nullopt;
    }
    e.timestampUs = ts->get<std::uint64_t>();
    struct Text {
        const char* key;
        std::string BootEvent::*member;
    };
    static const Text kTexts[] = {{"source", &BootEvent::source}, {"serial", &BootEvent::serial},
                                  {"mac", &BootEvent::mac},       {"address", &BootEvent::address},
                                  {"model", &BootEvent::model},   {"file", &BootEvent::file},
                                  {"error", &BootEvent::error},   {"text", &BootEvent::text},
                                  {"phase", &BootEvent::phase}};
    for (const auto& t : kTexts) {
        auto it = j.find(t.key);
        if (it == j.end()) continue;
        if (!it->is_string()) {
            error = std::string("\"") + t.key + "\" is not a string";
            return std::nullopt;
        }
        e.*t.member = it->get<std::string>();
    }
    for (auto [key, member] : {std::pair{"bytes", &BootEvent::bytes},
                               std::pair{"duration_us", &BootEvent::durationUs}}) {
        auto it = j.find(key);
        if (it == j.end()) continue;
        if (!it->is_number_unsigned()) {
            error = std::string("\"") + key + "\" is not a non-negative integer";
            return std::nullopt;
        }
        e.*member = it->get<std::uint64_t>();
    }
    if (auto it = j.find("outcome"); it != j.end()) {
        auto outcome = it->is_string() ? parseOutcome(it->get<std::string>()) : std::nullopt;
        if (!outcome) {
            error = "\"outcome\" is neither \"ok\" nor \"failed\"";
            return std::nullopt;
        }
        e.outcome = *outcome;
    }
    return e;
}

std::optional<BootEvent> eventFromJournalFields(const std::map<std::string, std::string>& fields,
                                                std::string& error) {
    auto get = [&fields](const char* name) -> const std::string* {
        auto it = fields.find(name);
        return it == fields.end() ? nullptr : &it->second;
    };
    BootEvent e;
    const std::string* step = get("RPI_STEP");
    if (!step) {
        error = "no RPI_STEP";
        return std::nullopt;
    }
    auto parsed = parseStep(*step);
    if (!parsed) {
        error = "unknown RPI_STEP \"" + *step + "\"";
        return std::nullopt;
    }
    e.step = *parsed;
    const std::string* ts = get("RPI_TIMESTAMP_US");
    if (!ts) ts = get("__REALTIME_TIMESTAMP");
    auto micros = ts ? parseUnsigned(*ts) : std::nullopt;
    if (!micros) {
        error = "no RPI_TIMESTAMP_US";
        return std::nullopt;
    }
    e.timestampUs = *micros;
    struct Text {
        const char* name;
        std::string BootEvent::*member;
    };
    static const Text kTexts[] = {
        {"RPI_SOURCE", &BootEvent::source}, {"RPI_SERIAL", &BootEvent::serial},
        {"RPI_MAC", &BootEvent::mac},       {"RPI_ADDRESS", &BootEvent::address},
        {"RPI_MODEL", &BootEvent::model},   {"RPI_FILE", &BootEvent::file},
        {"RPI_ERROR", &BootEvent::error},   {"RPI_TEXT", &BootEvent::text},
        {"RPI_PHASE", &BootEvent::phase}};
    for (const auto& t : kTexts) {
        if (const std::string* v = get(t.name)) e.*t.member = *v;
    }
    for (auto [name, member] : {std::pair{"RPI_BYTES", &BootEvent::bytes},
                                std::pair{"RPI_DURATION_US", &BootEvent::durationUs}}) {
        const std::string* v = get(name);
        if (!v) continue;
        auto n = parseUnsigned(*v);
        if (!n) {
            error = std::string(name) + " is not a number";
            return std::nullopt;
        }
        e.*member = *n;
    }
    if (const std::string* v = get("RPI_OUTCOME")) {
        auto outcome = parseOutcome(*v);
        if (!outcome) {
            error = "RPI_OUTCOME is neither ok nor failed";
            return std::nullopt;
        }
        e.outcome = *outcome;
    }
    return e;
}

}  // namespace rpinetboot
