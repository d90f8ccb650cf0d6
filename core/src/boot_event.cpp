#include "rpinetboot/boot_event.h"

#include <array>
#include <ctime>

namespace rpinetboot {
namespace {

constexpr std::array<std::pair<BootStep, std::string_view>, 9> kSteps{{
    {BootStep::Discover, "DISCOVER"},
    {BootStep::OfferHeld, "OFFER_HELD"},
    {BootStep::OfferSent, "OFFER_SENT"},
    {BootStep::Request, "REQUEST"},
    {BootStep::Ack, "ACK"},
    {BootStep::TftpFile, "TFTP_FILE"},
    {BootStep::BootFilesDone, "BOOT_FILES_DONE"},
    {BootStep::NfsMount, "NFS_MOUNT"},
    {BootStep::NetconsoleLine, "NETCONSOLE_LINE"},
}};

void append(std::string& out, std::string_view part) {
    if (part.empty()) return;
    if (!out.empty()) out += ' ';
    out += part;
}

}  // namespace

std::string_view stepName(BootStep step) {
    for (const auto& [s, name] : kSteps) {
        if (s == step) return name;
    }
    return "UNKNOWN";
}

std::optional<BootStep> parseStep(std::string_view name) {
    for (const auto& [s, n] : kSteps) {
        if (n == name) return s;
    }
    return std::nullopt;
}

std::string_view outcomeName(Outcome outcome) {
    switch (outcome) {
        case Outcome::Ok:
            return "ok";
        case Outcome::Failed:
            return "failed";
        case Outcome::None:
            break;
    }
    return "";
}

std::uint64_t nowMicros() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
           static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

std::string summary(const BootEvent& e) {
    std::string out(stepName(e.step));
    append(out, e.serial);
    append(out, e.mac);
    append(out, e.address);
    append(out, e.file);
    if (e.bytes) append(out, std::to_string(*e.bytes) + " bytes");
    if (e.durationUs) append(out, std::to_string(*e.durationUs / 1000) + " ms");
    append(out, outcomeName(e.outcome));
    if (!e.error.empty()) append(out, "(" + e.error + ")");
    if (!e.text.empty()) append(out, "| " + e.text);
    return out;
}

std::vector<std::pair<std::string, std::string>> journalFields(const BootEvent& e) {
    std::vector<std::pair<std::string, std::string>> f;
    f.emplace_back("MESSAGE", summary(e));
    f.emplace_back("MESSAGE_ID", kBootEventMessageId);
    // syslog priorities (RFC 5424): warning for a failed step, info otherwise.
    f.emplace_back("PRIORITY", e.outcome == Outcome::Failed ? "4" : "6");
    if (!e.source.empty()) f.emplace_back("SYSLOG_IDENTIFIER", e.source);
    f.emplace_back("RPI_STEP", std::string(stepName(e.step)));
    f.emplace_back("RPI_TIMESTAMP_US", std::to_string(e.timestampUs));
    auto add = [&f](const char* name, const std::string& value) {
        if (!value.empty()) f.emplace_back(name, value);
    };
    add("RPI_SOURCE", e.source);
    add("RPI_SERIAL", e.serial);
    add("RPI_MAC", e.mac);
    add("RPI_ADDRESS", e.address);
    add("RPI_MODEL", e.model);
    add("RPI_FILE", e.file);
    if (e.bytes) f.emplace_back("RPI_BYTES", std::to_string(*e.bytes));
    if (e.durationUs) f.emplace_back("RPI_DURATION_US", std::to_string(*e.durationUs));
    add("RPI_OUTCOME", std::string(outcomeName(e.outcome)));
    add("RPI_ERROR", e.error);
    add("RPI_TEXT", e.text);
    add("RPI_PHASE", e.phase);
    return f;
}

}  // namespace rpinetboot
