// The TFTP_FILE boot event of one read request (README.md, "Boot events and bootloader logs"):
// who asked (address, and the Pi's serial or MAC when the request's first directory names one),
// which file, and how it ended.
#pragma once

#include <string>
#include <string_view>

#include "rpinetboot/boot_event.h"

namespace rpinetboot::tftpd {

// A TFTP_FILE event stamped now, from rpi-tftpd, for `request` (the file name as the client sent
// it) asked by `address`. The request's first directory fills `serial` when it is a serial
// (the default TFTP_PREFIX) or `mac` when it is a MAC in dashes (TFTP_PREFIX=2); see
// docs/protocol/dhcp.md, "Serial numbers and MAC prefixes".
BootEvent tftpFileEvent(std::string_view request, std::string address);

}  // namespace rpinetboot::tftpd
