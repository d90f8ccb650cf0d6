// The boot storm's emulated Pis: distinct identities over the four boot stages core knows, and
// the TFTP walk each one does after DHCP. Pure data (no sockets), so it is cheap to reason about.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rpinetboot/boot_plan.h"
#include "rpinetboot/discover.h"

namespace rpinetboot::bench {

// `count` Pis, models in turn rom3, bootcode, pi4, pi5. MACs and serials are distinct per Pi and
// follow docs/protocol/dhcp.md: Pi 1-3 use OUI b8:27:eb and the MAC's low three bytes equal the
// serial's; Pi 4 (dc:a6:32) and Pi 5 (2c:cf:67) MACs are not derived from the serial. Shape C
// xids come from `seed`; half of the Pi 4s send the old "RPi4" option 97 magic.
std::vector<PiIdentity> makeFleet(unsigned count, std::uint32_t seed);

// The TFTP walk after DHCP: core's boot plan for the model, except that this fleet's shape-B Pis
// run bootcode.bin from an SD card, so their walk starts at the start.elf probe.
std::vector<BootFileStep> bootSequence(PiModel model);

// Files each walk needs under its tree (not counting optional ones), for building the tree.
std::vector<std::string> requiredFiles(PiModel model);

}  // namespace rpinetboot::bench
