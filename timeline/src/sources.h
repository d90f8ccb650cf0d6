// Where rpi-netboot-timeline reads boot events: JSON-lines files and the systemd journal.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

#include "rpinetboot/boot_event.h"

namespace rpinetboot::timeline {

struct ReadResult {
    std::vector<BootEvent> events;
    std::size_t skipped = 0;             // lines or entries that are not boot events
    std::vector<std::string> skipNotes;  // the first few, "FILE:LINE: why"
};

// One event per line; blank lines are ignored, anything else that is not an event is skipped
// and noted. Lines longer than 1 MiB are skipped without being held whole.
void readJsonLines(std::istream& in, const std::string& name, ReadResult& out);

// Every entry with the boot events' MESSAGE_ID, from the local journal or the journal files in
// `directory`. False and `error` when the journal cannot be opened.
bool readJournal(const std::string& directory, ReadResult& out, std::string& error);

}  // namespace rpinetboot::timeline
