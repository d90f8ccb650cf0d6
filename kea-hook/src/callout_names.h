// The names the hook's callouts share with Kea and with each other: Kea's callout arguments (Kea
// Hooks Developer's Guide, per hook point) and the hook's callout-context keys and reply marks.
// Kea looks both up by std::string: made once here, not per packet.
#pragma once

#include <string>

namespace rpinetboot::kea {

// Kea's callout arguments.
inline const std::string kQueryArg = "query4";
inline const std::string kResponseArg = "response4";
inline const std::string kLeaseArg = "lease4";

// Callout context: pkt4_receive's PiDecision for a Pi's boot-phase query.
inline const std::string kContextKey = "rpi-netboot";
// Callout context: the registry's record of an OS-phase query's MAC (pkt4_receive).
inline const std::string kOsContextKey = "rpi-netboot-os";
// Callout context: the record an ACK's lease is to carry, written in buffer4_send (kRecordMark).
inline const std::string kRecordContextKey = "rpi-netboot-record";

// Marks, on the reply itself, what buffer4_send must do (Kea passes it only the reply, and a
// class test is far cheaper for the other replies than a missing context): hold a ROM OFFER, or
// write an ACK's identity record, each then handed to an HA partner (hold_replication.h).
inline const std::string kHoldMark = "RPI_NETBOOT_HOLD";
inline const std::string kRecordMark = "RPI_NETBOOT_RECORD";

}  // namespace rpinetboot::kea
