// The journal sink: structured fields through sd_journal_sendv(3), so that
// `journalctl RPI_SERIAL=1a2b3c04` finds every step of one Pi.
#include "rpinetboot/event_sink.h"

#ifdef RPI_NETBOOT_WITH_SYSTEMD
#define SD_JOURNAL_SUPPRESS_LOCATION  // CODE_FILE/CODE_LINE would name this file, not the caller
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#endif

namespace rpinetboot {

#ifdef RPI_NETBOOT_WITH_SYSTEMD
namespace {

class JournalSink : public EventSink {
  public:
    void emit(const BootEvent& event) override {
        // sd_journal_sendv() returns success when the socket is missing (it drops silently);
        // a journal that went away must show in failures().
        if (!journalAvailable()) {
            failures_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        // One entry per writer thread, reused: its text keeps its room, the iovecs are fixed.
        thread_local JournalEntry entry;
        buildJournalEntry(event, entry);
        if (::sd_journal_sendv(entry.iov.data(), static_cast<int>(entry.count)) < 0) {
            failures_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    std::string describe() const override { return "journal"; }
};

}  // namespace

bool journalSupported() {
    return true;
}
std::unique_ptr<EventSink> makeJournalSink() {
    return std::make_unique<JournalSink>();
}
#else
bool journalSupported() {
    return false;
}
std::unique_ptr<EventSink> makeJournalSink() {
    return nullptr;
}
#endif

}  // namespace rpinetboot
