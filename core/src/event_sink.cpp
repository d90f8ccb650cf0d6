#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "rpinetboot/event_sink.h"

namespace rpinetboot {

JsonLinesSink::JsonLinesSink(int fd, bool owned, std::string name)
    : fd_(fd), owned_(owned), name_(std::move(name)) {}

JsonLinesSink::~JsonLinesSink() {
    if (owned_ && fd_ >= 0) ::close(fd_);
}

std::unique_ptr<JsonLinesSink> JsonLinesSink::open(const std::string& path, std::string& error) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        error = "cannot open event file " + path + ": " + std::strerror(errno);
        return nullptr;
    }
    return std::make_unique<JsonLinesSink>(fd, true, "json:" + path);
}

void EventSink::emitBatch(const BootEvent* events, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) emit(events[i]);
}

void JsonLinesSink::emit(const BootEvent& event) {
    std::string line;
    appendJson(line, event);
    line += '\n';
    writeAll(line);
}

void JsonLinesSink::emitBatch(const BootEvent* events, std::size_t count) {
    std::string lines;
    lines.reserve(count * 320);  // a DHCP event's line is some 250 bytes
    for (std::size_t i = 0; i < count; ++i) {
        appendJson(lines, events[i]);
        lines += '\n';
    }
    writeAll(lines);
}

void JsonLinesSink::writeAll(const std::string& line) {
    // One write(2) of whole lines: O_APPEND makes it atomic against other writers of the file.
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            failures_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

bool journalAvailable() {
    struct stat st {};
    return ::stat("/run/systemd/journal/socket", &st) == 0 && S_ISSOCK(st.st_mode);
}

bool parseSinkSpec(const std::string& text, SinkSpec& out, std::string& error) {
    SinkSpec s;
    if (text == "auto") {
        s.kind = SinkSpec::Kind::Auto;
    } else if (text == "journal") {
        if (!journalSupported()) {
            error = "events: this build has no systemd journal support (use json:PATH or stderr)";
            return false;
        }
        s.kind = SinkSpec::Kind::Journal;
    } else if (text == "stderr") {
        s.kind = SinkSpec::Kind::Stderr;
    } else if (text == "none") {
        s.kind = SinkSpec::Kind::None;
    } else if (text.rfind("json:", 0) == 0 && text.size() > 5) {
        s.kind = SinkSpec::Kind::File;
        s.path = text.substr(5);
    } else {
        error = "events: '" + text + "' is not auto, journal, stderr, none or json:PATH";
        return false;
    }
    out = s;
    return true;
}

std::unique_ptr<EventSink> makeSink(const SinkSpec& spec, std::string& error) {
    switch (spec.kind) {
        case SinkSpec::Kind::None:
            return nullptr;
        case SinkSpec::Kind::Journal:
            if (!journalSupported()) {
                error = "events: this build has no systemd journal support";
                return nullptr;
            }
            if (!journalAvailable()) {
                error =
                    "events: the systemd journal is not running (no socket "
                    "/run/systemd/journal/socket); use auto, stderr or json:PATH";
                return nullptr;
            }
            return makeJournalSink();
        case SinkSpec::Kind::File: {
            auto sink = JsonLinesSink::open(spec.path, error);
            return sink;
        }
        case SinkSpec::Kind::Stderr:
            return std::make_unique<JsonLinesSink>(STDERR_FILENO, false, "stderr");
        case SinkSpec::Kind::Auto:
            break;
    }
    if (journalSupported() && journalAvailable()) return makeJournalSink();
    return std::make_unique<JsonLinesSink>(STDERR_FILENO, false, "stderr");
}

}  // namespace rpinetboot
