// The probe's three stages, in the order a Pi boots. Each sends and receives, records what came
// back as plain facts (probe/checks: ReplyFact, TransferObservation, ExportFacts) and hands them
// to the checks, which alone decide findings; the stage writes the timeline and the findings into
// the report. The Pi itself decides mid-exchange (which OFFER to REQUEST, where the prefix
// points), so the stages ask the checks as they go rather than after the fact.
// Local errors (no such interface, no permission) are thrown as std::system_error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "interface_route.h"
#include "options.h"
#include "report.h"
#include "rpinetboot/probe/cmdline_check.h"

namespace rpinetboot::probe {

struct DhcpOutcome {
    std::uint32_t address = 0;     // yiaddr of the chosen OFFER
    std::uint32_t tftpServer = 0;  // where the Pi will fetch from
};

// DISCOVER, OFFERs, REQUEST/ACK. nullopt when the Pi would not get as far as TFTP.
std::optional<DhcpOutcome> runDhcp(const ProbeOptions& opt, Report& report);

struct TftpWalkOutcome {
    bool reached = false;                // the server answered at all
    std::optional<std::string> cmdline;  // cmdline.txt as fetched
};

TftpWalkOutcome runTftp(const ProbeOptions& opt, const InterfaceInfo& iface, std::uint32_t server,
                        Report& report);

// Asks mountd whether `root` is exported to `piAddress`.
void runNfs(const ProbeOptions& opt, const InterfaceInfo& iface, const NfsRoot& root,
            std::uint32_t piAddress, Report& report);

}  // namespace rpinetboot::probe
