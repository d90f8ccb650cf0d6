// Reading boot events back: the JSON lines the JSON sinks write and the fields the journal sink
// writes (README.md, "Boot events and bootloader logs"), for tools that read what the daemons
// reported (rpi-netboot-timeline).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "rpinetboot/boot_event.h"

namespace rpinetboot {

// One JSON object as toJson() writes it. nullopt and `error` (what is wrong, short) when the line
// is not JSON, not an object, has no known "step" or no "timestamp_us", or a field has the wrong
// type. Unknown keys are ignored (newer writers may add some).
std::optional<BootEvent> eventFromJson(std::string_view line, std::string& error);

// One journal entry's fields (RPI_STEP, RPI_SERIAL, ...; journalFields() names them). When
// RPI_TIMESTAMP_US is missing the journal's own __REALTIME_TIMESTAMP is used.
std::optional<BootEvent> eventFromJournalFields(const std::map<std::string, std::string>& fields,
                                                std::string& error);

}  // namespace rpinetboot
