// rpi-netboot-timeline's output: the fleet table, one Pi's timeline, and both as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "rpinetboot/timeline/fleet.h"

namespace rpinetboot::timeline {

// "2026-12-05 22:10:03" (UTC).
std::string utcTime(std::uint64_t us);
// "850 ms", "4.2 s", "3 min 20 s".
std::string humanDuration(std::uint64_t us);

void printFleet(std::ostream& out, const Fleet& fleet);
void printPi(std::ostream& out, const Pi& pi);

nlohmann::json piSummaryJson(const Pi& pi);
nlohmann::json fleetJson(const Fleet& fleet);
nlohmann::json piJson(const Pi& pi);  // the summary plus "steps" of the last boot

}  // namespace rpinetboot::timeline
