// One step of one Pi's network boot, as every component reports it (README.md, "Boot events and
// bootloader logs").
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rpinetboot {

// The steps of a network boot in the order a healthy Pi goes through them (docs/protocol/boot.md).
enum class BootStep {
    Discover,        // DHCPDISCOVER seen
    OfferHeld,       // the offer is delayed on purpose (the Pi 3B ROM, docs/protocol/dhcp.md)
    OfferSent,       // DHCPOFFER sent
    Request,         // DHCPREQUEST seen
    Ack,             // DHCPACK sent
    TftpFile,        // one TFTP read ended (file, bytes, duration, outcome)
    BootFilesDone,   // the firmware fetched its last boot file (kernel, initramfs)
    NfsMount,        // the Pi's address mounted its NFS root
    NetconsoleLine,  // one bootloader log line received over NETCONSOLE
};

// "DISCOVER", "OFFER_HELD", ... (the RPI_STEP journal field and the JSON "step").
std::string_view stepName(BootStep step);
std::optional<BootStep> parseStep(std::string_view name);

enum class Outcome { None, Ok, Failed };
std::string_view outcomeName(Outcome outcome);  // "", "ok", "failed"

struct BootEvent {
    BootStep step = BootStep::Discover;
    std::uint64_t timestampUs = 0;  // microseconds since the Unix epoch (CLOCK_REALTIME)
    std::string source;             // the component: "kea-hook", "rpi-tftpd", "rpi-netconsoled"
    // The Pi's identity; empty when the reporting component does not know it.
    std::string serial;   // 8 lower-case hex digits, "1a2b3c04"
    std::string mac;      // "dc:a6:32:01:36:c2" (lower case, colons)
    std::string address;  // dotted IPv4
    std::string model;    // "pi4", "pi5", ... as the reporter names it
    // What the step carried.
    std::string file;                         // TFTP file name
    std::optional<std::uint64_t> bytes;       // bytes sent
    std::optional<std::uint64_t> durationUs;  // how long the step took
    Outcome outcome = Outcome::None;
    std::string error;  // why it failed
    std::string text;   // a NETCONSOLE line, or any free detail
    // "os" for a DHCP exchange of the Linux a Pi booted (docs/kea.md, "Identity"); empty for
    // the boot itself.
    std::string phase;
};

// Microseconds since the Unix epoch, now.
std::uint64_t nowMicros();

// A one-line human summary (the journal's MESSAGE), e.g.
// "TFTP_FILE 1a2b3c04 dc:a6:32:01:36:c2 192.0.2.10 start4.elf 2250000 bytes 120 ms ok".
std::string summary(const BootEvent& event);

// The event as one JSON object on one line (no trailing newline). Bytes that are not valid UTF-8
// become U+FFFD, control characters are escaped: any input gives valid JSON.
std::string toJson(const BootEvent& event);
// The same line appended to `out` (no newline): a writer that reuses its buffer allocates nothing.
void appendJson(std::string& out, const BootEvent& event);

// The journal fields, NAME=value pairs: MESSAGE, MESSAGE_ID, PRIORITY, SYSLOG_IDENTIFIER and the
// RPI_* fields (empty ones left out). Values are raw bytes (the journal accepts any).
std::vector<std::pair<std::string, std::string>> journalFields(const BootEvent& event);

// The same fields as sd_journal_sendv(3) takes them: "NAME=value" items laid out in `text`, one
// iovec each. Reused from one event to the next it allocates nothing once `text` has room.
struct JournalEntry {
    static constexpr std::size_t kMaxFields = 20;  // 18 at most today
    std::string text;
    std::array<iovec, kMaxFields> iov{};
    std::size_t count = 0;
};
void buildJournalEntry(const BootEvent& event, JournalEntry& entry);

// MESSAGE_ID shared by every boot event (`journalctl MESSAGE_ID=...`).
constexpr const char* kBootEventMessageId = "4c0a6b1e9d2f4e3a8b57c1d0e2f3a4b5";

}  // namespace rpinetboot
