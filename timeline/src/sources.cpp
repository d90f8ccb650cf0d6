#include "sources.h"

#include <systemd/sd-journal.h>
#include <cstring>
#include <map>
#include <memory>

#include "rpinetboot/boot_event_parse.h"

namespace rpinetboot::timeline {
namespace {

constexpr std::size_t kMaxLine = 1 << 20;
constexpr std::size_t kMaxNotes = 5;

void skip(ReadResult& out, const std::string& where, const std::string& why) {
    ++out.skipped;
    if (out.skipNotes.size() < kMaxNotes) out.skipNotes.push_back(where + ": " + why);
}

}  // namespace

void readJsonLines(std::istream& in, const std::string& name, ReadResult& out) {
    std::string line;
    std::size_t number = 0;
    while (true) {
        line.clear();
        bool tooLong = false;
        char c;
        bool any = false;
        while (in.get(c)) {
            any = true;
            if (c == '\n') break;
            if (line.size() < kMaxLine) {
                line += c;
            } else {
                tooLong = true;
            }
        }
        if (!any) break;
        ++number;
        const std::string where = name + ":" + std::to_string(number);
        if (tooLong) {
            skip(out, where, "line longer than 1 MiB");
            continue;
        }
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::string error;
        if (auto e = eventFromJson(line, error)) {
            out.events.push_back(std::move(*e));
        } else {
            skip(out, where, error);
        }
    }
}

bool readJournal(const std::string& directory, ReadResult& out, std::string& error) {
    sd_journal* raw = nullptr;
    const int r = directory.empty() ? sd_journal_open(&raw, SD_JOURNAL_LOCAL_ONLY)
                                    : sd_journal_open_directory(&raw, directory.c_str(), 0);
    if (r < 0) {
        error = "cannot open the journal" + (directory.empty() ? "" : " in " + directory) + ": " +
                std::strerror(-r);
        return false;
    }
    std::unique_ptr<sd_journal, decltype(&sd_journal_close)> journal(raw, sd_journal_close);
    const std::string match = std::string("MESSAGE_ID=") + kBootEventMessageId;
    if (sd_journal_add_match(raw, match.data(), match.size()) < 0) {
        error = "cannot filter the journal by MESSAGE_ID";
        return false;
    }
    std::size_t entry = 0;
    while (sd_journal_next(raw) > 0) {
        ++entry;
        std::map<std::string, std::string> fields;
        const void* data = nullptr;
        std::size_t length = 0;
        sd_journal_restart_data(raw);
        while (sd_journal_enumerate_data(raw, &data, &length) > 0) {
            const std::string_view field(static_cast<const char*>(data), length);
            const auto eq = field.find('=');
            if (eq == std::string_view::npos) continue;
            const auto key = field.substr(0, eq);
            if (key.substr(0, 4) != "RPI_") continue;
            fields.emplace(std::string(key), std::string(field.substr(eq + 1)));
        }
        std::uint64_t realtime = 0;
        if (sd_journal_get_realtime_usec(raw, &realtime) >= 0) {
            fields.emplace("__REALTIME_TIMESTAMP", std::to_string(realtime));
        }
        std::string why;
        if (auto e = eventFromJournalFields(fields, why)) {
            out.events.push_back(std::move(*e));
        } else {
            skip(out, "journal entry " + std::to_string(entry), why);
        }
    }
    return true;
}

}  // namespace rpinetboot::timeline
