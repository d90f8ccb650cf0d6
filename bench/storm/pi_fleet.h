// The boot storm's emulated Pis: distinct identities over the four boot stages core knows, and
// the TFTP walk each one does after DHCP. Pure data (no sockets), so it is cheap to reason about.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rpinetboot/discover.h"
#include "rpinetboot/probe/pi_tftp.h"

namespace rpinetboot::bench {

// `count` Pis, models in turn rom3, bootcode, pi4, pi5. MACs and serials are distinct per Pi and
// follow docs/protocol/dhcp.md: Pi 1-3 use OUI b8:27:eb and the MAC's low three bytes equal the
// serial's; Pi 4 (dc:a6:32) and Pi 5 (2c:cf:67) MACs are not derived from the serial. Shape C
// xids come from `seed`; half of the Pi 4s send the old "RPi4" option 97 magic.
std::vector<PiIdentity> makeFleet(unsigned count, std::uint32_t seed);

// The TFTP walk after DHCP (probe/tftp's sequences, docs/protocol/tftp.md):
// rom3: the ROM fetches bootcode.bin from the root, then bootcode.bin loads the rest;
// bootcode: bootcode.bin came from the SD card, so the walk starts at its start.elf probe;
// pi4: the Pi 4 EEPROM (2022+, blksize 1468) order;
// pi5: the same without start4.elf/fixup4.dat (docs/protocol/tftp.md "File order"), so its first
//      probe under the prefix is config.txt. Its dtb and kernel names are the Pi 4's: the load is
//      what matters here, and no public capture lists Pi 5 names.
std::vector<probe::PiBootStep> bootSequence(PiModel model);

// Files each walk needs under its tree (not counting optional ones), for building the tree.
std::vector<std::string> requiredFiles(PiModel model);

}  // namespace rpinetboot::bench
