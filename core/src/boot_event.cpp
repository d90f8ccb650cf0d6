#include "rpinetboot/boot_event.h"

#include <array>
#include <ctime>

#include "event_format.h"

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
    std::string out;
    detail::appendBounded(out, detail::kSummaryFixed + detail::stringBytes(e),
                          [&e](char* p) { return detail::putSummary(p, e, detail::putRaw); });
    return out;
}

void buildJournalEntry(const BootEvent& e, JournalEntry& entry) {
    // Offsets first: `text` may move while it grows; the iovecs point into it once it is done.
    std::array<std::pair<std::size_t, std::size_t>, JournalEntry::kMaxFields> spans{};
    std::size_t n = 0;
    std::string& t = entry.text;
    t.clear();
    // Every field's name and '=' (under 400 bytes in all), numbers, and the strings twice (their
    // field and MESSAGE).
    const std::size_t room = 512 + detail::kSummaryFixed + 2 * detail::stringBytes(e);
    detail::appendBounded(t, room, [&](char* const begin) {
        char* p = begin;
        const auto open = [&] { spans[n].first = static_cast<std::size_t>(p - begin); };
        const auto close = [&] {
            spans[n].second = static_cast<std::size_t>(p - begin) - spans[n].first;
            ++n;
        };
        const auto field = [&](std::string_view nameEq, std::string_view value) {
            if (value.empty()) return;
            open();
            p = detail::putRaw(p, nameEq);
            p = detail::putRaw(p, value);
            close();
        };
        const auto number = [&](std::string_view nameEq, std::uint64_t value) {
            open();
            p = detail::putRaw(p, nameEq);
            p = detail::putU64(p, value);
            close();
        };
        open();
        p = detail::putLiteral(p, "MESSAGE=");
        p = detail::putSummary(p, e, detail::putRaw);
        close();
        field("MESSAGE_ID=", kBootEventMessageId);
        // syslog priorities (RFC 5424): warning for a failed step, info otherwise.
        field("PRIORITY=", e.outcome == Outcome::Failed ? "4" : "6");
        field("SYSLOG_IDENTIFIER=", e.source);
        field("RPI_STEP=", stepName(e.step));
        number("RPI_TIMESTAMP_US=", e.timestampUs);
        field("RPI_SOURCE=", e.source);
        field("RPI_SERIAL=", e.serial);
        field("RPI_MAC=", e.mac);
        field("RPI_ADDRESS=", e.address);
        field("RPI_MODEL=", e.model);
        field("RPI_FILE=", e.file);
        if (e.bytes) number("RPI_BYTES=", *e.bytes);
        if (e.durationUs) number("RPI_DURATION_US=", *e.durationUs);
        field("RPI_OUTCOME=", outcomeName(e.outcome));
        field("RPI_ERROR=", e.error);
        field("RPI_TEXT=", e.text);
        field("RPI_PHASE=", e.phase);
        return p;
    });
    for (std::size_t i = 0; i < n; ++i) {
        entry.iov[i].iov_base = &t[spans[i].first];
        entry.iov[i].iov_len = spans[i].second;
    }
    entry.count = n;
}

std::vector<std::pair<std::string, std::string>> journalFields(const BootEvent& e) {
    JournalEntry entry;
    buildJournalEntry(e, entry);
    std::vector<std::pair<std::string, std::string>> f;
    for (std::size_t i = 0; i < entry.count; ++i) {
        const std::string_view item(static_cast<const char*>(entry.iov[i].iov_base),
                                    entry.iov[i].iov_len);
        const auto eq = item.find('=');
        f.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    }
    return f;
}

}  // namespace rpinetboot
