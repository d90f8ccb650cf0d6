// The probe's verdicts: every finding it can report, with its stable code (scripts, the README and
// the lab read them), its severity and its text, in one table (findings.cpp). Checks build
// findings only through makeFinding, so a code cannot be spelled twice or drift from its text.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace rpinetboot::probe {

enum class Verdict { Ok, Info, Warn, Fail };
const char* verdictName(Verdict v);  // "ok", "info", "warn", "fail"

// One row of the table each. A code may have a row per severity where the same problem fails
// one model and only warns another (the Pi 4 ignores config.txt without an OACK, older firmware
// just falls back); no two rows share code and severity.
enum class FindingId {
    // DHCP: the OFFERs
    NoOffer,
    BadUdpChecksum,
    NotAnOffer,
    NoOption43,
    NoPiBootText,
    NoRomPadding,
    Option43,
    NoOption54,
    NoOption60,
    ProxyOffer,
    Option66Nul,
    Option66Binary,
    Option66Hostname,
    NoOption66,
    SiaddrIgnored,
    PadOptions,
    AddressOffer,
    OfferIgnored,
    ProxyWithoutAddress,
    // DHCP: REQUEST and ACK
    DhcpNak,
    NoAck,
    // Routing (TFTP and NFS)
    RouteElsewhere,
    // TFTP
    TftpUnreachable,
    SerialDirMissing,
    FileMissing,
    FileUnreadable,
    TftpErrorRequired,
    TftpErrorOptional,
    TftpTimeout,
    TftpProtocol,
    NoOackEeprom,
    NoOackFirmware,
    KernelTooManyBlocksFirmware,
    KernelTooManyBlocksEeprom,
    FileTooManyBlocksFirmware,
    FileTooManyBlocksEeprom,
    // cmdline.txt
    NotNfsRoot,
    CmdlineNoNfsroot,
    CmdlineBadNfsroot,
    CmdlineBadVers,
    CmdlineNoVers,
    CmdlineNoIp,
    // NFS
    NfsServerNotAddress,
    NfsUnreachable,
    NfsNotExported,
    // A real Pi's boot as its boot events tell it (rpi-netboot-timeline); produced there, not by
    // the probe's checks (fromBootEvents()).
    BootNoOffer,
    BootNoAck,
    BootNoTftp,
    BootFileMissing,
    BootFileFailed,
    BootStalled,
    BootNoNfsMount,
    BootNfsRefused,
    BootNotAllowed,
};

struct FindingSpec {
    FindingId id;
    std::string_view code;  // stable, e.g. "no-option-43"; documented in the README
    Verdict verdict;
    std::string_view text;  // each "{}" takes the next argument of makeFinding
};

// The whole table, in FindingId order.
const std::vector<FindingSpec>& findingTable();
const FindingSpec& findingSpec(FindingId id);

struct Finding {
    FindingId id = FindingId::NoOffer;
    Verdict verdict = Verdict::Ok;
    std::string_view code;  // the table's (static storage)
    std::string message;    // one or two sentences an admin can act on
};

// The table's row with its placeholders filled in order. Missing arguments leave "{}" visible
// (the unit test checks every row is built with the right count).
Finding makeFinding(FindingId id, std::initializer_list<std::string> args = {});

// The rows rpi-netboot-timeline produces from a fleet's boot events rather than the probe from
// its own walk.
bool fromBootEvents(FindingId id);

// True when none of the findings is a failure.
bool sound(const std::vector<Finding>& findings);

}  // namespace rpinetboot::probe
