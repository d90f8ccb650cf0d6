#include "pi_fleet.h"

#include <algorithm>
#include <random>
#include <set>

namespace rpinetboot::bench {

std::vector<PiIdentity> makeFleet(unsigned count, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<PiIdentity> out;
    out.reserve(count);
    for (unsigned i = 0; i < count; ++i) {
        PiIdentity pi;
        pi.model = kPiModels[i % kPiModels.size()];
        // Index in the low 16 bits keeps MACs and serials distinct for up to 65536 Pis.
        const std::uint32_t low16 = i & 0xffffu;
        switch (pi.model) {
            case PiModel::Rom3:
            case PiModel::Bootcode:
                pi.serial = Serial(0x10a00000u | low16);
                pi.mac = MacAddress::fromOui(facts(pi.model).emulatedOui, pi.serial.value());
                break;
            case PiModel::Pi4:
                pi.serial = Serial(0x4b000000u | (rng() & 0x00ff0000u) | low16);
                pi.mac = MacAddress::fromOui(facts(pi.model).emulatedOui, 0xb00000u | low16);
                pi.boardRevision = facts(pi.model).emulatedBoardRevision;
                pi.fourccWireOrderRpi = (i / 4) % 2 == 1;
                break;
            case PiModel::Pi5:
                pi.serial = Serial(0x5c000000u | (rng() & 0x00ff0000u) | low16);
                pi.mac = MacAddress::fromOui(facts(pi.model).emulatedOui, 0xc00000u | low16);
                pi.boardRevision = facts(pi.model).emulatedBoardRevision;
                break;
        }
        pi.xid = rng();
        out.push_back(pi);
    }
    return out;
}

std::vector<BootFileStep> bootSequence(PiModel model) {
    auto steps = bootPlan(model);
    if (model == PiModel::Bootcode) {
        // This fleet's shape-B Pis run bootcode.bin from an SD card: no ROM requests.
        steps.erase(
            std::remove_if(steps.begin(), steps.end(),
                           [](const BootFileStep& s) { return s.kind == StepKind::RootFile; }),
            steps.end());
    }
    return steps;
}

std::vector<std::string> requiredFiles(PiModel model) {
    std::set<std::string> files;
    for (const auto& step : bootSequence(model)) {
        if (!step.required) continue;
        files.insert(step.kind == StepKind::RootFile ? "/" + step.file : step.file);
    }
    return {files.begin(), files.end()};
}

}  // namespace rpinetboot::bench
