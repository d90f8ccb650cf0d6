// Statistics kept in Kea's StatsMgr, visible with statistic-get-all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rpinetboot/classify.h"

namespace rpinetboot::kea::stats {

inline const std::string kReceived = "pkt4-rpi-netboot-received";       // queries classified as Pi
inline const std::string kAnswered = "pkt4-rpi-netboot-answered";       // OFFER/ACK patched
inline const std::string kNotAllowed = "pkt4-rpi-netboot-not-allowed";  // refused by allow-lists
inline const std::string kMalformed = "pkt4-rpi-netboot-malformed";     // bad option 97/55
inline const std::string kRomHeld = "pkt4-rpi-netboot-rom-offers-held";
inline const std::string kRomConflict = "pkt4-rpi-netboot-rom-offers-dropped";
inline const std::string kRomConfirmed = "pkt4-rpi-netboot-rom-holds-confirmed";  // came back
inline const std::string kRomReleased = "pkt4-rpi-netboot-rom-holds-released";  // oldest given back
inline const std::string kRomCapReached = "pkt4-rpi-netboot-rom-hold-cap-reached";  // times
// Held OFFERs a library (Kea's HA hook) parked to send the hold to its partner, and those sent
// once it had (the difference: withheld, the partner did not acknowledge the hold).
inline const std::string kRomToPartner = "pkt4-rpi-netboot-rom-holds-to-partner";
inline const std::string kRomPartnerAcked = "pkt4-rpi-netboot-rom-holds-partner-acked";

// "pkt4-rpi-netboot-rom3-received" etc.: queries per stage class.
const std::string& receivedByClass(PiModel cls);  // no string built per packet

std::vector<std::string> all();
void reset();   // every statistic to 0 (load)
void remove();  // (unload)
// Adds n to one of the statistics above (pass the constant itself: it is cached by address).
void add(const std::string& name, std::int64_t n = 1);

}  // namespace rpinetboot::kea::stats
