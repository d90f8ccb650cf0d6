// rpi-netboot-probe: behave like one Raspberry Pi on an interface and say why it would not boot.
// Exit codes: 0 sound, 1 not sound, 2 usage or bad input, 3 local error.
#include <iostream>
#include <system_error>

#include "interface_route.h"
#include "options.h"
#include "report.h"
#include "rpinetboot/dhcp_packet.h"
#include "stages.h"

using namespace rpinetboot;
using namespace rpinetboot::probe;

namespace {

constexpr int kExitSound = 0, kExitNotSound = 1, kExitUsage = 2, kExitLocal = 3;

int runProbe(const ProbeOptions& opt) {
    const InterfaceInfo iface = lookupInterface(opt.interface);
    Report report;
    report.model = std::string(piModelName(opt.pi.model));
    report.mac = opt.pi.mac.str();
    report.serial = opt.pi.serial.str();
    report.interface = opt.interface;
    if (!iface.up) {
        throw std::system_error(ENETDOWN, std::generic_category(), "interface " + opt.interface);
    }

    std::uint32_t piAddress = 0, tftpServer = 0;
    bool goOn = true;
    if (opt.tftpOnly) {
        tftpServer = *parseIpv4(*opt.tftpOnly);
        piAddress = iface.addresses.empty() ? 0 : iface.addresses.front();
        report.step("dhcp", "skipped", Verdict::Info,
                    "--tftp-only " + *opt.tftpOnly + "; the Pi's address is taken as " +
                        ipv4ToString(piAddress) + " (" + opt.interface + ")");
        report.address = ipv4ToString(piAddress);
    } else if (auto dhcp = runDhcp(opt, report)) {
        piAddress = dhcp->address;
        tftpServer = dhcp->tftpServer;
    } else {
        goOn = false;
    }
    if (goOn) {
        const TftpWalkOutcome walk = runTftp(opt, iface, tftpServer, report);
        if (walk.cmdline) {
            const CmdlineAssessment cmdline = assessCmdline(*walk.cmdline);
            for (const auto& f : cmdline.findings) report.finding(f, "cmdline");
            report.step("cmdline", "cmdline.txt",
                        sound(cmdline.findings) ? Verdict::Ok : Verdict::Fail,
                        cmdline.nfsroot
                            ? "NFS root " + cmdline.nfsroot->server + ":" + cmdline.nfsroot->path
                            : "no NFS root");
            if (cmdline.nfsroot) runNfs(opt, iface, *cmdline.nfsroot, piAddress, report);
        }
    }
    if (opt.json) {
        report.printJson(std::cout);
    } else {
        report.printText(std::cout);
    }
    return report.sound() ? kExitSound : kExitNotSound;
}

}  // namespace

int main(int argc, char** argv) {
    const ParseOutcome parsed = parseOptions(std::vector<std::string>(argv + 1, argv + argc));
    if (!parsed.options) {
        (parsed.exitCode == 0 ? std::cout : std::cerr) << parsed.message << "\n";
        return parsed.exitCode == 0 ? 0 : kExitUsage;
    }
    try {
        return runProbe(*parsed.options);
    } catch (const std::system_error& e) {
        std::cerr << "rpi-netboot-probe: " << e.what() << "\n";
        return kExitLocal;
    } catch (const std::exception& e) {
        std::cerr << "rpi-netboot-probe: " << e.what() << "\n";
        return kExitLocal;
    }
}
