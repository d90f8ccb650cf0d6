// rpi-netboot-timeline: reads boot events, prints the fleet or one Pi's last boot.
#include <fstream>
#include <iostream>

#include "options.h"
#include "report.h"
#include "sources.h"

using namespace rpinetboot;
using namespace rpinetboot::timeline;

namespace {

int run(const Options& opt) {
    ReadResult read;
    std::string source;
    if (opt.inputs.empty()) {
        std::string error;
        if (!readJournal(opt.journalDirectory, read, error)) {
            std::cerr << "rpi-netboot-timeline: " << error << "\n";
            return 2;
        }
        source =
            opt.journalDirectory.empty() ? "the journal" : "the journal in " + opt.journalDirectory;
    } else {
        for (const auto& path : opt.inputs) {
            if (path == "-") {
                readJsonLines(std::cin, "stdin", read);
                continue;
            }
            std::ifstream in(path, std::ios::binary);
            if (!in) {
                std::cerr << "rpi-netboot-timeline: cannot read " << path << "\n";
                return 2;
            }
            readJsonLines(in, path, read);
        }
        source = opt.inputs.size() == 1 ? opt.inputs.front() : "the input files";
    }
    if (read.skipped > 0) {
        std::cerr << "rpi-netboot-timeline: skipped " << read.skipped << " input line"
                  << (read.skipped == 1 ? " that is" : "s that are") << " not a boot event:\n";
        for (const auto& note : read.skipNotes) std::cerr << "  " << note << "\n";
    }
    if (read.events.empty()) {
        std::cerr << "rpi-netboot-timeline: no boot events in " << source
                  << " (do the Kea hook, rpi-tftpd and rpi-nfs-exports have events set?)\n";
    }
    const Fleet fleet =
        buildFleet(std::move(read.events), opt.limits, opt.nowUs.value_or(nowMicros()));
    if (opt.pi.empty()) {
        if (opt.json) {
            std::cout << fleetJson(fleet).dump(2) << "\n";
        } else {
            printFleet(std::cout, fleet);
        }
        return 0;
    }
    const Pi* pi = findPi(fleet, opt.pi);
    if (!pi) {
        std::cerr << "rpi-netboot-timeline: no Pi " << opt.pi << " in the boot events of " << source
                  << "\n";
        return 1;
    }
    if (opt.json) {
        std::cout << piJson(*pi).dump(2) << "\n";
    } else {
        printPi(std::cout, *pi);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const ParseOutcome parsed = parseOptions(args);
    if (!parsed.options) {
        (parsed.exitCode == 0 ? std::cout : std::cerr) << parsed.message << "\n";
        return parsed.exitCode;
    }
    try {
        return run(*parsed.options);
    } catch (const std::exception& e) {
        std::cerr << "rpi-netboot-timeline: " << e.what() << "\n";
        return 2;
    }
}
